// SPDX-License-Identifier: Apache-2.0
#include "skiff/dataplane/request_stages.h"

#include <openssl/crypto.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "skiff/dataplane/auth_responses.h"
#include "skiff/protocol/azure_score.h"
#include "skiff/protocol/infer_request.h"
#include "skiff/protocol/infer_response.h"
#include "skiff/rollout/sticky_assignment.h"
#include "skiff/util/sha256.h"

namespace skiff::dataplane {

HttpResponse JsonResponse(http::status status, std::string body) {
  return MakeResponse(status, std::move(body), "application/json");
}

HttpResponse ErrorResponse(http::status status, std::string_view message) {
  return JsonResponse(status, protocol::EncodeError(message));
}

http::status HttpStatusFor(const Status& s) {
  switch (s.code()) {
    case StatusCode::kOk:
      return http::status::ok;
    case StatusCode::kInvalidArgument:
    case StatusCode::kOutOfRange:
      return http::status::bad_request;
    case StatusCode::kUnauthenticated:
      return http::status::unauthorized;
    case StatusCode::kNotFound:
      return http::status::not_found;
    case StatusCode::kUnavailable:
    case StatusCode::kResourceExhausted:
      return http::status::service_unavailable;
    case StatusCode::kDeadlineExceeded:
      return http::status::gateway_timeout;
    default:
      return http::status::bad_gateway;  // the model failed
  }
}

HttpResponse ErrorResponse(const Status& status) {
  HttpResponse r = ErrorResponse(HttpStatusFor(status), status.message());
  if (status.code() == StatusCode::kUnavailable ||
      status.code() == StatusCode::kResourceExhausted) {
    r.set(http::field::retry_after, "1");
  }
  return r;
}

std::optional<HttpResponse> GuardAuth(const Authenticator* auth, const std::string& service,
                                      const http::request_header<>& header,
                                      const std::string& client, FailureLimiter* limiter,
                                      metrics::DataPlaneMetrics* metrics) {
  return GuardAuth(auth, service, header, client, limiter, metrics, nullptr, 0);
}

namespace {

// Equal bytes, in time that depends on the sizes only. The remembered value
// came from this connection's own peer, so its size tells the peer nothing.
bool SameCredential(std::string_view remembered, std::string_view presented) {
  return remembered.size() == presented.size() &&
         CRYPTO_memcmp(remembered.data(), presented.data(), presented.size()) == 0;
}

}  // namespace

std::optional<HttpResponse> GuardAuth(const Authenticator* auth, const std::string& service,
                                      const http::request_header<>& header,
                                      const std::string& client, FailureLimiter* limiter,
                                      metrics::DataPlaneMetrics* metrics, ConnectionMemo* memo,
                                      uint64_t generation) {
  if (auth == nullptr) return std::nullopt;
  auto field = header.find(http::field::authorization);
  std::string_view value;
  if (field != header.end()) value = std::string_view(field->value().data(), field->value().size());
  // What the plugin accepted on this connection under this key set: it
  // would accept it again (key mode's answer depends on the two only).
  const bool remembered =
      memo != nullptr && generation != 0 && memo->auth_generation == generation && !value.empty();
  if (remembered && SameCredential(memo->accepted_authorization, value)) return std::nullopt;
  if (auth->Verify(service, value).ok()) {
    if (memo != nullptr && generation != 0) {
      memo->accepted_authorization.assign(value.data(), value.size());
      memo->auth_generation = generation;
    }
    return std::nullopt;
  }
  metrics->AuthFailure(service);
  if (int64_t wait = limiter->RetryAfterSeconds(client); wait > 0) {
    HttpResponse r = JsonResponse(http::status::too_many_requests, kTooManyRequestsBody);
    r.set(http::field::retry_after, std::to_string(wait));
    return r;
  }
  limiter->RecordFailure(client);
  HttpResponse r = JsonResponse(http::status::unauthorized, kUnauthorizedBody);
  r.set(kWwwAuthenticateHeader, kWwwAuthenticateValue);
  return r;
}

std::optional<HttpResponse> GuardDrain(bool draining) {
  if (!draining) return std::nullopt;
  HttpResponse r = ErrorResponse(http::status::service_unavailable, "the server is shutting down");
  r.set(http::field::retry_after, "1");
  return r;
}

std::optional<HttpResponse> PickVersion(const Endpoint& endpoint, const std::string& path_version,
                                        const http::request_header<>& header,
                                        std::shared_ptr<ModelVersion>* picked) {
  bool by_key = false;
  return PickVersion(endpoint, path_version, header, "", picked, &by_key);
}

std::optional<HttpResponse> PickVersion(const Endpoint& endpoint, const std::string& path_version,
                                        const http::request_header<>& header,
                                        const std::string& key_digest,
                                        std::shared_ptr<ModelVersion>* picked, bool* by_key) {
  std::string pinned = path_version;
  if (auto h = header.find(kVersionHeader); h != header.end() && pinned.empty()) {
    pinned = std::string(h->value());
  }
  // Pinning wins over the routing key.
  std::optional<uint64_t> point;
  if (pinned.empty() && !key_digest.empty()) {
    auto p = RoutingPoint(key_digest);
    if (p.ok()) point = *p;
  }
  *by_key = point.has_value();
  auto version = endpoint.Pick(pinned, point);
  if (!version.ok()) {
    HttpResponse r = ErrorResponse(HttpStatusFor(version.status()), version.status().message());
    if (version.status().code() == StatusCode::kUnavailable) r.set(http::field::retry_after, "1");
    return r;
  }
  *picked = std::move(version).value();
  return std::nullopt;
}

namespace {

// The value of cookie `name` in the request's Cookie header(s) (RFC 6265:
// "a=1; b=2", a value possibly in double quotes); "" if absent.
std::string_view CookieValue(const http::request_header<>& header, std::string_view name) {
  auto range = header.equal_range(http::field::cookie);
  for (auto it = range.first; it != range.second; ++it) {
    std::string_view rest(it->value().data(), it->value().size());
    while (!rest.empty()) {
      const size_t end = rest.find(';');
      std::string_view pair = rest.substr(0, end);
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
      while (!pair.empty() && (pair.front() == ' ' || pair.front() == '\t')) pair.remove_prefix(1);
      const size_t eq = pair.find('=');
      if (eq == std::string_view::npos || pair.substr(0, eq) != name) continue;
      std::string_view value = pair.substr(eq + 1);
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
        value.remove_suffix(1);
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      return value;
    }
  }
  return {};
}

}  // namespace

std::string RoutingKeyDigest(const config::RoutingConfig& routing,
                             const http::request_header<>& header) {
  std::string_view key;
  if (!routing.key_header.empty()) {
    auto h = header.find(routing.key_header);
    if (h != header.end()) key = std::string_view(h->value().data(), h->value().size());
  } else if (!routing.key_cookie.empty()) {
    key = CookieValue(header, routing.key_cookie);
  }
  if (key.empty()) return "";
  return HmacSha256Hex(routing.salt, key);
}

std::optional<HttpResponse> ReadInferenceHeader(const http::request_header<>& header,
                                                std::optional<std::string_view>* value) {
  value->reset();
  const auto range = header.equal_range(protocol::kInferenceHeaderContentLength);
  for (auto it = range.first; it != range.second; ++it) {
    if (*value) {
      return ErrorResponse(http::status::bad_request,
                           std::string("header ") + protocol::kInferenceHeaderContentLength +
                               " appears more than once; send it once, with the length of the "
                               "JSON at the start of the body");
    }
    *value = std::string_view(it->value().data(), it->value().size());
  }
  return std::nullopt;
}

std::optional<HttpResponse> DecodeScoreRequest(ScoreProtocol protocol, std::string_view body,
                                               const Signature& signature, uint64_t max_body_bytes,
                                               DecodedScore* decoded,
                                               std::optional<std::string_view> inference_header,
                                               const std::vector<std::string_view>* binary_parts) {
  Status status;
  if (binary_parts != nullptr && protocol != ScoreProtocol::kOip) {
    status = InvalidArgument("binary tensor parts come only with an OIP infer request");
  } else if (protocol == ScoreProtocol::kOip) {
    protocol::DecodeOptions options;
    options.max_input_bytes = static_cast<size_t>(max_body_bytes) * 8;
    auto request = binary_parts != nullptr
                       ? protocol::DecodeInferRequestParts(body, *binary_parts, signature, options)
                       : protocol::DecodeInferRequest(body, signature, options, inference_header);
    if (request.ok()) {
      decoded->inputs = std::move(request->inputs);
      decoded->id = std::move(request->id);
      decoded->requested = std::move(request->requested_outputs);
      decoded->binary = std::move(request->binary_outputs);
    }
    status = request.status();
  } else {
    auto inputs = protocol::DecodeAzureScoreRequest(body, signature);
    if (inputs.ok()) decoded->inputs = std::move(inputs).value();
    status = inputs.status();
  }
  if (status.ok()) return std::nullopt;
  return ErrorResponse(http::status::bad_request, status.message());
}

std::string WithoutServerPaths(std::string_view message) {
  auto is_path_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '/' || c == '.' || c == '_' || c == '-' || c == '+' || c == '~' || c == '@';
  };
  // A path starts a word ("at /x", "'/x'", "(/x"); after ':' it is a URL's
  // "//host/..." (an upstream's address), which stays.
  auto starts_word = [](char before) {
    return before == ' ' || before == '\'' || before == '"' || before == '`' || before == '(' ||
           before == '[' || before == '=' || before == '\n' || before == '\t';
  };
  std::string out;
  out.reserve(message.size());
  size_t i = 0;
  while (i < message.size()) {
    const bool at_word = i == 0 || starts_word(message[i - 1]);
    if (message[i] != '/' || !at_word) {
      out.push_back(message[i++]);
      continue;
    }
    size_t end = i;
    while (end < message.size() && is_path_char(message[end])) ++end;
    std::string_view path = message.substr(i, end - i);
    // "/a/b" and deeper; "/x" alone (a route, a ratio) is no file path.
    if (path.find('/', 1) == std::string_view::npos) {
      out.append(path);
    } else {
      while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
      out.append(path.substr(path.rfind('/') + 1));
    }
    i = end;
  }
  return out;
}

namespace {

// The answer before its version header. Each branch returns the response it
// builds (constructed in place): a default-constructed response assigned
// afterwards was a message constructor, a move assignment and a destructor
// more per request (~1,000 instructions, issue 20 eighth session).
HttpResponse ScoredAnswer(ScoreProtocol protocol, const std::string& service,
                          const std::string& version, const DecodedScore& request,
                          const ScoreResult& result) {
  if (!result.status.ok()) {
    // The error crosses to a remote client: a model or plugin message may
    // name the artifact's path on this machine or a source file; the client
    // gets the file's name only.
    return ErrorResponse(Status(result.status.code(), WithoutServerPaths(result.status.message())));
  }
  if (protocol == ScoreProtocol::kOip && !request.binary.empty()) {
    protocol::EncodedBody encoded = protocol::EncodeInferResponse(
        service, version, request.id, result.outputs, request.requested, request.binary);
    if (!encoded.json_length) return JsonResponse(http::status::ok, std::move(encoded.body));
    HttpResponse r =
        MakeResponse(http::status::ok, std::move(encoded.body), "application/octet-stream");
    r.insert(protocol::kInferenceHeaderContentLength, std::to_string(*encoded.json_length));
    return r;
  }
  if (protocol == ScoreProtocol::kOip) {
    return JsonResponse(http::status::ok,
                        protocol::EncodeInferResponse(service, version, request.id, result.outputs,
                                                      request.requested));
  }
  return JsonResponse(http::status::ok, protocol::EncodeAzureScoreResponse(result.outputs));
}

}  // namespace

HttpResponse RespondScored(ScoreProtocol protocol, const std::string& service,
                           const std::string& version, const DecodedScore& request,
                           const ScoreResult& result) {
  HttpResponse r = ScoredAnswer(protocol, service, version, request, result);
  // insert: no answer above has a version header to replace.
  r.insert(kVersionHeader, version);
  return r;
}

void LogRequest(JsonlWriter* log, const ScoreRecord& record) {
  nlohmann::json line = {{"time", NowIso8601()},
                         {"service", record.service},
                         {"version", record.version},
                         {"status", record.status},
                         {"queueMs", record.queue_seconds * 1e3},
                         {"computeMs", record.compute_seconds * 1e3},
                         {"totalMs", record.total_seconds * 1e3},
                         {"client", record.client}};
  log->Append(line.dump());
}

void LogExposure(JsonlWriter* log, const std::string& key_digest, const std::string& version,
                 int status, double total_seconds) {
  nlohmann::json line = {{"time", NowIso8601()},
                         {"keyHash", key_digest},
                         {"version", version},
                         {"status", status},
                         {"latencyMs", total_seconds * 1e3}};
  log->Append(line.dump());
}

void CollectData(JsonlWriter* collector, const ScoreRecord& record,
                 const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs) {
  // The tensors are written by the protocol's encoder, straight into the line.
  std::string line = "{\"time\":" + nlohmann::json(NowIso8601()).dump();
  line += ",\"service\":" + nlohmann::json(record.service).dump();
  line += ",\"version\":" + nlohmann::json(record.version).dump();
  line += ",\"inputs\":" + protocol::EncodeTensorList(inputs);
  line += ",\"outputs\":" + protocol::EncodeTensorList(outputs);
  line += "}";
  collector->Append(line);
}

std::string NowIso8601() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof(out), "%s.%03lldZ", buf, static_cast<long long>(ms));
  return out;
}

}  // namespace skiff::dataplane
