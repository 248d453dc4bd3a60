// SPDX-License-Identifier: Apache-2.0
// TlsContextSource: the server side of TLS for HttpServer. It builds the
// OpenSSL context from a certificate file and a key file (TLS 1.2 and 1.3
// only, forward-secret AEAD suites for 1.2, ALPN http/1.1, no session cache
// a stranger could fill) and re-reads them when they change, so a renewed
// certificate (a rotated Kubernetes Secret) is served without a restart.
// A reload swaps the context for new connections only: a connection keeps
// the context it shook hands with until it closes. A pair that does not load
// (a half-written file, a key for another certificate) is refused and the
// previous context stays in force. See docs/server-config.md ("tls").
#pragma once

#include <sys/stat.h>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "skiff/status.h"

namespace boost::asio::ssl {
class context;
}  // namespace boost::asio::ssl

namespace skiff::dataplane {

struct TlsServerOptions {
  std::string cert_file;  // PEM: the server certificate, then its intermediates
  std::string key_file;   // PEM: its private key (keep it 0600)
  // A connection that has not finished its handshake this long after it was
  // accepted is closed (a stalled or silent peer).
  std::chrono::milliseconds handshake_timeout{10000};
  // How often the two files are checked for a change (size, mtime, inode).
  std::chrono::milliseconds reload_check{2000};
  // Most connections in their handshake at once (a connected peer that has
  // sent nothing yet counts). Once a peer has sent its first byte each costs
  // ~90 KiB (the OpenSSL connection, its BIO pair and Asio's record buffers)
  // before it has proved anything; before that byte ~1 KiB. Past the bound a
  // new connection closes the oldest unfinished handshake.
  // ./scripts/tls-figures measures the cost.
  int64_t max_handshakes = 1024;
  // Called once per change seen: OK when the new pair is served, else why it
  // was refused (the previous pair stays). Threading: an I/O thread.
  std::function<void(const Status&)> on_reload;
};

class TlsContextSource {
 public:
  // Loads the pair. kInvalidArgument naming the file and the fix when it
  // cannot be read or parsed, or the key does not match the certificate.
  static StatusOr<std::unique_ptr<TlsContextSource>> Create(TlsServerOptions options);
  ~TlsContextSource();

  // The context new connections shake hands with. Threading: any thread.
  std::shared_ptr<boost::asio::ssl::context> Current() const;

  // Re-reads the pair when either file changed since the last look.
  // nullopt: nothing changed; OK: the new pair is current; an error: it was
  // refused and the previous one stays (a refused pair is not retried until
  // a file changes again). Threading: one caller at a time.
  std::optional<Status> ReloadIfChanged();

  const TlsServerOptions& options() const { return options_; }

 private:
  struct FileStamp {
    bool exists = false;
    off_t size = 0;
    ino_t inode = 0;
    int64_t mtime_ns = 0;
    bool operator==(const FileStamp& o) const {
      return exists == o.exists && size == o.size && inode == o.inode && mtime_ns == o.mtime_ns;
    }
  };
  static FileStamp Stamp(const std::string& path);

  explicit TlsContextSource(TlsServerOptions options) : options_(std::move(options)) {}
  TlsServerOptions options_;
  mutable std::mutex mu_;                               // guards current_
  std::shared_ptr<boost::asio::ssl::context> current_;  // never null once created
  std::pair<FileStamp, FileStamp> seen_;                // used by ReloadIfChanged only
};

// Builds a server context from the PEM pair; errors as Create().
StatusOr<std::shared_ptr<boost::asio::ssl::context>> MakeServerTlsContext(
    const std::string& cert_file, const std::string& key_file);

}  // namespace skiff::dataplane
