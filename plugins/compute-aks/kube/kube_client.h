// SPDX-License-Identifier: Apache-2.0
// KubeClient: the Kubernetes API calls skiff needs to run a service on a
// cluster, over the compute-aks HTTPS transport (Beast + OpenSSL).
//
//  - Apply: server-side apply (PATCH application/apply-patch+yaml,
//    ?fieldManager=skiff); conflicts with other managers are errors that
//    name the fields and managers; force only when asked.
//  - Get / List (label selector) / Delete (propagation policy).
//  - Update: read-modify-write with the resourceVersion; a 409 (someone
//    else wrote in between) re-reads and retries, a bounded number of times.
//  - 429 (and 5xx on GET/PUT/DELETE) is retried after Retry-After or a
//    backoff, within RetryOptions::total (retry_sender.h).
//  - CheckRollout / WaitForRollout: deployment rollout status (see
//    rollout_status.h); WaitForRollout watches the deployment and re-checks
//    its pods at least every watch_interval.
//  - PodLogs: the logs of the pods matching a selector; StreamPodLog: one
//    container's log followed (pod_log_follower.h follows several pods).
//
// Threading: all methods may be called concurrently.
#pragma once

#include <chrono>
#include <optional>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "kubeconfig.h"
#include "resource_path.h"
#include "rollout_status.h"
#include "skiff/status.h"
#include "transport/clock.h"
#include "transport/http_transport.h"
#include "transport/retry_sender.h"

namespace skiff::compute_aks::kube {

struct KubeClientOptions {
  Kubeconfig config;  // server, TLS material and credentials (see kubeconfig.h)
  std::string field_manager = "skiff";
  // 429/5xx retries: at most `total` per call; Retry-After is honoured.
  RetryOptions retry{BackoffOptions{std::chrono::milliseconds(500), std::chrono::seconds(10)},
                     std::chrono::seconds(60), 0};
  int conflict_retries = 5;                              // Update(): re-reads after a 409
  std::chrono::milliseconds request_timeout{30 * 1000};  // per connect/handshake/read step
  // WaitForRollout: longest time between two pod checks (the watch's timeoutSeconds).
  std::chrono::milliseconds watch_interval{5 * 1000};
  std::shared_ptr<Clock> clock;              // null: RealClock()
  std::shared_ptr<HttpTransport> transport;  // null: the core HTTP client, set up from `config`
};

enum class DeletePropagation { kForeground, kBackground, kOrphan };

// One container's log as GET .../pods/POD/log reads it (the API's query).
struct PodLogQuery {
  std::string container;   // required by the API server for multi-container pods
  bool follow = true;      // keep the stream open for new lines
  bool timestamps = true;  // each line starts "RFC3339Nano " (to resume without repeats)
  int tail_lines = -1;     // the last N lines first; < 0: all of it
  std::string since_time;  // RFC 3339, whole seconds: only lines from then on; "" : all
};

struct ApplyOptions {
  bool force = false;  // take over fields owned by other managers
};

class KubeClient {
 public:
  // InvalidArgument for a non-loopback http:// server, a server URL with a
  // path, or an empty field_manager. Nothing is sent.
  static StatusOr<std::unique_ptr<KubeClient>> Create(KubeClientOptions options);

  // GET /version, authenticated: proves the server, its certificate and
  // the credentials (an exec plugin runs) before a target is recorded.
  StatusOr<nlohmann::json> ServerVersion();

  // Server-side applies `object` (JSON; apiVersion, kind, metadata.name;
  // metadata.namespace defaults to the kubeconfig context's namespace, then
  // "default"). Returns the object as stored. kAborted for a conflict
  // (message: field, manager), kInvalidArgument for 422/unknown kinds.
  StatusOr<nlohmann::json> Apply(const nlohmann::json& object, const ApplyOptions& options = {});
  // kNotFound when absent.
  StatusOr<nlohmann::json> Get(const ObjectRef& ref);
  // The items of a LIST (namespace "" only for cluster-scoped kinds);
  // `label_selector` like "app=x,tier!=cache" ("" for all). With `budget`,
  // retries included, as PodProxyGet.
  StatusOr<std::vector<nlohmann::json>> List(
      const std::string& api_version, const std::string& kind, const std::string& namespace_,
      const std::string& label_selector,
      std::optional<std::chrono::milliseconds> budget = std::nullopt);
  // kNotFound when absent (callers deleting idempotently treat it as done).
  Status Delete(const ObjectRef& ref,
                DeletePropagation propagation = DeletePropagation::kBackground);
  // GET, mutate, PUT with the read resourceVersion; on 409 re-read and
  // retry up to conflict_retries times. `mutate` must be repeatable.
  StatusOr<nlohmann::json> Update(const ObjectRef& ref,
                                  const std::function<Status(nlohmann::json&)>& mutate);

  // One look at a deployment and (when not complete) its pods, listed by
  // the deployment's spec.selector.matchLabels.
  StatusOr<RolloutStatus> CheckRollout(const std::string& namespace_,
                                       const std::string& deployment);
  // Until the rollout is complete (OK, the last status), Unhealthy or
  // Failed (OK, that status: the caller decides), or `timeout` passes
  // (kDeadlineExceeded naming the progress reached). `progress` (may be
  // empty) is called with each status seen.
  StatusOr<RolloutStatus> WaitForRollout(
      const std::string& namespace_, const std::string& deployment,
      std::chrono::milliseconds timeout,
      const std::function<void(const RolloutStatus&)>& progress = {});

  // The last `tail_lines` lines (0: all) of each pod matching the selector,
  // pods sorted by name, each block headed "==> pod NAME <==" when more than
  // one pod matches. `container` may be "" only for single-container pods
  // (the API server refuses otherwise). kNotFound when no pod matches.
  StatusOr<std::string> PodLogs(const std::string& namespace_, const std::string& label_selector,
                                int tail_lines, const std::string& container = "");
  // As PodLogs, but every line prefixed with where it came from, as
  // `kubectl logs --prefix` does: "[pod/NAME/CONTAINER] line". For logs of
  // several pods read as one (the router's beside the versions').
  StatusOr<std::string> PrefixedPodLogs(const std::string& namespace_,
                                        const std::string& label_selector, int tail_lines,
                                        const std::string& container);

  // Streams one container's log (GET .../pods/POD/log with `query`): the
  // bytes as they arrive, in pieces (not lines), to `on_data`, plus an
  // empty piece every `stream.idle_tick` while nothing comes; `on_data`
  // returning false ends it. Credentials and TLS as every other call; no
  // retries (the caller resumes with since_time). OK when the server ended
  // the stream (the container stopped) or `on_data` did; kNotFound when the
  // pod is gone; kDeadlineExceeded after `stream.read_idle_limit` without a
  // byte; kAborted when the connection failed (keepalive found the peer
  // gone); the API server's refusal otherwise (403: `get` on pods/log).
  Status StreamPodLog(const std::string& namespace_, const std::string& pod,
                      const PodLogQuery& query,
                      const std::function<bool(std::string_view)>& on_data,
                      const net::StreamOptions& stream);

  // GET `path` on `port` of each pod matching the selector through the API
  // server's pod proxy (/api/v1/namespaces/NS/pods/NAME:PORT/proxy/PATH):
  // the body by pod name. Pods that cannot answer are left out, as the
  // Service leaves them out of its endpoints: Pending, Failed or Succeeded,
  // being deleted, or reporting Ready=False (crash-looping); otherwise one
  // such router stuck in a rollout failed every read, and a progressive
  // rollout polled it for ever. kNotFound when no pod matches;
  // kUnavailable when none is left to ask. With `budget`, each
  // pod's GET (its retries included) gets at most that long: a pod that does
  // not answer fails the read quickly instead of being retried for minutes.
  StatusOr<std::map<std::string, std::string>> PodProxyGet(
      const std::string& namespace_, const std::string& label_selector, int port,
      const std::string& path,
      std::optional<std::chrono::milliseconds> budget = std::nullopt);

  // GET `path_and_query` on `port` of pod `pod` through the pod proxy, for
  // a caller that pages (a router's GET /exposure): the reply whatever its
  // status (its headers too), within `budget`, retries included; transport
  // errors as a Status naming the pod.
  StatusOr<HttpResponse> PodProxyGetOne(const std::string& namespace_, const std::string& pod,
                                        int port, const std::string& path_and_query,
                                        std::chrono::milliseconds budget);

  const std::string& default_namespace() const { return default_namespace_; }

 private:
  explicit KubeClient(KubeClientOptions options);

  // One request through the retry sender. A transport error becomes a
  // Status naming `what`; any HTTP reply is returned for the caller to judge.
  StatusOr<HttpResponse> Call(const std::string& method, const std::string& path_and_query,
                              const std::string& content_type, const std::string& body,
                              const std::string& what,
                              std::optional<std::chrono::milliseconds> budget = std::nullopt);
  HttpRequest MakeRequest(const std::string& method, const std::string& path_and_query) const;
  StatusOr<RolloutStatus> EvaluateWithPods(const std::string& namespace_,
                                           const nlohmann::json& deployment);
  // Watches one deployment from `resource_version` until an event arrives
  // or `limit` passes. True when something changed.
  StatusOr<bool> WatchDeployment(const std::string& namespace_, const std::string& name,
                                 const std::string& resource_version,
                                 std::chrono::milliseconds limit);

  const KubeClientOptions options_;
  std::string default_namespace_;
  std::shared_ptr<Clock> clock_;
  std::shared_ptr<HttpTransport> transport_;
  std::unique_ptr<RetrySender> sender_;
};

// "app=x,tier=web" from a matchLabels map (keys sorted); InvalidArgument
// when the selector uses matchExpressions only or is empty.
StatusOr<std::string> SelectorFromMatchLabels(const nlohmann::json& selector);

}  // namespace skiff::compute_aks::kube
