#include "skiff/dataplane/request_stages.h"

#include <ctime>
#include <nlohmann/json.hpp>

#include "skiff/dataplane/auth_responses.h"
#include "skiff/protocol/azure_score.h"
#include "skiff/protocol/infer_request.h"
#include "skiff/protocol/infer_response.h"

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
  if (auth == nullptr) return std::nullopt;
  auto field = header.find(http::field::authorization);
  std::string_view value;
  if (field != header.end()) value = std::string_view(field->value().data(), field->value().size());
  if (auth->Verify(service, value).ok()) return std::nullopt;
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
  std::string pinned = path_version;
  if (auto h = header.find(kVersionHeader); h != header.end() && pinned.empty()) {
    pinned = std::string(h->value());
  }
  auto version = endpoint.Pick(pinned);
  if (!version.ok()) {
    HttpResponse r = ErrorResponse(HttpStatusFor(version.status()), version.status().message());
    if (version.status().code() == StatusCode::kUnavailable) r.set(http::field::retry_after, "1");
    return r;
  }
  *picked = std::move(version).value();
  return std::nullopt;
}

std::optional<HttpResponse> DecodeScoreRequest(ScoreProtocol protocol, std::string_view body,
                                               const Signature& signature, uint64_t max_body_bytes,
                                               DecodedScore* decoded) {
  Status status;
  if (protocol == ScoreProtocol::kOip) {
    protocol::DecodeOptions options;
    options.max_input_bytes = static_cast<size_t>(max_body_bytes) * 8;
    auto request = protocol::DecodeInferRequest(body, signature, options);
    if (request.ok()) {
      decoded->inputs = std::move(request->inputs);
      decoded->id = std::move(request->id);
      decoded->requested = std::move(request->requested_outputs);
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

HttpResponse RespondScored(ScoreProtocol protocol, const std::string& service,
                           const std::string& version, const DecodedScore& request,
                           const ScoreResult& result) {
  HttpResponse r;
  if (!result.status.ok()) {
    // The error crosses to a remote client: a model or plugin message may
    // name the artifact's path on this machine or a source file; the client
    // gets the file's name only.
    r = ErrorResponse(Status(result.status.code(), WithoutServerPaths(result.status.message())));
  } else if (protocol == ScoreProtocol::kOip) {
    r = JsonResponse(http::status::ok,
                     protocol::EncodeInferResponse(service, version, request.id, result.outputs,
                                                   request.requested));
  } else {
    r = JsonResponse(http::status::ok, protocol::EncodeAzureScoreResponse(result.outputs));
  }
  r.set(kVersionHeader, version);
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
