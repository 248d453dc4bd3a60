// SPDX-License-Identifier: Apache-2.0
#include "kube_client.h"

#include <algorithm>

#include "api_error.h"
#include "exec_auth_transport.h"
#include "skiff/util/url.h"

namespace skiff::compute_aks::kube {
namespace {

using nlohmann::json;

bool Ok2xx(int status) { return status >= 200 && status < 300; }

StatusOr<json> ParseBody(const HttpResponse& response, const std::string& what) {
  json j = json::parse(response.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return DataLoss(what + ": the API server's reply is not a JSON object");
  }
  return j;
}

const char* PropagationName(DeletePropagation p) {
  switch (p) {
    case DeletePropagation::kForeground:
      return "Foreground";
    case DeletePropagation::kBackground:
      return "Background";
    case DeletePropagation::kOrphan:
      return "Orphan";
  }
  return "Background";
}

}  // namespace

StatusOr<std::string> SelectorFromMatchLabels(const json& selector) {
  const json* labels = nullptr;
  if (selector.is_object()) {
    auto it = selector.find("matchLabels");
    if (it != selector.end()) labels = &*it;
  }
  if (labels == nullptr || !labels->is_object() || labels->empty()) {
    return InvalidArgument(
        "spec.selector.matchLabels is required (skiff does not evaluate "
        "matchExpressions)");
  }
  std::string out;
  for (const auto& [key, value] : labels->items()) {  // nlohmann keeps keys sorted
    if (!value.is_string())
      return InvalidArgument("spec.selector.matchLabels." + key + " must be a string");
    if (!out.empty()) out += ",";
    out += key + "=" + value.get<std::string>();
  }
  return out;
}

StatusOr<std::unique_ptr<KubeClient>> KubeClient::Create(KubeClientOptions options) {
  SKIFF_ASSIGN_OR_RETURN(Url url, ParseUrl(options.config.server));
  if (url.target != "/") {
    return InvalidArgument("kubeconfig server '" + options.config.server +
                           "': a path prefix is not supported");
  }
  SKIFF_RETURN_IF_ERROR(CheckTransportAllowed(url, "kubeconfig server"));
  if (options.field_manager.empty()) return InvalidArgument("field_manager must not be empty");
  return std::unique_ptr<KubeClient>(new KubeClient(std::move(options)));
}

KubeClient::KubeClient(KubeClientOptions options) : options_(std::move(options)) {
  default_namespace_ = options_.config.namespace_.empty() ? "default" : options_.config.namespace_;
  clock_ = options_.clock ? options_.clock : RealClock();
  transport_ = options_.transport;
  net::HttpClientOptions t;
  t.ca_pem = options_.config.ca_pem;
  t.client_cert_pem = options_.config.client_cert_pem;
  t.client_key_pem = options_.config.client_key_pem;
  t.insecure_skip_verify = options_.config.insecure_skip_tls_verify;
  t.timeout = options_.request_timeout;
  if (options_.config.exec) {
    // The plugin's credential goes on each request (exec_auth_transport.h).
    auto source = std::make_shared<ExecCredentialSource>(
        *options_.config.exec,
        ExecClusterInfo{options_.config.server, options_.config.ca_pem,
                        options_.config.insecure_skip_tls_verify},
        clock_);
    auto injected = transport_;
    transport_ = std::make_shared<ExecAuthTransport>(
        std::move(source), [injected, t](const ExecCredential& credential) {
          if (injected) return injected;
          net::HttpClientOptions with_cert = t;
          with_cert.client_cert_pem = credential.client_cert_pem;
          with_cert.client_key_pem = credential.client_key_pem;
          return MakeHttpClientTransport(std::move(with_cert));
        });
  } else if (!transport_) {
    transport_ = MakeHttpClientTransport(std::move(t));
  }
  sender_ = std::make_unique<RetrySender>(transport_, clock_, options_.retry);
}

HttpRequest KubeClient::MakeRequest(const std::string& method,
                                    const std::string& path_and_query) const {
  HttpRequest request;
  request.method = method;
  request.url = options_.config.server + path_and_query;
  request.headers.emplace_back("Accept", "application/json, */*");
  if (!options_.config.token.empty()) {
    request.headers.emplace_back("Authorization", "Bearer " + options_.config.token);
  }
  return request;
}

StatusOr<HttpResponse> KubeClient::Call(const std::string& method,
                                        const std::string& path_and_query,
                                        const std::string& content_type, const std::string& body,
                                        const std::string& what,
                                        std::optional<std::chrono::milliseconds> budget) {
  auto make = [&]() -> StatusOr<HttpRequest> {
    HttpRequest request = MakeRequest(method, path_and_query);
    if (!content_type.empty()) request.headers.emplace_back("Content-Type", content_type);
    request.body = body;
    return request;
  };
  StatusOr<HttpResponse> response = budget ? sender_->Send(make, *budget) : sender_->Send(make);
  if (!response.ok()) return response.status().WithContext(what);
  return response;
}

StatusOr<json> KubeClient::ServerVersion() {
  SKIFF_ASSIGN_OR_RETURN(HttpResponse r, Call("GET", "/version", "", "", "GET /version"));
  if (!Ok2xx(r.status)) return ApiError(r.status, r.body, "GET /version");
  return ParseBody(r, "GET /version");
}

StatusOr<json> KubeClient::Apply(const json& object, const ApplyOptions& options) {
  SKIFF_ASSIGN_OR_RETURN(ObjectRef ref, RefOf(object, default_namespace_));
  SKIFF_ASSIGN_OR_RETURN(std::string path, ObjectPath(ref));
  json body = object;
  if (!ref.namespace_.empty()) body["metadata"]["namespace"] = ref.namespace_;
  const std::string what = "apply " + Describe(ref);
  // JSON is YAML: the API server takes a JSON body as an apply patch.
  std::string query = "?fieldManager=" + FormEncode(options_.field_manager);
  if (options.force) query += "&force=true";
  SKIFF_ASSIGN_OR_RETURN(
      HttpResponse response,
      Call("PATCH", path + query, "application/apply-patch+yaml", body.dump(), what));
  if (!Ok2xx(response.status)) return ApiError(response.status, response.body, what);
  return ParseBody(response, what);
}

StatusOr<json> KubeClient::Get(const ObjectRef& ref) {
  SKIFF_ASSIGN_OR_RETURN(std::string path, ObjectPath(ref));
  const std::string what = "get " + Describe(ref);
  SKIFF_ASSIGN_OR_RETURN(HttpResponse response, Call("GET", path, "", "", what));
  if (!Ok2xx(response.status)) return ApiError(response.status, response.body, what);
  return ParseBody(response, what);
}

StatusOr<std::vector<json>> KubeClient::List(const std::string& api_version,
                                             const std::string& kind, const std::string& namespace_,
                                             const std::string& label_selector,
                                             std::optional<std::chrono::milliseconds> budget) {
  SKIFF_ASSIGN_OR_RETURN(std::string path, CollectionPath(api_version, kind, namespace_));
  const std::string what = "list " + kind + (namespace_.empty() ? "" : " in " + namespace_) +
                           (label_selector.empty() ? "" : " with labels " + label_selector);
  if (!label_selector.empty()) path += "?labelSelector=" + FormEncode(label_selector);
  SKIFF_ASSIGN_OR_RETURN(HttpResponse response, Call("GET", path, "", "", what, budget));
  if (!Ok2xx(response.status)) return ApiError(response.status, response.body, what);
  SKIFF_ASSIGN_OR_RETURN(json list, ParseBody(response, what));
  auto items = list.find("items");
  if (items == list.end() || items->is_null()) return std::vector<json>{};
  if (!items->is_array()) return DataLoss(what + ": items is not a list");
  return items->get<std::vector<json>>();
}

Status KubeClient::Delete(const ObjectRef& ref, DeletePropagation propagation) {
  SKIFF_ASSIGN_OR_RETURN(std::string path, ObjectPath(ref));
  const std::string what = "delete " + Describe(ref);
  SKIFF_ASSIGN_OR_RETURN(
      HttpResponse response,
      Call("DELETE", path + "?propagationPolicy=" + PropagationName(propagation), "", "", what));
  if (!Ok2xx(response.status)) return ApiError(response.status, response.body, what);
  return OkStatus();
}

StatusOr<json> KubeClient::Update(const ObjectRef& ref,
                                  const std::function<Status(json&)>& mutate) {
  SKIFF_ASSIGN_OR_RETURN(std::string path, ObjectPath(ref));
  const std::string what = "update " + Describe(ref);
  for (int attempt = 0;; ++attempt) {
    SKIFF_ASSIGN_OR_RETURN(json object, Get(ref));
    SKIFF_RETURN_IF_ERROR(mutate(object));
    // The resourceVersion read above makes the PUT conditional.
    SKIFF_ASSIGN_OR_RETURN(HttpResponse response,
                           Call("PUT", path, "application/json", object.dump(), what));
    if (Ok2xx(response.status)) return ParseBody(response, what);
    if (response.status == 409 && attempt < options_.conflict_retries) continue;
    Status error = ApiError(response.status, response.body, what);
    if (response.status == 409) {
      return Status(error.code(), error.message() + " (still conflicting after " +
                                      std::to_string(attempt + 1) + " attempts)");
    }
    return error;
  }
}

StatusOr<RolloutStatus> KubeClient::CheckRollout(const std::string& namespace_,
                                                 const std::string& deployment) {
  SKIFF_ASSIGN_OR_RETURN(json object, Get({"apps/v1", "Deployment", namespace_, deployment}));
  return EvaluateWithPods(namespace_, object);
}

StatusOr<RolloutStatus> KubeClient::EvaluateWithPods(const std::string& namespace_,
                                                     const json& object) {
  RolloutStatus status = EvaluateRollout(object, json());
  if (status.phase == RolloutPhase::kComplete) return status;
  const json spec = object.value("spec", json::object());
  SKIFF_ASSIGN_OR_RETURN(std::string selector,
                         SelectorFromMatchLabels(spec.value("selector", json())));
  SKIFF_ASSIGN_OR_RETURN(std::vector<json> pods, List("v1", "Pod", namespace_, selector));
  return EvaluateRollout(object, json{{"items", std::move(pods)}});
}

StatusOr<bool> KubeClient::WatchDeployment(const std::string& namespace_, const std::string& name,
                                           const std::string& resource_version,
                                           std::chrono::milliseconds limit) {
  SKIFF_ASSIGN_OR_RETURN(std::string path, CollectionPath("apps/v1", "Deployment", namespace_));
  const auto seconds = std::max<int64_t>(1, (limit.count() + 999) / 1000);
  path += "?watch=true&fieldSelector=" + FormEncode("metadata.name=" + name) +
          "&resourceVersion=" + FormEncode(resource_version) +
          "&timeoutSeconds=" + std::to_string(seconds);
  bool changed = false;
  std::string pending;
  // Each line of a watch stream is one JSON event; any event ends this watch.
  StatusOr<HttpResponse> response =
      transport_->Stream(MakeRequest("GET", path), [&](std::string_view data) {
        pending.append(data);
        size_t newline;
        while ((newline = pending.find('\n')) != std::string::npos) {
          const json event = json::parse(pending.substr(0, newline), nullptr, false);
          pending.erase(0, newline + 1);
          if (event.is_object() && event.value("type", "") != "BOOKMARK") changed = true;
        }
        return !changed && pending.size() < 4 * 1024 * 1024;
      });
  if (!response.ok()) return response.status();
  if (!Ok2xx(response->status)) {
    return ApiError(response->status, response->body,
                    "watch Deployment " + namespace_ + "/" + name);
  }
  return changed;
}

StatusOr<RolloutStatus> KubeClient::WaitForRollout(
    const std::string& namespace_, const std::string& deployment, std::chrono::milliseconds timeout,
    const std::function<void(const RolloutStatus&)>& progress) {
  const auto deadline = clock_->Now() + timeout;
  const ObjectRef ref{"apps/v1", "Deployment", namespace_, deployment};
  for (;;) {
    SKIFF_ASSIGN_OR_RETURN(json object, Get(ref));
    SKIFF_ASSIGN_OR_RETURN(RolloutStatus status, EvaluateWithPods(namespace_, object));
    if (progress) progress(status);
    if (status.phase != RolloutPhase::kProgressing) return status;
    const auto remaining =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_->Now());
    if (remaining.count() <= 0) {
      return DeadlineExceeded("rollout of Deployment " + namespace_ + "/" + deployment +
                              " did not finish within " + std::to_string(timeout.count() / 1000) +
                              " s: " + ProgressText(status));
    }
    // The watch must end (timeoutSeconds) before the transport's read timeout.
    const auto limit =
        std::min({remaining, options_.watch_interval,
                  std::max(std::chrono::milliseconds(1000), options_.request_timeout / 2)});
    const std::string rv = object.value("metadata", json::object()).value("resourceVersion", "");
    StatusOr<bool> changed = WatchDeployment(namespace_, deployment, rv, limit);
    // A failed watch (an API server or proxy without watch support) falls
    // back to polling: wait out the interval, then look again.
    if (!changed.ok()) clock_->Sleep(std::min(limit, std::chrono::milliseconds(1000)));
  }
}

StatusOr<std::string> KubeClient::PrefixedPodLogs(const std::string& namespace_,
                                                  const std::string& label_selector,
                                                  int tail_lines, const std::string& container) {
  SKIFF_ASSIGN_OR_RETURN(std::vector<json> pods, List("v1", "Pod", namespace_, label_selector));
  if (pods.empty()) {
    return NotFound("no pod in namespace " + namespace_ + " matches " + label_selector);
  }
  std::vector<std::string> names;
  for (const auto& pod : pods) {
    names.push_back(pod.value("metadata", json::object()).value("name", ""));
  }
  std::sort(names.begin(), names.end());
  std::string out;
  for (const auto& name : names) {
    // One pod at a time, through PodLogs' own path and query.
    SKIFF_ASSIGN_OR_RETURN(std::string path, ObjectPath({"v1", "Pod", namespace_, name}));
    path += "/log?container=" + FormEncode(container);
    if (tail_lines > 0) path += "&tailLines=" + std::to_string(tail_lines);
    const std::string what = "logs of pod " + namespace_ + "/" + name;
    SKIFF_ASSIGN_OR_RETURN(HttpResponse response, Call("GET", path, "", "", what));
    if (!Ok2xx(response.status)) return ApiError(response.status, response.body, what);
    const std::string prefix = "[pod/" + name + "/" + container + "] ";
    size_t i = 0;
    while (i < response.body.size()) {
      size_t j = response.body.find('\n', i);
      if (j == std::string::npos) j = response.body.size();
      out.append(prefix).append(response.body, i, j - i).push_back('\n');
      i = j + 1;
    }
  }
  return out;
}

StatusOr<std::string> KubeClient::PodLogs(const std::string& namespace_,
                                          const std::string& label_selector, int tail_lines,
                                          const std::string& container) {
  SKIFF_ASSIGN_OR_RETURN(std::vector<json> pods, List("v1", "Pod", namespace_, label_selector));
  if (pods.empty()) {
    return NotFound("no pod in namespace " + namespace_ + " matches " + label_selector);
  }
  std::vector<std::string> names;
  for (const auto& pod : pods) {
    names.push_back(pod.value("metadata", json::object()).value("name", ""));
  }
  std::sort(names.begin(), names.end());
  std::string out;
  for (const auto& name : names) {
    SKIFF_ASSIGN_OR_RETURN(std::string path, ObjectPath({"v1", "Pod", namespace_, name}));
    path += "/log";
    std::string query;
    if (tail_lines > 0) query += "&tailLines=" + std::to_string(tail_lines);
    if (!container.empty()) query += "&container=" + FormEncode(container);
    if (!query.empty()) path += "?" + query.substr(1);
    const std::string what = "logs of pod " + namespace_ + "/" + name;
    SKIFF_ASSIGN_OR_RETURN(HttpResponse response, Call("GET", path, "", "", what));
    if (!Ok2xx(response.status)) return ApiError(response.status, response.body, what);
    if (names.size() > 1) out += "==> pod " + name + " <==\n";
    out += response.body;
    if (!response.body.empty() && response.body.back() != '\n') out += "\n";
  }
  return out;
}

Status KubeClient::StreamPodLog(const std::string& namespace_, const std::string& pod,
                                const PodLogQuery& query,
                                const std::function<bool(std::string_view)>& on_data,
                                const net::StreamOptions& stream) {
  SKIFF_ASSIGN_OR_RETURN(std::string path, ObjectPath({"v1", "Pod", namespace_, pod}));
  path += "/log?container=" + FormEncode(query.container);
  if (query.follow) path += "&follow=true";
  if (query.timestamps) path += "&timestamps=true";
  if (query.tail_lines >= 0) path += "&tailLines=" + std::to_string(query.tail_lines);
  if (!query.since_time.empty()) path += "&sinceTime=" + FormEncode(query.since_time);
  const std::string what = "logs of pod " + namespace_ + "/" + pod + " container " + query.container;
  // Straight to the transport, as a watch: a retried stream would hand out
  // its lines twice, so the caller resumes instead (since_time).
  StatusOr<HttpResponse> response =
      transport_->Stream(MakeRequest("GET", path), on_data, stream);
  if (!response.ok()) {
    if (response.status().code() == StatusCode::kCancelled) return OkStatus();  // on_data said stop
    return response.status().WithContext(what);
  }
  if (!Ok2xx(response->status)) return ApiError(response->status, response->body, what);
  return OkStatus();
}

namespace {

// False for a pod the Service would not send traffic to. A pod with no
// status yet (or no Ready condition) is asked: the read then says why.
bool PodCanAnswer(const json& pod) {
  if (pod.value("metadata", json::object()).contains("deletionTimestamp")) return false;
  const json status = pod.value("status", json::object());
  const std::string phase = status.value("phase", "");
  if (phase == "Pending" || phase == "Failed" || phase == "Succeeded") return false;
  for (const json& c : status.value("conditions", json::array())) {
    if (c.value("type", "") == "Ready" && c.value("status", "") == "False") return false;
  }
  return true;
}

}  // namespace

StatusOr<std::map<std::string, std::string>> KubeClient::PodProxyGet(
    const std::string& namespace_, const std::string& label_selector, int port,
    const std::string& path, std::optional<std::chrono::milliseconds> budget) {
  SKIFF_ASSIGN_OR_RETURN(std::vector<json> pods, List("v1", "Pod", namespace_, label_selector));
  if (pods.empty()) {
    return NotFound("no pod in namespace " + namespace_ + " matches " + label_selector);
  }
  std::map<std::string, std::string> out;
  std::vector<std::string> skipped;
  for (const auto& pod : pods) {
    const std::string name = pod.value("metadata", json::object()).value("name", "");
    if (!PodCanAnswer(pod)) {
      skipped.push_back(name);
      continue;
    }
    SKIFF_ASSIGN_OR_RETURN(std::string object, ObjectPath({"v1", "Pod", namespace_, name}));
    // The proxy addresses a pod as NAME:PORT.
    const std::string url = object + ":" + std::to_string(port) + "/proxy" + path;
    const std::string what = "GET " + path + " of pod " + namespace_ + "/" + name;
    SKIFF_ASSIGN_OR_RETURN(HttpResponse response, Call("GET", url, "", "", what, budget));
    if (!Ok2xx(response.status)) return ApiError(response.status, response.body, what);
    out[name] = response.body;
  }
  if (out.empty()) {
    std::string names;
    for (const auto& n : skipped) names += (names.empty() ? "" : ", ") + n;
    return Unavailable("no pod in namespace " + namespace_ + " matching " + label_selector +
                       " is ready to answer (" + names + ": pending, not ready or terminating)");
  }
  return out;
}

StatusOr<HttpResponse> KubeClient::PodProxyGetOne(const std::string& namespace_,
                                                  const std::string& pod, int port,
                                                  const std::string& path_and_query,
                                                  std::chrono::milliseconds budget) {
  SKIFF_ASSIGN_OR_RETURN(std::string object, ObjectPath({"v1", "Pod", namespace_, pod}));
  const std::string path = path_and_query.substr(0, path_and_query.find('?'));
  return Call("GET", object + ":" + std::to_string(port) + "/proxy" + path_and_query, "", "",
              "GET " + path + " of pod " + namespace_ + "/" + pod, budget);
}

}  // namespace skiff::compute_aks::kube
