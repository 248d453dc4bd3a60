// SPDX-License-Identifier: Apache-2.0
#include "skiff/oci/registry_client.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "skiff/util/file.h"
#include "skiff/util/url.h"

namespace skiff::oci {
namespace {

using net::HttpRequest;
using net::HttpResponse;

void Report(const PushOptions& options, BlobProgress::Event event, const Descriptor& blob,
            int64_t bytes_sent) {
  if (options.on_progress) options.on_progress(BlobProgress{event, &blob, bytes_sent});
}

std::string Describe(const HttpResponse& res) {
  // The distribution API's error body: {"errors":[{"code","message"}]}.
  std::string detail = res.body.substr(0, 300);
  return "HTTP " + std::to_string(res.status) + (detail.empty() ? "" : ": " + detail);
}

// The end of "0-<end>" (distribution's Range; no "bytes=" prefix), -1 when absent.
int64_t RangeEnd(const std::string& range) {
  const size_t dash = range.find('-');
  if (dash == std::string::npos) return -1;
  try {
    return std::stoll(range.substr(dash + 1));
  } catch (...) {
    return -1;
  }
}

bool Transient(const Status& s) {
  return s.code() == StatusCode::kAborted || s.code() == StatusCode::kUnavailable;
}

}  // namespace

StatusOr<ImageReference> ParseImageReference(const std::string& text) {
  ImageReference ref;
  const size_t slash = text.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 >= text.size()) {
    return InvalidArgument("image reference '" + text +
                           "' must be host[:port]/repository[:tag], e.g. "
                           "myregistry.azurecr.io/skiff/server");
  }
  ref.registry = text.substr(0, slash);
  std::string rest = text.substr(slash + 1);
  const size_t colon = rest.rfind(':');
  if (colon != std::string::npos) {
    ref.tag = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
  }
  ref.repository = rest;
  bool ok = !rest.empty() && rest.front() != '/' && rest.back() != '/';
  for (char c : rest) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                c == '-' || c == '/');
  }
  if (!ok) {
    return InvalidArgument("repository '" + rest + "' in '" + text +
                           "' must be lower-case letters, digits, '.', '_', '-' and '/'");
  }
  bool tag_ok = ref.tag.size() <= 128;
  for (char c : ref.tag) {
    tag_ok = tag_ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-');
  }
  if (!tag_ok) return InvalidArgument("tag '" + ref.tag + "' in '" + text + "' is not a tag");
  return ref;
}

RegistryClient::RegistryClient(std::string scheme_and_host, net::HttpClientOptions http,
                               RegistryCredentials credentials)
    : origin_(std::move(scheme_and_host)),
      http_(std::move(http)),
      auth_(std::move(credentials), &http_) {}

std::string RegistryClient::Absolute(const std::string& location) const {
  if (location.rfind("http://", 0) == 0 || location.rfind("https://", 0) == 0) return location;
  return origin_ + (location.empty() || location[0] != '/' ? "/" : "") + location;
}

StatusOr<HttpResponse> RegistryClient::Send(HttpRequest request) {
  for (int attempt = 0;; ++attempt) {
    HttpRequest r = request;
    // Credentials go to the registry only: an upload Location may name
    // another host (a storage front), which must not get them.
    const bool to_registry = r.url.rfind(origin_ + "/", 0) == 0;
    if (to_registry && !auth_.header().empty()) {
      r.headers.push_back({"Authorization", auth_.header()});
    }
    SKIFF_ASSIGN_OR_RETURN(HttpResponse res, http_.Send(r));
    if (res.status != 401 || attempt > 0 || !to_registry) return res;
    const std::string challenge = res.header("www-authenticate");
    if (challenge.empty()) return res;
    SKIFF_RETURN_IF_ERROR(auth_.OnChallenge(challenge));
  }
}

StatusOr<std::string> RegistryClient::PushImage(const OciLayout& layout, const Descriptor& manifest,
                                                const std::string& repository,
                                                const std::string& tag,
                                                const PushOptions& options) {
  SKIFF_ASSIGN_OR_RETURN(std::string bytes, layout.ReadSmallBlob(manifest.digest));
  const nlohmann::json m = nlohmann::json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (!m.is_object() || !m.contains("config") || !m.contains("layers") || !m["layers"].is_array()) {
    return InvalidArgument("manifest " + manifest.digest + " in '" + layout.dir() +
                           "' has no config or layers");
  }
  std::vector<Descriptor> blobs;
  SKIFF_ASSIGN_OR_RETURN(Descriptor config, ParseDescriptor(m["config"], "manifest config"));
  blobs.push_back(config);
  for (const auto& layer : m["layers"]) {
    SKIFF_ASSIGN_OR_RETURN(Descriptor d, ParseDescriptor(layer, "manifest layer"));
    blobs.push_back(d);
  }
  // Layers before the config: a registry may check that what a manifest
  // names exists, and the config is the smallest to redo.
  for (size_t i = 1; i <= blobs.size(); ++i) {
    SKIFF_RETURN_IF_ERROR(PushBlob(layout, blobs[i % blobs.size()], repository, options));
  }
  const std::string reference = tag.empty() ? manifest.digest : tag;
  const std::string media_type = m.value("mediaType", std::string(kMediaTypeManifest));
  SKIFF_ASSIGN_OR_RETURN(HttpResponse res,
                         Send({"PUT",
                               origin_ + "/v2/" + repository + "/manifests/" + reference,
                               {{"Content-Type", media_type}},
                               bytes}));
  if (res.status != 201 && res.status != 200) {
    return FailedPrecondition("PUT manifest " + repository + ":" + reference +
                              " refused: " + Describe(res));
  }
  const std::string reported = res.header("docker-content-digest");
  if (!reported.empty() && reported != manifest.digest) {
    return DataLoss("the registry stored manifest " + repository + ":" + reference + " as " +
                    reported + " but skiff sent " + manifest.digest);
  }
  return manifest.digest;
}

Status RegistryClient::PushBlob(const OciLayout& layout, const Descriptor& blob,
                                const std::string& repository, const PushOptions& options) {
  const std::string base = origin_ + "/v2/" + repository + "/blobs/";
  ++stats_.head_requests;
  SKIFF_ASSIGN_OR_RETURN(HttpResponse head, Send({"HEAD", base + blob.digest, {}, ""}));
  if (head.status == 200) {
    ++stats_.blobs_skipped;
    Report(options, BlobProgress::Event::kSkipped, blob, 0);
    return OkStatus();
  }
  if (head.status == 401 || head.status == 403) {
    return Unauthenticated("the registry refused the credentials for " + repository + " (HTTP " +
                           std::to_string(head.status) +
                           "); check the docker config's auths entry or the account's rights");
  }
  if (head.status != 404) {
    return FailedPrecondition("HEAD " + blob.digest + " in " + repository + ": " + Describe(head));
  }
  std::string location;
  for (const std::string& from : options.mount_from) {
    if (from == repository) continue;
    SKIFF_ASSIGN_OR_RETURN(HttpResponse res, Send({"POST",
                                                   base + "uploads/?mount=" + blob.digest +
                                                       "&from=" + FormEncode(from),
                                                   {},
                                                   ""}));
    if (res.status == 201) {
      ++stats_.blobs_mounted;
      Report(options, BlobProgress::Event::kMounted, blob, 0);
      return OkStatus();
    }
    if (res.status == 202) {  // not mountable from there: an upload began instead
      location = res.header("location");
      break;
    }
  }
  if (location.empty()) {
    SKIFF_ASSIGN_OR_RETURN(location, StartUpload(repository));
  }
  SKIFF_RETURN_IF_ERROR(Upload(layout, blob, repository, Absolute(location), options)
                            .WithContext("blob " + blob.digest + " to " + repository));
  ++stats_.blobs_uploaded;
  Report(options, BlobProgress::Event::kUploaded, blob, blob.size);
  return OkStatus();
}

StatusOr<std::string> RegistryClient::StartUpload(const std::string& repository) {
  SKIFF_ASSIGN_OR_RETURN(HttpResponse res,
                         Send({"POST", origin_ + "/v2/" + repository + "/blobs/uploads/", {}, ""}));
  if (res.status != 202 || res.header("location").empty()) {
    return FailedPrecondition("starting an upload to " + repository + " refused: " + Describe(res));
  }
  return Absolute(res.header("location"));
}

StatusOr<int64_t> RegistryClient::Recover(const std::string& repository, std::string* location,
                                          bool range_refused) {
  auto state = Send({"GET", *location, {}, ""});
  if (!state.ok()) return state.status();
  if (state->status == 204) {
    ++stats_.resumes;
    if (!state->header("location").empty()) *location = Absolute(state->header("location"));
    // "0-0" means no byte or one: 0 first, 1 once a PATCH from 0 was refused.
    const int64_t end = RangeEnd(state->header("range"));
    return end > 0 ? end + 1 : (range_refused ? 1 : 0);
  }
  // The session is gone: distribution, for one, invalidates an upload that
  // received part of a PATCH ("upload resumed at wrong offset"). This blob
  // starts over in a new session; the blobs already pushed stay.
  ++stats_.restarts;
  SKIFF_ASSIGN_OR_RETURN(*location, StartUpload(repository));
  return 0;
}

Status RegistryClient::Upload(const OciLayout& layout, const Descriptor& blob,
                              const std::string& repository, std::string location,
                              const PushOptions& options) {
  SKIFF_RETURN_IF_ERROR(DigestHex(blob.digest).status());
  const std::string path = layout.BlobPath(blob.digest);
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return NotFound("cannot open '" + path + "': " + std::strerror(errno));
  int64_t offset = 0;
  int recoveries = 0;
  std::string chunk;
  while (offset < blob.size) {
    const int64_t n = std::min<int64_t>(options.chunk_bytes, blob.size - offset);
    chunk.resize(static_cast<size_t>(n));
    const ssize_t got = ::pread(fd.get(), chunk.data(), chunk.size(), offset);
    if (got != n) return DataLoss("'" + path + "' is shorter than its descriptor says");
    stats_.bytes_uploaded += n;
    auto res =
        Send({"PATCH",
              location,
              {{"Content-Type", "application/octet-stream"},
               {"Content-Range", std::to_string(offset) + "-" + std::to_string(offset + n - 1)}},
              chunk});
    if (res.ok() && res->status == 202) {
      if (!res->header("location").empty()) location = Absolute(res->header("location"));
      const int64_t end = RangeEnd(res->header("range"));
      offset = end >= 0 ? end + 1 : offset + n;
      Report(options, BlobProgress::Event::kSending, blob, offset);
      continue;
    }
    // 416: the registry holds another offset; 404: it dropped the session
    // (distribution, when the part of a lost PATCH it kept lands late).
    if (res.ok() && res->status != 416 && res->status != 404) {
      return FailedPrecondition("PATCH refused: " + Describe(*res));
    }
    if (!res.ok() && !Transient(res.status())) return res.status();
    // The connection dropped (or the registry's offset differs): ask where
    // the upload stands and go on from there.
    for (;;) {
      if (++recoveries > options.max_resumes_per_blob) {
        return Aborted("the upload failed " + std::to_string(recoveries) + " times (last: " +
                       (res.ok() ? Describe(*res) : res.status().message()) + "); push again");
      }
      auto resumed = Recover(repository, &location, res.ok() && res->status == 416);
      if (resumed.ok()) {
        offset = *resumed;
        break;
      }
      if (!Transient(resumed.status())) return resumed.status();
    }
  }
  const std::string done =
      location + (location.find('?') == std::string::npos ? "?" : "&") + "digest=" + blob.digest;
  SKIFF_ASSIGN_OR_RETURN(HttpResponse res, Send({"PUT", done, {}, ""}));
  if (res.status != 201)
    return FailedPrecondition("completing the upload refused: " + Describe(res));
  return OkStatus();
}

}  // namespace skiff::oci
