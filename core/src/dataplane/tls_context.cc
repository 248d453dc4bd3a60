// SPDX-License-Identifier: Apache-2.0
#include "skiff/dataplane/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/ssl/context.hpp>
#include <cstring>

namespace skiff::dataplane {
namespace {

namespace ssl = boost::asio::ssl;

// TLS 1.2 suites: ECDHE key exchange (forward secrecy) with an AEAD cipher
// only (Mozilla's "intermediate" list); TLS 1.3 keeps OpenSSL's defaults,
// which are all AEAD.
constexpr char kTls12Ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// The one protocol this server speaks. A client that offers ALPN without
// http/1.1 (h2 only) is refused in the handshake rather than misunderstood
// after it; a client that offers no ALPN at all is served.
int SelectAlpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
               unsigned int inlen, void*) {
  static constexpr unsigned char kHttp11[] = {'h', 't', 't', 'p', '/', '1', '.', '1'};
  for (unsigned int i = 0; i < inlen;) {
    const unsigned int len = in[i];
    if (i + 1 + len > inlen) break;
    if (len == sizeof(kHttp11) && std::memcmp(in + i + 1, kHttp11, len) == 0) {
      *out = in + i + 1;
      *outlen = static_cast<unsigned char>(len);
      return SSL_TLSEXT_ERR_OK;
    }
    i += 1 + len;
  }
  return SSL_TLSEXT_ERR_ALERT_FATAL;
}

std::string OpenSslError() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  return text;
}

}  // namespace

StatusOr<std::shared_ptr<ssl::context>> MakeServerTlsContext(const std::string& cert_file,
                                                             const std::string& key_file) {
  ERR_clear_error();
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(
      native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Idle connections give their record buffers back; the server-side session
  // cache is off (resumption uses stateless tickets), so no stranger can
  // make the server keep state past its connection.
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_OFF);
  if (SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    return Internal("TLS: cannot set the cipher suites: " + OpenSslError());
  }
  SSL_CTX_set_alpn_select_cb(native, SelectAlpn, nullptr);
  if (SSL_CTX_use_certificate_chain_file(native, cert_file.c_str()) != 1) {
    return InvalidArgument("tls.certFile '" + cert_file +
                           "': cannot load a PEM certificate chain (" + OpenSslError() +
                           "); give the server certificate first, then its intermediates");
  }
  const auto mismatch = [&] {
    return InvalidArgument("tls.keyFile '" + key_file + "' is not the key of tls.certFile '" +
                           cert_file + "' (" + OpenSslError() +
                           "); give the key the certificate was issued for");
  };
  if (SSL_CTX_use_PrivateKey_file(native, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    // OpenSSL checks the pair while it loads the key.
    if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) return mismatch();
    return InvalidArgument("tls.keyFile '" + key_file + "': cannot load a PEM private key (" +
                           OpenSslError() + "); give the unencrypted key of tls.certFile");
  }
  if (SSL_CTX_check_private_key(native) != 1) return mismatch();
  return ctx;
}

TlsContextSource::~TlsContextSource() = default;

TlsContextSource::FileStamp TlsContextSource::Stamp(const std::string& path) {
  struct stat st {};
  FileStamp stamp;
  if (::stat(path.c_str(), &st) != 0) return stamp;  // follows a Secret's symlinks
  stamp.exists = true;
  stamp.size = st.st_size;
  stamp.inode = st.st_ino;
  stamp.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return stamp;
}

StatusOr<std::unique_ptr<TlsContextSource>> TlsContextSource::Create(TlsServerOptions options) {
  std::unique_ptr<TlsContextSource> source(new TlsContextSource(std::move(options)));
  // Stamped before loading: a change during the load is seen next time.
  source->seen_ = {Stamp(source->options_.cert_file), Stamp(source->options_.key_file)};
  SKIFF_ASSIGN_OR_RETURN(source->current_, MakeServerTlsContext(source->options_.cert_file,
                                                                source->options_.key_file));
  return source;
}

std::shared_ptr<ssl::context> TlsContextSource::Current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

std::optional<Status> TlsContextSource::ReloadIfChanged() {
  std::pair<FileStamp, FileStamp> now = {Stamp(options_.cert_file), Stamp(options_.key_file)};
  if (now.first == seen_.first && now.second == seen_.second) return std::nullopt;
  seen_ = now;
  auto next = MakeServerTlsContext(options_.cert_file, options_.key_file);
  if (!next.ok()) {
    return Status(next.status().code(),
                  next.status().message() + "; still serving the previous certificate");
  }
  std::lock_guard<std::mutex> lock(mu_);
  current_ = std::move(next).value();
  return OkStatus();
}

}  // namespace skiff::dataplane
