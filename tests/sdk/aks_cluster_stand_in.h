// SPDX-License-Identifier: Apache-2.0
// What a Kubernetes cluster does with the objects an aks target applies to
// FakeKubeApi, done with real skiff-server processes on loopback, so a test
// can drive the whole controller (docs/rollout.md "On Kubernetes") against
// real routers (issue 22 item 6):
//  - the deployment controller and kubelet: when a version's or the router's
//    Deployment gets a new pod template, new "pods" are started from the
//    server.json the Secret holds for them (the items the Deployment mounts),
//    then the old ones go, then the Deployment's status says the rollout is
//    complete; a router pod is a new name each time (its counters start at
//    zero, as a replaced pod's do);
//  - kube-proxy and cluster DNS: the router's upstream Service names
//    (NAME.NS.svc.cluster.local) become the version servers' loopback ports;
//  - the API server's pod proxy: GET .../pods/POD:9090/proxy/metrics of a
//    router pod reaches that process's real metrics listener
//    (FakeKubeApi::SetPodProxyUpstream);
//  - the cloud's load-balancer controller: the router Service gets an
//    address (the test sends its traffic to the routers' ports, as the load
//    balancer would).
// Only the container paths and listen addresses are changed
// (RunnableConfig); everything else runs as the cluster would run it.
// The including test defines SKIFF_SERVER (the skiff-server binary).
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cli_harness.h"
#include "fake_kube_api.h"
#include "http_client.h"
#include "k8s/pod_paths.h"
#include "skiff/config/server_config.h"

namespace skiff::testing {

// One pod's container: `skiff-server --config DIR/server.json`, its output
// in DIR/log. Killed (SIGKILL, as a deleted pod's container is once its
// grace is over) and reaped on destruction.
class PodProcess {
 public:
  PodProcess(std::string dir, const config::ServerConfig& config) : dir_(std::move(dir)) {
    fs::create_directories(dir_);
    ::chmod(dir_.c_str(), 0700);
    Spit(dir_ + "/server.json", config::ToJson(config).dump(2));
    ::chmod((dir_ + "/server.json").c_str(), 0600);  // it holds the key digests
    const std::string binary = SKIFF_SERVER;
    const std::string config_path = dir_ + "/server.json";
    const std::string log = dir_ + "/log";
    std::vector<const char*> argv = {binary.c_str(), "--config", config_path.c_str(), nullptr};
    pid_ = ::fork();  // after it only async-signal-safe calls
    if (pid_ == 0) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      ::execv(argv[0], const_cast<char* const*>(argv.data()));
      ::_exit(127);
    }
  }
  ~PodProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  PodProcess(const PodProcess&) = delete;
  PodProcess& operator=(const PodProcess&) = delete;

  // Waits (60 s at most) for both listeners and GET /v2/health/ready 200.
  // "" when ready, else what went wrong with the server's log.
  std::string WaitReady() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = 0;
        return "skiff-server in " + dir_ + " exited: " + Slurp(dir_ + "/log");
      }
      port_ = ReadPort("/port");
      metrics_port_ = ReadPort("/metrics-port");
      if (port_ > 0 && metrics_port_ > 0) {
        try {
          if (HttpClient(port_).Get("/v2/health/ready").status == 200) return "";
        } catch (const std::exception&) {
          // not listening yet
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return "skiff-server in " + dir_ + " not ready after 60 s: " + Slurp(dir_ + "/log");
  }
  uint16_t port() const { return port_; }
  uint16_t metrics_port() const { return metrics_port_; }

 private:
  uint16_t ReadPort(const char* file) const {
    const std::string text = Slurp(dir_ + file);
    return text.empty() ? 0 : static_cast<uint16_t>(std::atoi(text.c_str()));
  }

  std::string dir_;
  pid_t pid_ = -1;
  uint16_t port_ = 0, metrics_port_ = 0;
};

class ClusterStandIn {
 public:
  using FakeKubeApi = compute_aks::kube::testing::FakeKubeApi;

  // `ws`: the workspace (its artifacts/ folder is what the model claim
  // holds); `dir`: where the pods' folders go.
  ClusterStandIn(FakeKubeApi& kube, std::string ns, std::string service, std::string ws,
                 std::string dir)
      : kube_(kube),
        ns_(std::move(ns)),
        service_(std::move(service)),
        ws_(std::move(ws)),
        dir_(std::move(dir)),
        thread_([this] {
          while (!stop_) {
            Step();
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
          }
        }) {}
  ~ClusterStandIn() { Stop(); }

  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    std::lock_guard<std::mutex> lock(mu_);
    routers_.clear();
    versions_.clear();
  }

  // On: new Deployment templates are taken but not rolled out (a slow
  // rollout), so whoever waits for them keeps waiting.
  void Hold(bool on) { hold_ = on; }

  // The running router pods' scoring ports (where the load balancer sends).
  std::vector<uint16_t> RouterPorts() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<uint16_t> out;
    for (const auto& r : routers_) out.push_back(r.process->port());
    return out;
  }
  std::vector<std::string> RouterPods() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> out;
    for (const auto& r : routers_) out.push_back(r.pod);
    return out;
  }
  // `version`'s traffic percentile in each router configuration rolled out
  // so far, in order.
  std::vector<int> SharesRolledOut(const std::string& version) {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<int> out;
    for (const auto& shares : rolled_out_) {
      auto it = shares.find(version);
      out.push_back(it == shares.end() ? -1 : it->second);
    }
    return out;
  }
  // Version pods started so far (each rollout of a version's Deployment
  // starts one).
  int VersionPodStarts() {
    std::lock_guard<std::mutex> lock(mu_);
    return version_pods_;
  }
  // The first problem the stand-in met ("" none).
  std::string error() {
    std::lock_guard<std::mutex> lock(mu_);
    return error_;
  }

  // Router pod `index` is replaced, as a rescheduled pod is: a new pod of the
  // same template under a new name (its counters from zero) is started and
  // listed, then the old one is deleted. "" when done, else why not.
  std::string ReplaceRouterPod(size_t index) {
    std::lock_guard<std::mutex> lock(mu_);
    if (index >= routers_.size()) return "no router pod " + std::to_string(index);
    Router fresh;
    std::string why = StartRouter(router_config_, router_template_, &fresh);
    if (!why.empty()) return why;
    RemoveRouter(routers_[index]);
    routers_[index] = std::move(fresh);
    return "";
  }

 private:
  struct Router {
    std::string pod;
    std::unique_ptr<PodProcess> process;
  };
  struct Version {
    std::string template_dump;  // the pod template it runs
    std::unique_ptr<PodProcess> process;
  };

  std::string DeploymentPath(const std::string& name) const {
    return "/apis/apps/v1/namespaces/" + ns_ + "/deployments/" + name;
  }

  // The pod's server.json as this machine can run it: loopback listeners on
  // free ports, the container's paths under the pod's folder, the model
  // claim's files where the workspace has them, upstream Services at the
  // version servers' ports.
  config::ServerConfig RunnableConfig(config::ServerConfig c, const std::string& pod_dir) {
    c.address = "127.0.0.1";
    c.port = 0;
    c.port_file = pod_dir + "/port";
    c.metrics_address = "127.0.0.1";
    c.metrics_port = 0;
    c.metrics_port_file = pod_dir + "/metrics-port";
    c.status_file = pod_dir + "/status.json";
    if (!c.request_log.empty()) c.request_log = pod_dir + "/requests.jsonl";
    if (!c.data_collection_dir.empty()) c.data_collection_dir = pod_dir + "/collected";
    if (!c.routing.exposure_log.empty()) c.routing.exposure_log = pod_dir + "/exposure.jsonl";
    c.grpc.reset();
    if (c.auth_options.is_object() && c.auth_options.contains("keysDir")) {
      fs::create_directories(pod_dir + "/keys");
      ::chmod((pod_dir + "/keys").c_str(), 0700);
      c.auth_options["keysDir"] = pod_dir + "/keys";
    }
    const std::string models = compute_aks::k8s::kModelsDir;
    for (auto& v : c.versions) {
      if (v.artifact_path.rfind(models, 0) == 0) {
        v.artifact_path = ws_ + "/artifacts" + v.artifact_path.substr(models.size());
      }
      if (!v.upstream.empty()) {
        // http://NAME.NS.svc.cluster.local/PATH -> the version server's port.
        const size_t host = v.upstream.find("://") + 3;
        const size_t path = v.upstream.find('/', host);
        const std::string name = v.upstream.substr(host, v.upstream.find('.', host) - host);
        auto it = versions_.find(name);
        const int port = it == versions_.end() || !it->second.process
                             ? 1  // nothing listens: the router's probe says so
                             : it->second.process->port();
        v.upstream = "http://127.0.0.1:" + std::to_string(port) + v.upstream.substr(path);
      }
    }
    return c;
  }

  // The Secret's server.json for a pod template (the item its Secret volume
  // mounts as server.json).
  std::optional<config::ServerConfig> ConfigOf(const nlohmann::json& pod_template) {
    auto secret = kube_.Object("/api/v1/namespaces/" + ns_ + "/secrets/" + service_ + "-server");
    if (!secret) return std::nullopt;
    for (const auto& volume : pod_template["spec"].value("volumes", nlohmann::json::array())) {
      if (!volume.contains("secret")) continue;
      for (const auto& item : volume["secret"].value("items", nlohmann::json::array())) {
        if (item.value("path", "") != "server.json") continue;
        const std::string key = item.value("key", "");
        const auto& data = (*secret)["stringData"];
        if (!data.contains(key)) return std::nullopt;
        auto parsed = config::ParseServerConfig(data[key].get<std::string>());
        if (!parsed.ok()) {
          error_ = "the Secret's " + key + ": " + parsed.status().ToString();
          return std::nullopt;
        }
        return *parsed;
      }
    }
    return std::nullopt;
  }

  std::string StartRouter(const config::ServerConfig& config, const nlohmann::json& pod_template,
                          Router* out) {
    const std::string pod = service_ + "-router-" + std::to_string(++router_pods_);
    out->pod = pod;
    out->process = std::make_unique<PodProcess>(dir_ + "/" + pod,
                                                RunnableConfig(config, dir_ + "/" + pod));
    std::string why = out->process->WaitReady();
    if (!why.empty()) return why;
    kube_.PutPod({{"metadata",
                   {{"name", pod},
                    {"namespace", ns_},
                    {"labels", pod_template["metadata"]["labels"]}}},
                  {"spec", pod_template["spec"]},
                  {"status", {{"phase", "Running"}}}});
    kube_.SetPodProxyUpstream(ns_, pod, compute_aks::k8s::kMetricsPort,
                              "http://127.0.0.1:" + std::to_string(out->process->metrics_port()));
    return "";
  }
  void RemoveRouter(Router& r) {
    kube_.SetPodProxyUpstream(ns_, r.pod, compute_aks::k8s::kMetricsPort, "");
    kube_.DeletePod(ns_, r.pod);
    r.process.reset();
  }

  void Complete(const std::string& name, const nlohmann::json& deployment) {
    const int64_t replicas = deployment["spec"].value("replicas", 1);
    kube_.SetDeploymentStatus(ns_, name,
                              {{"observedGeneration", deployment["metadata"].value("generation", 1)},
                               {"replicas", replicas},
                               {"updatedReplicas", replicas},
                               {"readyReplicas", replicas},
                               {"availableReplicas", replicas}});
  }
  static bool Observed(const nlohmann::json& deployment) {
    return deployment.value("status", nlohmann::json::object()).value("observedGeneration", -1) ==
           deployment["metadata"].value("generation", 0);
  }

  void Step() {
    std::lock_guard<std::mutex> lock(mu_);
    if (!error_.empty()) return;
    const std::string front = "/api/v1/namespaces/" + ns_ + "/services/" + service_;
    if (!address_given_ && kube_.Object(front)) {
      kube_.SetStatus(front, {{"loadBalancer", {{"ingress", {{{"ip", "20.0.0.9"}}}}}}});
      address_given_ = true;
    }
    if (hold_) return;
    auto router = kube_.Object(DeploymentPath(service_ + "-router"));
    if (!router) return;
    const nlohmann::json& router_template = (*router)["spec"]["template"];
    auto router_config = ConfigOf(router_template);
    if (!router_config) return;
    // The versions first: the router's upstreams must answer.
    for (const auto& v : router_config->versions) {
      const size_t host = v.upstream.find("://") + 3;
      const std::string name = v.upstream.substr(host, v.upstream.find('.', host) - host);
      auto deployment = kube_.Object(DeploymentPath(name));
      if (!deployment) return;
      if (Observed(*deployment)) continue;
      const nlohmann::json& pod_template = (*deployment)["spec"]["template"];
      Version& running = versions_[name];
      if (!running.process || running.template_dump != pod_template.dump()) {
        auto config = ConfigOf(pod_template);
        if (!config) return;
        // The new pod serves before the old one goes (maxUnavailable 0).
        const std::string pod_dir = dir_ + "/" + name + "-" + std::to_string(++version_pods_);
        auto fresh = std::make_unique<PodProcess>(pod_dir, RunnableConfig(*config, pod_dir));
        const std::string why = fresh->WaitReady();
        if (!why.empty()) {
          error_ = why;
          return;
        }
        running.process = std::move(fresh);
        running.template_dump = pod_template.dump();
      }
      Complete(name, *deployment);
    }
    if (Observed(*router)) return;
    if (router_template.dump() != router_template_.dump() || routers_.empty()) {
      // RollingUpdate (maxSurge 1, maxUnavailable 0): the new pods serve
      // before the old ones go.
      std::vector<Router> fresh(static_cast<size_t>((*router)["spec"].value("replicas", 1)));
      for (Router& r : fresh) {
        const std::string why = StartRouter(*router_config, router_template, &r);
        if (!why.empty()) {
          error_ = why;
          return;
        }
      }
      for (Router& old : routers_) RemoveRouter(old);
      routers_ = std::move(fresh);
      router_template_ = router_template;
      router_config_ = *router_config;
      std::map<std::string, int> shares;
      for (const auto& v : router_config->versions) {
        shares[v.spec.name] = v.spec.traffic_percentile;
      }
      rolled_out_.push_back(std::move(shares));
    }
    Complete(service_ + "-router", *router);
  }

  FakeKubeApi& kube_;
  const std::string ns_, service_, ws_, dir_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> hold_{false};

  std::mutex mu_;  // guards everything below (Step runs under it)
  std::string error_;
  bool address_given_ = false;
  int router_pods_ = 0, version_pods_ = 0;
  std::map<std::string, Version> versions_;  // by Deployment name
  std::vector<Router> routers_;
  nlohmann::json router_template_;
  config::ServerConfig router_config_;
  std::vector<std::map<std::string, int>> rolled_out_;

  std::thread thread_;  // last: starts once the state above exists
};

}  // namespace skiff::testing
