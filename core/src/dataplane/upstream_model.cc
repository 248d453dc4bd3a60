// SPDX-License-Identifier: Apache-2.0
#include "skiff/dataplane/upstream_model.h"

#include <nlohmann/json.hpp>

#include "skiff/config/server_config.h"
#include "skiff/dataplane/request_ids.h"
#include "skiff/net/http_client.h"
#include "skiff/protocol/infer_request.h"
#include "skiff/protocol/infer_response.h"

namespace skiff::dataplane {
namespace {

using nlohmann::json;

// The upstream hops are in-cluster Services (http://svc.ns.svc.cluster.local),
// never loopback-only, so plain http to any host is what the config asks for.
net::HttpClientOptions UpstreamClientOptions(std::chrono::milliseconds timeout,
                                             std::size_t max_body_bytes) {
  net::HttpClientOptions o;
  o.allow_plain_http_to_any_host = true;
  o.timeout = timeout;
  o.max_body_bytes = max_body_bytes;
  o.user_agent = "skiff-router";
  return o;
}

constexpr std::size_t kMaxUpstreamResponseBytes = std::size_t{256} << 20;
constexpr std::size_t kMaxProbeResponseBytes = 64 * 1024;

// One kept-alive connection per scoring worker (net::HttpConnection): a
// fresh connection per request would cost the router a round trip and a
// TIME_WAIT socket on every score.
class UpstreamModel final : public LoadedModel {
 public:
  UpstreamModel(UpstreamOptions options, std::string target,
                std::unique_ptr<net::HttpConnection> connection)
      : options_(std::move(options)),
        target_(std::move(target)),
        connection_(std::move(connection)) {}

  const Signature& signature() const override { return options_.signature; }

  // The versions start independently of the router: a version not up yet is
  // not an error here (requests get 502 until it is), so there is nothing
  // to warm.
  Status Warmup() override { return OkStatus(); }

  StatusOr<std::vector<Tensor>> Score(const std::vector<Tensor>& inputs) override {
    // Binary both ways: no float is printed and parsed again on the hop, and
    // BYTES that are not UTF-8 cross unharmed.
    protocol::EncodedBody request = protocol::EncodeBinaryInferRequest(inputs);
    std::vector<std::pair<std::string, std::string>> headers = {
        {"Content-Type", "application/octet-stream"},
        {protocol::kInferenceHeaderContentLength, std::to_string(*request.json_length)}};
    // The request's trace goes on with this router's span as the version's
    // parent, and its id as the version's x-request-id (request_ids.h).
    if (const RequestContext* context = CurrentRequestContext()) {
      if (!context->traceparent.empty()) headers.push_back({kTraceparentHeader, context->traceparent});
      if (!context->request_id.empty()) headers.push_back({kClientRequestIdHeader, context->request_id});
    }
    auto reply = connection_->Send("POST", target_, headers, std::move(request.body));
    if (!reply.ok()) {
      const std::string message = "upstream " + options_.url + ": " + reply.status().message();
      if (reply.status().code() == StatusCode::kDeadlineExceeded) {
        return DeadlineExceeded(message);
      }
      return Internal(message);  // 502: the version's server failed us
    }
    if (reply->status != 200) return MapStatus(reply->status, reply->body);
    std::optional<std::string_view> header;
    if (auto it = reply->headers.find("inference-header-content-length");
        it != reply->headers.end()) {
      header = it->second;
    }
    auto decoded = protocol::DecodeInferResponse(reply->body, options_.signature, {}, header);
    if (!decoded.ok()) {
      return Internal("upstream " + options_.url + " answered outputs that do not match the " +
                      "signature: " + decoded.status().message());
    }
    return std::move(decoded->outputs);
  }

 private:
  Status MapStatus(int status, const std::string& text) const {
    std::string detail = text;
    json j = json::parse(text, nullptr, false);
    if (j.is_object() && j.contains("error") && j["error"].is_string()) detail = j["error"];
    if (detail.size() > 512) detail.resize(512);
    const std::string message =
        "upstream " + options_.url + " answered " + std::to_string(status) + ": " + detail;
    if (status == 400) return InvalidArgument(message);
    if (status == 429 || status == 503) return Unavailable(message);
    if (status == 504) return DeadlineExceeded(message);
    return Internal(message);
  }

  const UpstreamOptions options_;
  const std::string target_;  // path + query of options_.url
  const std::unique_ptr<net::HttpConnection> connection_;
};

}  // namespace

Status ProbeUpstreamReady(const std::string& infer_url, std::chrono::milliseconds timeout) {
  SKIFF_ASSIGN_OR_RETURN(Url url, config::ParseUpstreamUrl(infer_url));
  const std::string what = "upstream " + url.Origin() + " /v2/health/ready";
  net::HttpClientOptions options = UpstreamClientOptions(timeout, kMaxProbeResponseBytes);
  options.timeout_covers_exchange = true;  // one deadline for the whole probe
  auto reply = net::HttpClient(options).Send({"GET", url.Origin() + "/v2/health/ready", {}, ""});
  if (!reply.ok()) return Unavailable(what + ": " + reply.status().message());
  if (reply->status != 200) return Unavailable(what + " answered " + std::to_string(reply->status));
  return OkStatus();
}

StatusOr<std::unique_ptr<LoadedModel>> MakeUpstreamModel(UpstreamOptions options) {
  SKIFF_ASSIGN_OR_RETURN(Url url, config::ParseUpstreamUrl(options.url));
  SKIFF_ASSIGN_OR_RETURN(
      auto connection,
      net::HttpConnection::Open(options.url,
                                UpstreamClientOptions(options.timeout, kMaxUpstreamResponseBytes)));
  return std::unique_ptr<LoadedModel>(
      new UpstreamModel(std::move(options), std::move(url.target), std::move(connection)));
}

}  // namespace skiff::dataplane
