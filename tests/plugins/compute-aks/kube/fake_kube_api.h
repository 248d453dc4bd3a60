// SPDX-License-Identifier: Apache-2.0
// FakeKubeApi: a loopback stand-in for a Kubernetes API server (on the
// shared LoopbackHttpServer: 127.0.0.1, port 0, plain http or TLS with a
// TestPki). It enforces the
// semantics skiff relies on instead of answering 200:
//  - authentication: the bearer token (or one added with AcceptToken) or a
//    client certificate signed by the test CA (401 Status otherwise);
//  - authorization, when restricted to one namespace: 403 Forbidden for
//    cluster-scope requests, as RBAC answers a namespace-scoped identity;
//  - server-side apply: PATCH needs Content-Type application/apply-patch+yaml
//    (415) and ?fieldManager= (400); each leaf field is owned by the managers
//    that applied it; applying a different value to a field another manager
//    owns is a 409 Conflict Status listing each field and owner unless
//    ?force=true; fields a manager stops applying are removed (lists are
//    atomic, a simplification of list-map merging);
//  - resourceVersion: a cluster-wide counter bumped on every change;
//    generation bumped on spec changes; PUT without or with a stale
//    metadata.resourceVersion is 422 / 409;
//  - 404 for missing objects and namespaces; 422 (Invalid, with causes) for
//    objects whose kind/apiVersion do not match the URL, without
//    metadata.name, or Deployments whose selector does not match the template;
//  - LIST with labelSelector (=, ==, !=, bare key) and fieldSelector
//    metadata.name=; watch (?watch=true) streams ADDED/MODIFIED/DELETED
//    events until timeoutSeconds; DELETE with propagationPolicy;
//    pods/{name}/log with tailLines; with follow=true a chunked stream
//    that stays open (new lines as AppendPodLog adds them) until the pod is
//    deleted or EndPodLogStreams ends it (StallPodLogStreams silences it),
//    with timestamps=true (line i of a pod is stamped
//    2026-12-06T00:00:00Z + i ms) and sinceTime;
//  - discovery (/version, /api, /apis, /api/v1, /apis/<group>/<version>)
//    so that kubectl can talk to it.
// Tests script faults (429 + Retry-After, ...), drive Deployment status and
// pods, and simulate concurrent writers.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "loopback_http_server.h"
#include "test_pki.h"

namespace skiff::compute_aks::kube::testing {

// A request as the server logged it (method, target, body, lower-case
// headers, whether a verified client certificate came with it).
using KubeRequest = ::skiff::test_support::LoopbackRequest;

// The next `times` requests whose "METHOD target" contains `match` get
// `status` with `headers` and a Status body.
using KubeFault = ::skiff::test_support::LoopbackFault;

class FakeKubeApi {
 public:
  static constexpr const char* kToken = "test-token-7f3a";

  // pki == nullptr: plain http.
  explicit FakeKubeApi(const TestPki* pki = nullptr);
  ~FakeKubeApi();

  std::string url() const;  // http(s)://127.0.0.1:<port>

  // A kubeconfig for this server: bearer token, or the PKI's client
  // certificate (TLS only), CA data when TLS.
  enum class Auth { kToken, kClientCert };
  std::string KubeconfigYaml(Auth auth, const std::string& namespace_ = "") const;

  void AddFault(KubeFault fault);
  // Bearer tokens accepted besides kToken (an exec plugin's), and revoked
  // again (the next request with it gets 401).
  void AcceptToken(const std::string& token);
  void RevokeToken(const std::string& token);
  // From now on the caller is a namespace-scoped identity (a RoleBinding in
  // `ns`, as a cluster admin grants a team): requests in other namespaces,
  // to cluster-scoped resources, and any write to the Namespace object
  // itself are 403 Forbidden; GET of namespace `ns` is served. "" lifts it.
  void RestrictToNamespace(const std::string& ns);
  // Before each of the next `n` PUTs, another writer changes the object
  // (its resourceVersion moves on), so a PUT based on an earlier read is stale.
  void InterfereWithNextUpdates(int n);
  // Deployments' status becomes complete as soon as they change (for tests
  // of callers that just need a deploy to finish).
  void SetAutoRollout(bool on);

  // Server-side apply as `manager`, bypassing HTTP; the HTTP status.
  int ApplyAs(const std::string& manager, const nlohmann::json& object, bool force = false);
  // Replaces status of Deployment ns/name (bumps resourceVersion, wakes watches).
  void SetDeploymentStatus(const std::string& ns, const std::string& name, nlohmann::json status);
  // Replaces the status of the object at an API path (as a controller
  // would: e.g. a Service's load-balancer address).
  void SetStatus(const std::string& path, nlohmann::json status);
  // Adds or replaces a Pod (metadata.name/namespace/labels, spec, status).
  void PutPod(nlohmann::json pod, std::string log = "");

  // Appends `lines` (whole lines, newline-terminated) to pod ns/pod's log;
  // open follow streams of it get them at once.
  void AppendPodLog(const std::string& ns, const std::string& pod, const std::string& lines);
  // Deletes pod ns/pod as a rollout does (a DELETED event); its follow
  // streams end. False when there is no such pod.
  bool DeletePod(const std::string& ns, const std::string& pod);
  // Ends the open follow streams of pod ns/pod (its log stays), as the
  // kubelet does when the container restarts.
  void EndPodLogStreams(const std::string& ns, const std::string& pod);
  // The open follow streams of pod ns/pod go silent for good: no byte more,
  // yet the connection stays open (until the server stops), as behind a
  // stalled proxy or load balancer that keeps ACKing. Streams opened later
  // are served as usual.
  void StallPodLogStreams(const std::string& ns, const std::string& pod);

  // What GET .../pods/POD:PORT/proxy/PATH answers (a router pod's /metrics).
  void SetPodProxyBody(const std::string& ns, const std::string& pod, int port,
                       const std::string& path, std::string body);
  // GET .../pods/POD:PORT/proxy/PATH is relayed to `origin` + "/PATH" (a
  // real server on loopback standing in for the pod's container, such as a
  // router's metrics listener), as the API server relays to the pod; the
  // caller's Authorization stays with the API server. Wins over
  // SetPodProxyBody for that pod and port; "" removes it.
  void SetPodProxyUpstream(const std::string& ns, const std::string& pod, int port,
                           std::string origin);
  // The stored object at an API path ("/apis/apps/v1/namespaces/ns/deployments/x").
  std::optional<nlohmann::json> Object(const std::string& path) const;
  // The managers owning field `pointer` ("/spec/replicas") of the object at `path`.
  std::set<std::string> Owners(const std::string& path, const std::string& pointer) const;
  std::vector<KubeRequest> requests() const;
  int Count(const std::string& method, const std::string& contains) const;

  struct Route;  // a parsed resource URL (internal; public for the parser)

 private:
  struct Stored {
    nlohmann::json object;
    std::map<std::string, std::set<std::string>> owners;  // JSON pointer -> managers
  };
  struct Reply {
    int status = 200;
    std::map<std::string, std::string> headers;
    std::string body;
    std::string content_type = "application/json";
    // Set: Answer() relays the request to this origin, with relay_target as
    // its target, outside the lock (a pod-proxy upstream).
    std::string relay_to = "";
    std::string relay_target = "";
  };

  ::skiff::test_support::LoopbackResponse Answer(const KubeRequest& r);
  // Answers one request; a watch is status -1 (Answer() streams it).
  Reply Dispatch(const KubeRequest& r, bool client_cert_ok);
  Reply Resource(const KubeRequest& r, const Route& route);
  Reply Apply(const Route& route, const nlohmann::json& body, const std::string& manager,
              bool force);
  Reply Update(const Route& route, const nlohmann::json& body, const std::string& manager);
  Reply Delete(const Route& route, const std::string& propagation);
  Reply ListOrGet(const Route& route, const std::map<std::string, std::string>& query);
  Reply Logs(const Route& route, const std::map<std::string, std::string>& query);
  // `content`: also the kind's own rules (a Deployment's selector/template).
  std::optional<Reply> Validate(const Route& route, const nlohmann::json& body, bool content);
  void Commit(const std::string& path, Stored stored, const char* event);  // bumps the RV
  void AutoRollout(nlohmann::json& object);
  void Watch(const ::skiff::test_support::ChunkWriter& write, const Route& route,
             const std::map<std::string, std::string>& query);
  // A pods/{name}/log?follow=true stream (Logs() checked the request).
  void FollowLog(const ::skiff::test_support::ChunkWriter& write, const std::string& pod_path,
                 const std::map<std::string, std::string>& query);

  const TestPki* pki_;
  std::atomic<bool> stop_{false};  // ends watches

  mutable std::mutex mu_;            // guards everything below but server_
  std::condition_variable changed_;  // notified on every commit and on stop
  std::vector<KubeFault> faults_;
  std::set<std::string> extra_tokens_;
  std::string only_namespace_;  // "" : unrestricted
  int interfere_ = 0;
  bool auto_rollout_ = false;
  int64_t resource_version_ = 100;
  std::map<std::string, Stored> objects_;    // key: API path
  std::map<std::string, std::string> logs_;  // pod path -> log text
  std::map<std::string, uint64_t> log_epochs_;  // pod path -> EndPodLogStreams calls
  std::map<std::string, uint64_t> log_stalls_;  // pod path -> StallPodLogStreams calls
  std::map<std::string, std::string> proxy_bodies_;  // proxy path -> body
  // ".../pods/POD:PORT" -> the origin its proxy relays to.
  std::map<std::string, std::string> proxy_upstreams_;
  // Watch history: (resourceVersion, event type, path, object).
  struct Event {
    int64_t rv;
    std::string type, path;
    nlohmann::json object;
  };
  std::vector<Event> events_;

  // Last: stopped (its threads joined) before the state above goes.
  ::skiff::test_support::LoopbackHttpServer server_;
};

}  // namespace skiff::compute_aks::kube::testing
