// SPDX-License-Identifier: Apache-2.0
// Pushes images from an OCI layout to any registry that speaks the
// distribution API (docker-registry, ACR, GHCR, Harbor...):
//   - a blob the repository has already (HEAD 200) is skipped;
//   - else, when `mount_from` names repositories of the same registry, a
//     cross-repository mount is tried (POST ?mount=&from=; 201: no bytes);
//   - else a chunked upload: POST, then PATCH pieces with Content-Range;
//     after a dropped connection the upload's state is asked for (GET ->
//     Range) and the upload resumes from what the registry has; a registry
//     that dropped the session instead (distribution does, once part of a
//     PATCH reached it) gets that blob again in a new session;
//     PUT ?digest= completes it;
//   - then the manifest is PUT by tag (or digest).
// Auth: registry_auth.h. One exchange per connection (net::HttpClient).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "skiff/net/http_client.h"
#include "skiff/oci/oci_layout.h"
#include "skiff/oci/registry_auth.h"
#include "skiff/status.h"

namespace skiff::oci {

// "host[:port]/repository[:tag]": a push destination.
struct ImageReference {
  std::string registry;    // "host[:port]"
  std::string repository;  // "skiff/server"
  std::string tag;         // "" when none was given
};
// InvalidArgument naming `text` when there is no repository part, or a
// repository is not lower-case [a-z0-9._/-].
StatusOr<ImageReference> ParseImageReference(const std::string& text);

// One step of a blob's push, for a progress display.
struct BlobProgress {
  enum class Event { kSkipped, kMounted, kSending, kUploaded };
  Event event = Event::kSending;
  const Descriptor* blob = nullptr;  // OWNERSHIP: borrowed for the call
  int64_t bytes_sent = 0;            // of this blob so far (kSending, kUploaded)
};

struct PushOptions {
  int64_t chunk_bytes = 8 << 20;        // PATCH size
  std::vector<std::string> mount_from;  // repositories to mount shared blobs from
  int max_resumes_per_blob = 5;         // resumes and restarts together
  // Called on the pushing thread after each blob's outcome and each PATCH
  // the registry accepted; never sees a credential. Empty: nothing.
  std::function<void(const BlobProgress&)> on_progress;
};

// What a push did, for the CLI's report and the tests.
struct PushStats {
  int head_requests = 0;
  int blobs_skipped = 0;  // the repository had them
  int blobs_mounted = 0;  // cross-repository mounts
  int blobs_uploaded = 0;
  int64_t bytes_uploaded = 0;  // PATCH bodies sent, resumed bytes counted again
  int resumes = 0;             // uploads continued from the registry's Range after a failure
  int restarts = 0;            // uploads the registry dropped after a failure, begun again
};

class RegistryClient {
 public:
  // `scheme_and_host`: "https://host[:port]" (http:// only to loopback, as
  // net::HttpClient allows).
  RegistryClient(std::string scheme_and_host, net::HttpClientOptions http,
                 RegistryCredentials credentials);

  // Pushes the image whose manifest is `manifest` (a blob of `layout`) to
  // `repository` under `tag` ("" pushes by digest only). Returns the
  // manifest digest the registry reports, which must equal the layout's
  // (DataLoss otherwise). Threading: one call at a time.
  StatusOr<std::string> PushImage(const OciLayout& layout, const Descriptor& manifest,
                                  const std::string& repository, const std::string& tag,
                                  const PushOptions& options);

  const PushStats& stats() const { return stats_; }
  const RegistryAuthenticator& auth() const { return auth_; }

 private:
  Status PushBlob(const OciLayout& layout, const Descriptor& blob, const std::string& repository,
                  const PushOptions& options);
  Status Upload(const OciLayout& layout, const Descriptor& blob, const std::string& repository,
                std::string location, const PushOptions& options);
  StatusOr<std::string> StartUpload(const std::string& repository);
  // After a failed PATCH: the offset to go on from, asked from the upload's
  // state (GET -> Range), or 0 in a new session when the registry dropped it.
  // `range_refused`: the last PATCH got 416.
  StatusOr<int64_t> Recover(const std::string& repository, std::string* location,
                            bool range_refused);
  // Sends with the current Authorization, answering one 401 challenge.
  StatusOr<net::HttpResponse> Send(net::HttpRequest request);
  std::string Absolute(const std::string& location) const;

  std::string origin_;
  net::HttpClient http_;
  RegistryAuthenticator auth_;
  PushStats stats_;
};

}  // namespace skiff::oci
