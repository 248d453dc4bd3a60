// SPDX-License-Identifier: Apache-2.0
#include "service_lifecycle.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <limits>
#include <sstream>

#include "k8s/labels.h"
#include "kube/api_error.h"
#include "k8s/pod_paths.h"
#include "skiff/util/debug_log.h"
#include "k8s/router_objects.h"
#include "kube/pod_log_follower.h"
#include "skiff/exposure_page.h"
#include "skiff/metrics/load_report.h"
#include "skiff/util/atomic_file.h"
#include "skiff/util/file.h"
#include "skiff/util/url.h"

namespace skiff::compute_aks {
namespace {

using nlohmann::json;

struct KindInfo {
  const char* api_version;
  const char* kind;
  // A custom resource: a cluster without its CRD answers the LIST 404, and
  // then holds none to delete.
  bool custom = false;
};
// What the renderer emits for a service, Namespace aside; deleted in this
// order (front end first, so no traffic reaches a half-deleted version).
constexpr KindInfo kServiceKinds[] = {{"monitoring.coreos.com/v1", "ServiceMonitor", true},
                                      {"v1", "Service"},
                                      {"apps/v1", "Deployment"},
                                      {"autoscaling/v2", "HorizontalPodAutoscaler"},
                                      {"policy/v1", "PodDisruptionBudget"},
                                      {"networking.k8s.io/v1", "NetworkPolicy"},
                                      {"v1", "ConfigMap"},
                                      {"v1", "Secret"}};

std::string Selector(const std::string& service) {
  return std::string(k8s::kServiceLabel) + "=" + service;
}

std::string KeyOf(const json& object) {
  return object.value("kind", "") + "/" + object["metadata"].value("name", "");
}

int Severity(kube::RolloutPhase phase) {
  switch (phase) {
    case kube::RolloutPhase::kComplete:
      return 0;
    case kube::RolloutPhase::kProgressing:
      return 1;
    case kube::RolloutPhase::kUnhealthy:
      return 2;
    case kube::RolloutPhase::kFailed:
      return 3;
  }
  return 1;
}

// The generation a rendered Deployment carries (k8s/labels.h); -1 for one
// rendered before skiff recorded it.
int64_t GenerationOf(const json& deployment) {
  const json annotations = deployment.value("/metadata/annotations"_json_pointer, json::object());
  if (!annotations.is_object()) return -1;
  const json value = annotations.value(k8s::kGenerationAnnotation, json());
  if (!value.is_string()) return -1;
  try {
    size_t used = 0;
    const int64_t g = std::stoll(value.get<std::string>(), &used);
    return used == value.get<std::string>().size() && g >= 0 ? g : -1;
  } catch (const std::exception&) {
    return -1;
  }
}

// The pods of `deployment` among `pods`: those whose labels carry every
// label of its spec.selector.matchLabels.
json PodsOf(const json& deployment, const std::vector<json>& pods) {
  const json match = deployment.value("/spec/selector/matchLabels"_json_pointer, json::object());
  json out = json::array();
  if (!match.is_object() || match.empty()) return out;
  for (const json& pod : pods) {
    const json labels = pod.value("/metadata/labels"_json_pointer, json::object());
    if (!labels.is_object()) continue;
    bool all = true;
    for (const auto& [key, value] : match.items()) {
      all = all && labels.contains(key) && labels[key] == value;
    }
    if (all) out.push_back(pod);
  }
  return out;
}

}  // namespace

StatusOr<std::unique_ptr<ServiceLifecycle>> ServiceLifecycle::Create(std::string target_dir,
                                                                     std::string target_name,
                                                                     const std::string& kubeconfig,
                                                                     const std::string& context) {
  kube::KubeconfigOptions kubeconfig_options;
  kubeconfig_options.context = context;
  auto config = kube::LoadKubeconfig(
      kubeconfig.empty() ? target_dir + "/kubeconfig" : kubeconfig, kubeconfig_options);
  if (!config.ok()) {
    if (!kubeconfig.empty()) {
      return config.status().WithContext("compute target '" + target_name + "'");
    }
    if (config.status().code() == StatusCode::kNotFound) {
      return FailedPrecondition("compute target '" + target_name +
                                "' has no kubeconfig yet; if it was created with --no-wait, run "
                                "`skiff computetarget wait -n " +
                                target_name + "` first");
    }
    return config.status().WithContext("compute target '" + target_name + "'");
  }
  kube::KubeClientOptions options;
  options.config = std::move(config).value();
  SKIFF_ASSIGN_OR_RETURN(auto client, kube::KubeClient::Create(std::move(options)));
  return std::unique_ptr<ServiceLifecycle>(
      new ServiceLifecycle(std::move(target_dir), std::move(client)));
}

std::string ServiceLifecycle::RecordPath(const std::string& service) const {
  return target_dir_ + "/services/" + service + ".json";
}

StatusOr<std::string> ServiceLifecycle::NamespaceOf(const std::string& service) const {
  auto text = ReadFile(RecordPath(service));
  if (!text.ok()) return NotFound("service '" + service + "' is not deployed on this target");
  json record = json::parse(*text, nullptr, false);
  if (!record.is_object() || !record.contains("namespace") || !record["namespace"].is_string()) {
    return DataLoss(RecordPath(service) + " is damaged; delete the service and deploy it again");
  }
  return record["namespace"].get<std::string>();
}

Status ServiceLifecycle::Apply(const std::string& service, const std::vector<json>& objects) {
  std::string ns;
  std::vector<std::string> keep;
  for (const json& object : objects) {
    if (object.value("kind", "") == "Namespace") {
      ns = object["metadata"].value("name", "");
    } else {
      keep.push_back(KeyOf(object));
      if (ns.empty()) ns = object["metadata"].value("namespace", "");
    }
  }
  if (ns.empty()) return InvalidArgument("the rendered objects name no namespace");
  ::mkdir((target_dir_ + "/services").c_str(), 0700);
  SKIFF_RETURN_IF_ERROR(WriteFileAtomically(
      RecordPath(service), json{{"namespace", ns}, {"objects", keep}}.dump(2) + "\n", 0600));
  for (const json& object : objects) {
    auto applied = client_->Apply(object);
    if (!applied.ok() && object.value("kind", "") == "Namespace" &&
        applied.status().code() == StatusCode::kPermissionDenied) {
      SKIFF_RETURN_IF_ERROR(UsePrecreatedNamespace(ns, applied.status()));
      continue;
    }
    if (!applied.ok()) {
      return applied.status().WithContext("applying " + KeyOf(object) + " in namespace " + ns);
    }
  }
  return Prune(ns, service, keep);
}

Status ServiceLifecycle::UsePrecreatedNamespace(const std::string& ns, const Status& refused) {
  // A namespace-scoped identity (a RoleBinding in `ns`) may read its own
  // namespace but not apply it. When it exists, an admin made it for us.
  auto existing = client_->Get({"v1", "Namespace", "", ns});
  if (existing.ok()) {
    DebugLog("namespace " + ns + " exists and these credentials may not apply it (" +
              refused.message() + "): using it as it is");
    return OkStatus();
  }
  if (existing.status().code() == StatusCode::kNotFound) {
    return PermissionDenied("namespace " + ns +
                            " does not exist and these credentials may not create it (" +
                            refused.message() + "); ask a cluster admin to create it (kubectl "
                            "create namespace " + ns + ") and to grant you a role in it");
  }
  // Neither applied nor readable: the apply's refusal says most.
  return refused.WithContext("applying Namespace/" + ns);
}

Status ServiceLifecycle::Prune(const std::string& ns, const std::string& service,
                               const std::vector<std::string>& keep) {
  for (const KindInfo& k : kServiceKinds) {
    auto listed = client_->List(k.api_version, k.kind, ns, Selector(service));
    if (!listed.ok() && k.custom && listed.status().code() == StatusCode::kNotFound) continue;
    SKIFF_ASSIGN_OR_RETURN(auto items, std::move(listed));
    for (json& item : items) {
      if (!item.contains("kind")) item["kind"] = k.kind;
      if (std::find(keep.begin(), keep.end(), KeyOf(item)) != keep.end()) continue;
      Status deleted =
          client_->Delete({k.api_version, k.kind, ns, item["metadata"].value("name", "")});
      if (!deleted.ok() && deleted.code() != StatusCode::kNotFound) return deleted;
    }
  }
  return OkStatus();
}

StatusOr<ServiceStatus> ServiceLifecycle::State(const std::string& service, bool count_restarts) {
  SKIFF_ASSIGN_OR_RETURN(std::string ns, NamespaceOf(service));
  // One LIST of the Deployments, one of the pods only while a rollout is
  // unfinished (or restarts are asked for), one GET of the front end once
  // all are done: at most two API calls a look, however many versions (three
  // with `count_restarts`).
  SKIFF_ASSIGN_OR_RETURN(auto deployments,
                         client_->List("apps/v1", "Deployment", ns, Selector(service)));
  ServiceStatus status;
  if (deployments.empty()) {
    status.state = ServiceState::kFailed;
    status.error = "no Deployment labelled " + Selector(service) + " in namespace " + ns;
    return status;
  }
  status.replicas_ready = 0;
  status.replicas_total = 0;
  for (const json& d : deployments) {
    status.replicas_ready += static_cast<int32_t>(
        d.value("/status/readyReplicas"_json_pointer, static_cast<int64_t>(0)));
    status.replicas_total += static_cast<int32_t>(
        d.value("/spec/replicas"_json_pointer, static_cast<int64_t>(1)));
  }
  // The versions' last minute is counted by the router pods, whose metrics
  // listener only the cluster reaches: a one-off look (count_restarts, the
  // CLI's list/show) reads each router's GET /load through the API server's
  // pod proxy and adds them up; the waits of deploy and update do not pay
  // for it. What cannot be read is shown as unknown, never guessed.
  if (count_restarts) {
    ReadRouterLoad(ns, service, &status);
  } else {
    status.load_note = "requests/s and errors are read only by a one-off look (service list/show)";
  }
  std::vector<kube::RolloutStatus> rollouts;
  bool complete = true;
  for (const json& d : deployments) {
    rollouts.push_back(kube::EvaluateRollout(d, json()));
    complete = complete && rollouts.back().phase == kube::RolloutPhase::kComplete;
  }
  if (!complete || count_restarts) {
    // The pods: their reasons while a rollout is unfinished, and the
    // containers' restarts (restartCount) whenever they are read.
    SKIFF_ASSIGN_OR_RETURN(auto pods, client_->List("v1", "Pod", ns, Selector(service)));
    for (const json& pod : pods) {
      const json containers = pod.value("/status/containerStatuses"_json_pointer, json::array());
      if (!containers.is_array()) continue;
      for (const json& c : containers) {
        if (c.is_object()) status.restarts += static_cast<int32_t>(c.value("restartCount", 0));
      }
    }
    for (size_t i = 0; i < deployments.size(); ++i) {
      if (rollouts[i].phase == kube::RolloutPhase::kComplete) continue;
      rollouts[i] =
          kube::EvaluateRollout(deployments[i], json{{"items", PodsOf(deployments[i], pods)}});
    }
  }
  kube::RolloutStatus worst;
  worst.phase = kube::RolloutPhase::kComplete;
  std::string worst_name;
  int64_t worst_generation = -1;
  int64_t applied = std::numeric_limits<int64_t>::max();
  for (size_t i = 0; i < deployments.size(); ++i) {
    const int64_t generation = GenerationOf(deployments[i]);
    applied = std::min(applied, generation);
    if (Severity(rollouts[i].phase) > Severity(worst.phase)) {
      worst = rollouts[i];
      worst_name = deployments[i]["metadata"].value("name", "");
      worst_generation = generation;
    }
  }
  switch (worst.phase) {
    case kube::RolloutPhase::kFailed:
      status.state = ServiceState::kFailed;
      break;
    case kube::RolloutPhase::kUnhealthy:
      status.state = ServiceState::kUnhealthy;
      break;
    case kube::RolloutPhase::kProgressing:
      status.state = ServiceState::kTransitioning;
      break;
    case kube::RolloutPhase::kComplete:
      status.state = ServiceState::kHealthy;
      break;
  }
  if (worst.phase != kube::RolloutPhase::kComplete) {
    status.error = "Deployment " + ns + "/" + worst_name + ": " +
                   (worst.reason.empty() ? "" : worst.reason + ": ") +
                   (worst.message.empty() ? kube::ProgressText(worst) : worst.message);
    // Pods of that generation crash or its rollout passed the deadline: the
    // cluster refused it, and the previous pods keep serving. Only once the
    // controller has seen this spec, so that a condition left over from the
    // previous rollout is not taken for this one's.
    if (worst.phase == kube::RolloutPhase::kFailed && worst_generation >= 0 &&
        worst.observed_generation >= worst.generation) {
      status.refused_generation = worst_generation;
      status.refusal = status.error;
    }
    return status;
  }
  // Every Deployment finished rolling out the generation it carries.
  status.applied_generation = applied;
  // Healthy once the front end has an address to score at.
  auto front = client_->Get({"v1", "Service", ns, service});
  if (!front.ok()) return front.status().WithContext("the router Service " + ns + "/" + service);
  const json ingress = front->value("/status/loadBalancer/ingress"_json_pointer, json::array());
  std::string host;
  if (ingress.is_array() && !ingress.empty()) {
    host = ingress[0].value("ip", ingress[0].value("hostname", ""));
  }
  if (host.empty()) {
    status.state = ServiceState::kTransitioning;
    status.error = "waiting for the load balancer address of Service " + ns + "/" + service;
    return status;
  }
  int port = 80;
  const json ports = front->value("/spec/ports"_json_pointer, json::array());
  if (ports.is_array() && !ports.empty()) port = ports[0].value("port", 80);
  // A TLS front door (port 443) is reached by the name its certificate is
  // for, which DNS must map to the load balancer's address (docs/compute-aks.md).
  const json annotations = front->value("/metadata/annotations"_json_pointer, json::object());
  const std::string cname =
      annotations.is_object() ? annotations.value(k8s::kSslCnameAnnotation, "") : "";
  const bool https = port == 443 && !cname.empty();
  // Url::Origin() brackets an IPv6 load-balancer address and drops the
  // scheme's default port.
  const std::string base =
      Url{https ? "https" : "http", https ? cname : host, std::to_string(port), "/"}.Origin();
  status.scoring_uri = base + "/api/v1/service/" + service + "/score";
  status.swagger_uri = base + "/api/v1/service/" + service + "/swagger.json";
  // The router's gRPC port (deployment config `grpc`), as a client's target
  // HOST:PORT; with TLS, by the certificate's name as the scoring URI is.
  for (const json& p : ports.is_array() ? ports : json::array()) {
    if (p.value("name", "") != "grpc") continue;
    const std::string origin =
        Url{"http", https ? cname : host, std::to_string(p.value("port", 0)), "/"}.Origin();
    status.grpc_uri = origin.substr(origin.find("//") + 2);
  }
  return status;
}

StatusOr<std::string> ServiceLifecycle::Logs(const std::string& service, int32_t num_lines) {
  SKIFF_ASSIGN_OR_RETURN(std::string ns, NamespaceOf(service));
  // The router's pods first (its access log: every request, 401s included),
  // then the versions'; each line says its pod, as `kubectl logs --prefix`.
  const int tail = num_lines > 0 ? num_lines : 0;
  const std::string component = Selector(service) + ",app.kubernetes.io/component=";
  auto router = client_->PrefixedPodLogs(ns, component + k8s::kComponentRouter, tail, "router");
  auto versions =
      client_->PrefixedPodLogs(ns, component + k8s::kComponentModelVersion, tail, "skiff-server");
  if (!router.ok() && router.status().code() != StatusCode::kNotFound) return router.status();
  if (!versions.ok() && versions.status().code() != StatusCode::kNotFound) return versions.status();
  if (!router.ok() && !versions.ok()) return versions.status();  // no pod at all
  return (router.ok() ? *router : "") + (versions.ok() ? *versions : "");
}

Status ServiceLifecycle::FollowLogs(const std::string& service, int32_t num_lines,
                                    LogSink* sink) {
  SKIFF_ASSIGN_OR_RETURN(std::string ns, NamespaceOf(service));
  // The same pods and containers as Logs(), router first.
  const std::string component = Selector(service) + ",app.kubernetes.io/component=";
  const std::vector<kube::PodLogSource> sources = {
      {component + k8s::kComponentRouter, "router"},
      {component + k8s::kComponentModelVersion, "skiff-server"}};
  return kube::FollowPodLogs(*client_, ns, sources, num_lines > 0 ? num_lines : -1, sink);
}

void ServiceLifecycle::ReadRouterLoad(const std::string& ns, const std::string& service,
                                      ServiceStatus* status) {
  // Two seconds for each router, retries included: a list of services must
  // not stall on a router pod that does not answer (the client would retry
  // a 503 from the proxy for minutes).
  constexpr std::chrono::milliseconds kBudget{2000};
  auto bodies = client_->PodProxyGet(
      ns, Selector(service) + ",app.kubernetes.io/component=" + k8s::kComponentRouter,
      k8s::kMetricsPort, "/load", kBudget);
  if (!bodies.ok()) {
    status->load_note =
        "requests/s and errors are counted by the routers, whose metrics listener is inside the "
        "cluster, and their GET /load could not be read through the Kubernetes API's pod proxy (" +
        bodies.status().message() + "; it needs `get` on pods/proxy, docs/kubernetes.md)";
    return;
  }
  std::map<std::string, VersionLoad> sum;  // each router counts what it routed
  for (const auto& [pod, body] : *bodies) {
    auto load = ParseLoadReport(body);
    if (!load.ok()) {
      status->load_note = "requests/s and errors: router pod " + pod +
                          " answered GET /load with something else (" +
                          load.status().message() + ")";
      return;
    }
    for (const VersionLoad& v : *load) {
      VersionLoad& total = sum[v.version];
      total.version = v.version;
      total.requests += v.requests;
      total.server_errors += v.server_errors;
      total.seconds = std::max(total.seconds, v.seconds);
    }
  }
  status->load.clear();
  for (auto& [name, v] : sum) status->load.push_back(std::move(v));
  status->load_note.clear();
}

StatusOr<std::map<std::string, std::string>> ServiceLifecycle::RouterMetrics(
    const std::string& service) {
  SKIFF_ASSIGN_OR_RETURN(std::string ns, NamespaceOf(service));
  // The router counts per version what it routed; version pods would count
  // the same requests again.
  return client_->PodProxyGet(
      ns, Selector(service) + ",app.kubernetes.io/component=" + k8s::kComponentRouter,
      k8s::kMetricsPort, "/metrics");
}

Status ServiceLifecycle::RouterExposureLogs(const std::string& service, ExposureLogSink* sink) {
  // A page is 1 MiB at most, so a router's whole log (6 x 64 MiB by
  // default) is a few hundred GETs. Each gets 10 s, retries included (a
  // router that does not answer fails its read instead of being retried
  // for minutes), and a router 2 minutes in all: the report is not held up
  // by one pod.
  constexpr std::chrono::milliseconds kPageBudget{10000};
  constexpr std::chrono::milliseconds kRouterBudget{120000};
  constexpr size_t kPageBytes = 1024 * 1024;
  SKIFF_ASSIGN_OR_RETURN(std::string ns, NamespaceOf(service));
  const std::string selector =
      Selector(service) + ",app.kubernetes.io/component=" + k8s::kComponentRouter;
  SKIFF_ASSIGN_OR_RETURN(std::vector<json> pods, client_->List("v1", "Pod", ns, selector));
  std::vector<std::string> names;
  for (const json& pod : pods) {
    names.push_back(pod.value("metadata", json::object()).value("name", ""));
  }
  std::sort(names.begin(), names.end());
  if (names.empty()) {
    return NotFound("service '" + service + "' has no router pod in namespace " + ns +
                    " (its exposure log is kept by the routers)");
  }
  for (const std::string& pod : names) {
    const auto deadline = std::chrono::steady_clock::now() + kRouterBudget;
    std::string cursor;
    int64_t pages = 0;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        sink->Incomplete(pod, "read for " + std::to_string(kRouterBudget.count() / 1000) +
                                  " s (" + std::to_string(pages) +
                                  " pages) without reaching its end; the rest is left out");
        break;
      }
      std::string target = std::string(exposure_page::kPath) + "?" + exposure_page::kMaxParam +
                           "=" + std::to_string(kPageBytes);
      if (!cursor.empty()) target += std::string("&") + exposure_page::kFromParam + "=" + cursor;
      StatusOr<HttpResponse> page =
          client_->PodProxyGetOne(ns, pod, k8s::kMetricsPort, target, std::min(left, kPageBudget));
      if (!page.ok()) {
        sink->Incomplete(pod, page.status().message() +
                                  " (reading needs `get` on pods/proxy, docs/kubernetes.md)");
        break;
      }
      if (page->status != 200) {
        // The router's own refusal (404: no routing key, or an image from
        // before GET /exposure), or the API server's (403: RBAC).
        sink->Incomplete(pod, kube::ApiError(page->status, page->body,
                                       "GET " + std::string(exposure_page::kPath) + " of pod " +
                                           ns + "/" + pod)
                                  .message());
        break;
      }
      ++pages;
      DebugLog("exposure log of pod " + ns + "/" + pod + ": page " + std::to_string(pages) +
               ", " + std::to_string(page->body.size()) + " bytes");
      if (page->header(exposure_page::kLostHeader) == "true") {
        sink->Incomplete(pod, "part of its log was rotated away while it was read (a busy "
                              "router; read it again, or keep more files: "
                              "routing.exposureLogKeep)");
      }
      if (!sink->Write(pod, page->body)) return OkStatus();
      const std::string next = page->header(exposure_page::kNextHeader);
      if (page->header(exposure_page::kEndHeader) == "true") break;
      if (next.empty() || next == cursor) {
        sink->Incomplete(pod, "its GET /exposure gave no cursor to go on from");
        break;
      }
      cursor = next;
    }
  }
  return OkStatus();
}

Status ServiceLifecycle::Delete(const std::string& service) {
  auto ns = NamespaceOf(service);
  if (!ns.ok()) return ns.status().code() == StatusCode::kNotFound ? OkStatus() : ns.status();
  SKIFF_RETURN_IF_ERROR(Prune(*ns, service, {}));
  std::remove(RecordPath(service).c_str());
  return OkStatus();
}

}  // namespace skiff::compute_aks
