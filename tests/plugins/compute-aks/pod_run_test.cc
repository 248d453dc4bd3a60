// SPDX-License-Identifier: Apache-2.0
// The rendered pods run, for real (issue 18 item 5): a key-auth endpoint of
// two versions at 90/10 is rendered with kubernetes.modelSource "image", its
// images are built with skiff_oci, pushed to a real docker-registry on
// loopback and pulled back with skopeo, and every pod template runs under
// runc (pod_runner.h) in network namespaces this test creates. A client in
// its own namespace scores through the router's Service and reaches both
// versions. Stand-ins for cluster parts: kube-proxy (iptables DNAT), cluster
// DNS (/etc/hosts), the CNI's NetworkPolicy (iptables), the kubelet's
// volumes and probes (this file and pod_runner.cc); docs/kubernetes.md,
// "What has run".
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>

#include "jwt_signer.h"
#include "k8s/render.h"
#include "oci_test_tools.h"
#include "pod_runner.h"
#include "sample_specs.h"
#include "skiff/oci/image_builder.h"
#include "skiff/oci/registry_client.h"
#include "skiff/util/sha256.h"
#include "temp_dir.h"
#include "test_registry.h"

namespace skiff::compute_aks::testing {
namespace {

namespace fs = std::filesystem;
using k8s::testing::kPrimaryKey;
using k8s::testing::kSecondaryKey;
using nlohmann::json;
using oci::testing::MustRun;
using oci::testing::TestRegistry;

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::string RandomTag() {
  std::random_device rd;
  const char* hex = "0123456789abcdef";
  std::string tag;
  for (int i = 0; i < 6; ++i) tag += hex[rd() % 16];
  return tag;
}

// What the versions run: an accelerator plugin, the model file both
// versions register, a request body and a piece of the answer.
struct ModelCase {
  std::string accelerator, plugin, model_file, body, answer;
};

// The data-plane tests' "testmodel" plugin (y = 2x): an image without
// libtorch, for the token-mode run.
ModelCase TestModel() {
  return {"testmodel", SKIFF_TEST_MODEL_PLUGIN, "", R"({"data": [[1, 2, 3, 4]]})",
          R"({"result":[[2.0,4.0,6.0,8.0]]})"};
}

// The real one: libtorch and the MLP fixture (tests/fixtures/models), its
// first expected row; the test model where the torch plugin is not built.
ModelCase TorchMlp() {
#ifndef SKIFF_TEST_TORCH_PLUGIN
  return TestModel();
#else
  return {"torch", SKIFF_TEST_TORCH_PLUGIN, std::string(SKIFF_TEST_FIXTURES) + "/mlp.pt",
          R"({"data": [[-0.5642935037612915, 0.7035297155380249, -1.2406302690505981, )"
          R"(-1.4731664657592773]]})",
          "0.31928"};
#endif
}

// The endpoint ep1 (namespace prod), v1/v2 at 90/10, with `auth` merged
// into its deployment config; both versions register `model` (a testmodel
// version's artifact is a file of bytes "model-<v>", MakeSpec's digests).
ServiceSpec EndpointSpec(const std::string& artifacts_dir, const json& auth,
                         const ModelCase& model) {
  // appInsightsEnabled: each pod writes its request log to its data
  // emptyDir, which shows that both version pods served.
  json dc = {{"namespace", "prod"}, {"appInsightsEnabled", true}};
  dc.update(auth);
  ServiceSpec spec = k8s::testing::MakeSpec(
      "ep1", dc.dump(),
      {{"v1", 90, true, false, model.accelerator}, {"v2", 10, false, true, model.accelerator}});
  json server = json::parse(spec.server_config_json);
  json ic = server["versions"][0]["inferenceConfig"];  // torch: mlp.pt's signature
  if (model.accelerator == "testmodel") {
    ic = {{"accelerator", "testmodel"},
          {"inputs", {{{"name", "x"}, {"datatype", "FP32"}, {"shape", {-1, 4}}}}},
          {"outputs", {{{"name", "y"}, {"datatype", "FP32"}, {"shape", {-1, 4}}}}}};
  }
  for (size_t i = 0; i < server["versions"].size(); ++i) {
    json& v = server["versions"][i];
    const std::string name = v["name"];
    const std::string bytes =
        model.model_file.empty() ? "model-" + name : ReadText(model.model_file);
    WriteText(artifacts_dir + "/" + name, bytes);
    const std::string sha = Sha256Hex(bytes);
    v["sha256"] = sha;
    v["artifactPath"] = "/home/user/.skiff/artifacts/sha256/" + sha;
    v["inferenceConfig"] = ic;
  }
  spec.server_config_json = server.dump();
  return spec;
}

// Every file's type, mode, owner, size and mtime, by path: the "before" and
// "after" of a root filesystem.
std::map<std::string, std::string> TreeListing(const std::string& root) {
  std::map<std::string, std::string> out;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0) continue;
    out[it->path().string().substr(root.size())] =
        std::to_string(st.st_mode) + " " + std::to_string(st.st_uid) + ":" +
        std::to_string(st.st_gid) + " " + std::to_string(st.st_size) + " " +
        std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
  }
  return out;
}

struct Pod {
  std::string name;  // <Deployment>-0
  json template_spec;
  json labels;
  PodNetwork::Member net;
  std::string dir;
  std::vector<std::unique_ptr<RuncContainer>> containers;  // main ones
  std::string rootfs;
};

// curl inside a namespace, `options` (headers, body) for every URL:
// "<status> <azureml-model-deployment>\n" per URL.
StatusOr<std::string> Curl(const std::string& netns, const std::vector<std::string>& options,
                           const std::vector<std::string>& urls) {
  std::vector<std::string> argv = {
      "ip", "netns",      "exec", netns, "curl",
      "-s", "--max-time", "10",   "-w",  "%{http_code} %header{azureml-model-deployment}\\n"};
  argv.insert(argv.end(), options.begin(), options.end());
  for (const std::string& url : urls) {
    argv.insert(argv.end(), {"-o", "/dev/null", url});
  }
  return testing::Run(argv);
}

int ContainerPort(const json& container, const json& port) {
  if (port.is_number()) return port;
  for (const json& p : container.value("ports", json::array())) {
    if (p.value("name", "") == port) return p["containerPort"];
  }
  return 0;
}

class ComputeAksPodRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "runc needs root to create containers and netns here";
    for (const char* tool : {"runc", "umoci", "skopeo", "ip", "iptables", "curl"}) {
      auto found = testing::Run({"sh", "-c", std::string("command -v ") + tool});
      ASSERT_TRUE(found.ok()) << tool
                              << " is missing: scripts/deps installs runc, iproute2, iptables, "
                                 "curl, umoci and skopeo";
    }
  }
};

// Renders `spec`, runs its pods and checks them; `credential` is what the
// client sends after "Bearer ".
void RunEndpoint(const ServiceSpec& spec, const ModelCase& model,
                 const std::map<std::string, std::string>& key_files, const std::string& credential,
                 const skiff::testing::TempDir& tmp) {
  const std::string tag = RandomTag();
  // Declared before the pods: destroyed after every container is deleted.
  PodNetwork net(tag);

  // 1. Images: the server and one per version (the model as a layer), pushed.
  auto layout = oci::OciLayout::Create(tmp / "layout");
  ASSERT_TRUE(layout.ok()) << layout.status().ToString();
  oci::ImageBuildOptions build;
  build.skiff_server = SKIFF_TEST_SERVER_BINARY;
  build.plugins = {model.plugin, SKIFF_TEST_AUTH_PLUGIN};
  build.version = "test";
  build.layer.gzip_level = 1;
  const json server_config = json::parse(spec.server_config_json);
  std::vector<oci::ModelLayerSource> models;
  for (const json& v : server_config["versions"]) {
    const std::string name = v["name"];
    models.push_back(
        {"model-" + name, "model-" + name + ":1", v["sha256"], tmp / "artifacts/" + name, false});
  }
  auto images = oci::BuildImages(build, models, *layout);
  ASSERT_TRUE(images.ok()) << images.status().ToString();
  fs::create_directories(tmp / "registry-data");
  TestRegistry registry(tmp / "registry-data", {});
  ASSERT_TRUE(registry.ok()) << registry.log();
  oci::RegistryClient client(registry.origin(), {}, {});
  std::map<std::string, std::string> pushed;  // ref name -> host/repo@digest
  for (const auto& image : *images) {
    auto digest = client.PushImage(*layout, image.manifest, "skiff/server", image.ref_name, {});
    ASSERT_TRUE(digest.ok()) << digest.status().ToString();
    pushed[image.ref_name] = registry.host() + "/skiff/server@" + *digest;
  }

  // 2. Render with the pushed references.
  json model_images = json::object();
  for (const json& v : server_config["versions"]) {
    model_images[v["sha256"].get<std::string>()] = pushed["model-" + v["name"].get<std::string>()];
  }
  auto options = k8s::ParseRenderOptions({{"image", pushed[oci::kServerRefName]},
                                          {"modelSource", "image"},
                                          {"modelImages", model_images}});
  ASSERT_TRUE(options.ok()) << options.status().ToString();
  k8s::RenderInput input;
  input.spec = spec;
  input.signing_key_files = key_files;
  input.options = *options;
  auto objects = k8s::RenderService(input);
  ASSERT_TRUE(objects.ok()) << objects.status().ToString();

  // 3. Pull every image a pod names back from the registry and unpack it.
  std::map<std::string, std::string> rootfs_of;  // image reference -> rootfs
  std::map<std::string, json> image_process_of;  // image reference -> process
  std::vector<Pod> pods;
  for (const json& o : *objects) {
    if (o["kind"] != "Deployment") continue;
    Pod pod;
    pod.name = o["metadata"]["name"].get<std::string>() + "-0";
    pod.template_spec = o["spec"]["template"]["spec"];
    pod.labels = o["spec"]["template"]["metadata"]["labels"];
    for (const char* list : {"initContainers", "containers"}) {
      for (const json& c : pod.template_spec.value(list, json::array())) {
        const std::string ref = c["image"];
        if (rootfs_of.count(ref)) continue;
        const std::string name = "img" + std::to_string(rootfs_of.size());
        MustRun({"skopeo", "copy", "--quiet", "--src-tls-verify=false", "docker://" + ref,
                 "oci:" + tmp / "pulled" + ":" + name});
        MustRun({"umoci", "unpack", "--image", tmp / "pulled" + ":" + name, tmp / name});
        rootfs_of[ref] = tmp / name + "/rootfs";
        image_process_of[ref] = json::parse(ReadText(tmp / name + "/config.json"))["process"];
      }
    }
    pods.push_back(std::move(pod));
  }
  ASSERT_EQ(pods.size(), 3u);  // v1, v2, the router
  ASSERT_FALSE(::testing::Test::HasFailure());

  // Skip only where runc itself cannot run a container here.
  const std::string state = tmp / "runc-state";
  {
    const std::string probe = tmp / "probe";
    fs::create_directories(probe);
    MustRun({"runc", "spec", "--bundle", probe});
    json c = json::parse(ReadText(probe + "/config.json"));
    c["root"] = {{"path", rootfs_of.begin()->second}, {"readonly", true}};
    c["process"]["terminal"] = false;
    c["process"]["args"] = {"/bin/sh", "-c", "true"};
    c["linux"]["resources"] = {{"memory", {{"limit", 64 << 20}}}};  // as the pods' limits
    WriteText(probe + "/config.json", c.dump());
    RuncContainer trivial(state, "skiff-probe-" + tag);
    const Status ran = trivial.RunToCompletion(probe, probe + "/log");
    if (!ran.ok()) {
      GTEST_SKIP() << "runc cannot run a container on this machine (namespaces or cgroups "
                      "or the memory cgroup unavailable): "
                   << ReadText(probe + "/log") << ran.ToString();
    }
  }

  // 4. The network: a namespace per pod and one for the client.
  ASSERT_TRUE(net.Init().ok());
  for (size_t i = 0; i < pods.size(); ++i) {
    auto m = net.Add(std::to_string(i));
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    pods[i].net = *m;
  }
  // The client scores; the node is where the kubelet's probes come from.
  auto client_ns = net.Add("client");
  ASSERT_TRUE(client_ns.ok()) << client_ns.status().ToString();
  auto node_ns = net.Add("node");
  ASSERT_TRUE(node_ns.ok()) << node_ns.status().ToString();
  std::vector<ServiceRoute> routes;
  std::string router_ip;
  for (const json& o : *objects) {
    if (o["kind"] != "Service") continue;
    const json selector = o["spec"]["selector"];
    for (const Pod& pod : pods) {
      bool match = true;
      for (const auto& [k, v] : selector.items()) match = match && pod.labels.value(k, "") == v;
      if (!match) continue;
      const json& port = o["spec"]["ports"][0];
      ServiceRoute r{o["metadata"]["name"],
                     o["metadata"]["namespace"],
                     net.NextClusterIp(),
                     port["port"],
                     pod.net.ip,
                     ContainerPort(pod.template_spec["containers"][0], port["targetPort"])};
      ASSERT_GT(r.target_port, 0) << "Service " << r.name << " targets an unknown port";
      if (o["spec"].value("type", "") == "LoadBalancer") router_ip = r.cluster_ip;
      routes.push_back(r);
    }
  }
  ASSERT_EQ(routes.size(), 3u);
  ASSERT_FALSE(router_ip.empty());
  ASSERT_TRUE(net.InstallServices(routes).ok());
  std::vector<PodEndpoint> endpoints;
  for (const Pod& pod : pods) endpoints.push_back({pod.net.netns, pod.net.ip, pod.labels});
  int policies = 0;
  for (const json& o : *objects) {
    if (o["kind"] != "NetworkPolicy") continue;
    const Status s = ApplyNetworkPolicy(o, endpoints, node_ns->ip);
    ASSERT_TRUE(s.ok()) << s.ToString();
    ++policies;
  }
  EXPECT_EQ(policies, 1);

  // 5. Every container's runc config (which also makes its mount points in
  // the rootfs, as a runtime would); then the rootfs listings; then run each
  // pod: init containers to completion, then its containers.
  struct Planned {
    size_t pod;
    bool init;
    std::string name, bundle, rootfs;
  };
  std::vector<Planned> planned;
  for (size_t i = 0; i < pods.size(); ++i) {
    Pod& pod = pods[i];
    pod.dir = tmp / ("pod-" + std::to_string(i));
    fs::create_directories(pod.dir);
    auto volumes = MaterializeVolumes(pod.template_spec, *objects, pod.dir + "/volumes");
    ASSERT_TRUE(volumes.ok()) << pod.name << ": " << volumes.status().ToString();
    WriteText(pod.dir + "/hosts", PodNetwork::HostsFile(pod.net, pod.name, routes));
    WriteText(pod.dir + "/resolv.conf",
              "search prod.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n");
    ::chmod((pod.dir + "/hosts").c_str(), 0644);
    ::chmod((pod.dir + "/resolv.conf").c_str(), 0644);
    for (const char* list : {"initContainers", "containers"}) {
      for (const json& c : pod.template_spec.value(list, json::array())) {
        const std::string ref = c["image"];
        ContainerEnv env{rootfs_of[ref], image_process_of[ref], pod.net.path,
                         pod.name,       pod.dir + "/hosts",    pod.dir + "/resolv.conf"};
        auto config = RuncConfig(pod.template_spec, c, *objects, *volumes, env);
        ASSERT_TRUE(config.ok()) << pod.name << ": " << config.status().ToString();
        const std::string bundle = pod.dir + "/" + c["name"].get<std::string>();
        fs::create_directories(bundle);
        WriteText(bundle + "/config.json", config->dump(2));
        planned.push_back(
            {i, std::string(list) == "initContainers", c["name"], bundle, env.rootfs});
      }
    }
  }
  std::map<std::string, std::map<std::string, std::string>> before;  // rootfs listings
  for (const Planned& p : planned) {
    if (!before.count(p.rootfs)) before[p.rootfs] = TreeListing(p.rootfs);
  }
  auto logs = [&] {
    std::string out;
    for (const Pod& pod : pods) {
      for (const auto& entry : fs::directory_iterator(pod.dir)) {
        if (entry.path().extension() == ".log") {
          out += "--- " + entry.path().string() + "\n" + ReadText(entry.path()) + "\n";
        }
      }
    }
    return out;
  };
  // A container's startup, readiness and liveness probes, from the node's namespace
  // (the kubelet's place), until they answer 200 (deadline 60 s).
  auto probe = [&](const Pod& pod) {
    const json& c = pod.template_spec["containers"][0];
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    for (const char* kind : {"startupProbe", "readinessProbe", "livenessProbe"}) {
      ASSERT_TRUE(c.contains(kind)) << pod.name << " has no " << kind;
      const json& get = c[kind]["httpGet"];
      const std::string url = "http://" + pod.net.ip + ":" +
                              std::to_string(ContainerPort(c, get["port"])) +
                              get["path"].get<std::string>();
      std::string answer;
      while (std::chrono::steady_clock::now() < deadline) {
        auto r = Curl(node_ns->netns, {}, {url});
        answer = r.ok() ? *r : r.status().ToString();
        if (answer.rfind("200 ", 0) == 0) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
      ASSERT_EQ(answer.substr(0, 4), "200 ")
          << pod.name << " " << kind << " " << url << ": " << answer << "\n"
          << logs();
    }
  };
  // 6. One pod after the other (in apply order: the versions, then the
  // router), each started once the one before answers its probes, so the
  // router's first look at its upstreams finds them ready.
  for (size_t k = 0; k < planned.size(); ++k) {
    const Planned& p = planned[k];
    Pod& pod = pods[p.pod];
    auto container =
        std::make_unique<RuncContainer>(state, "skiff-" + tag + "-" + std::to_string(k));
    if (p.init) {
      const Status s = container->RunToCompletion(p.bundle, p.bundle + ".log");
      ASSERT_TRUE(s.ok()) << pod.name << " init " << p.name << ": " << ReadText(p.bundle + ".log")
                          << s.ToString();
    } else {
      const Status s = container->Start(p.bundle, p.bundle + ".log");
      ASSERT_TRUE(s.ok()) << pod.name << " " << p.name << ": " << ReadText(p.bundle + ".log")
                          << s.ToString();
      pod.rootfs = p.rootfs;
      pod.containers.push_back(std::move(container));
    }
    if (k + 1 == planned.size() || planned[k + 1].pod != p.pod) {
      probe(pod);
      if (::testing::Test::HasFatalFailure()) return;
    }
  }

  // 7. Scoring through the router's Service with the primary key: both
  // versions answer, and their own pods served (their request logs).
  const std::string score_url = "http://" + router_ip + "/api/v1/service/ep1/score";
  const std::string body = model.body;
  const std::vector<std::string> args = {"-H", "Authorization: Bearer " + credential,
                                         "-H", "Content-Type: application/json",
                                         "-d", body};
  // The router sends traffic only to versions it has seen ready (its own
  // upstream checks): first each version, pinned, until it answers.
  for (const char* version : {"v1", "v2"}) {
    std::vector<std::string> pinned = args;
    pinned.insert(pinned.end(), {"-H", std::string("azureml-model-deployment: ") + version});
    std::string answer;
    const auto by = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < by) {
      auto r = Curl(client_ns->netns, pinned, {score_url});
      answer = r.ok() ? *r : r.status().ToString();
      if (answer == std::string("200 ") + version + "\n") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    ASSERT_EQ(answer, std::string("200 ") + version + "\n") << logs();
  }
  auto scored = Curl(client_ns->netns, args, std::vector<std::string>(100, score_url));
  ASSERT_TRUE(scored.ok()) << scored.status().ToString();
  std::map<std::string, int> by_version;
  std::istringstream lines(*scored);
  for (std::string line; std::getline(lines, line);) {
    ASSERT_EQ(line.substr(0, 4), "200 ") << line << "\n" << logs();
    ++by_version[line.substr(4)];
  }
  EXPECT_EQ(by_version["v1"] + by_version["v2"], 100) << *scored;
  EXPECT_GT(by_version["v1"], 0) << *scored;
  EXPECT_GT(by_version["v2"], 0) << *scored << logs();
  // One answer's body: y = 2x through router and version pod.
  auto one = testing::Run({"ip", "netns", "exec", client_ns->netns, "curl", "-s", "--max-time", "5",
                           "-H", "Authorization: Bearer " + credential, "-H",
                           "Content-Type: application/json", "-d", body, score_url});
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_NE(one->find(model.answer), std::string::npos) << *one;

  // Without a key, and with a wrong one: 401 from the router.
  auto anonymous =
      Curl(client_ns->netns, {"-H", "Content-Type: application/json", "-d", body}, {score_url});
  ASSERT_TRUE(anonymous.ok()) << anonymous.status().ToString();
  EXPECT_EQ(anonymous->substr(0, 4), "401 ") << *anonymous;
  auto wrong = Curl(client_ns->netns,
                    {"-H", "Authorization: Bearer not-the-key", "-H",
                     "Content-Type: application/json", "-d", body},
                    {score_url});
  ASSERT_TRUE(wrong.ok()) << wrong.status().ToString();
  EXPECT_EQ(wrong->substr(0, 4), "401 ") << *wrong;

  // The version pods run without auth (only the router reaches them): the
  // rendered NetworkPolicy keeps the client away from them, Service or pod.
  for (const ServiceRoute& r : routes) {
    if (r.cluster_ip == router_ip) continue;
    for (const std::string& url :
         {"http://" + r.cluster_ip + "/v2/models/ep1/infer",
          "http://" + r.pod_ip + ":" + std::to_string(r.target_port) + "/v2/models/ep1/infer"}) {
      auto direct = Curl(client_ns->netns, {"--connect-timeout", "1", "-d", body}, {url});
      EXPECT_FALSE(direct.ok()) << url << " answered the client: " << *direct;
    }
  }

  // Metrics (issue 19.3): not through the router's public Service; each
  // pod's "metrics" port answers another pod of the cluster (the router's
  // here, as a scraper would), and the versions' refuses the client.
  auto public_metrics = Curl(client_ns->netns, {}, {"http://" + router_ip + "/metrics"});
  ASSERT_TRUE(public_metrics.ok()) << public_metrics.status().ToString();
  EXPECT_EQ(public_metrics->substr(0, 4), "404 ") << *public_metrics;
  const Pod* router_pod = nullptr;
  for (const Pod& pod : pods) {
    if (pod.name.find("router") != std::string::npos) router_pod = &pod;
  }
  ASSERT_NE(router_pod, nullptr);
  for (const Pod& pod : pods) {
    const json& c = pod.template_spec["containers"][0];
    const std::string url = "http://" + pod.net.ip + ":" +
                            std::to_string(ContainerPort(c, "metrics")) + "/metrics";
    auto scraped = Curl(router_pod->net.netns, {"--connect-timeout", "2"}, {url});
    ASSERT_TRUE(scraped.ok()) << url << ": " << scraped.status().ToString();
    EXPECT_EQ(scraped->substr(0, 4), "200 ") << pod.name << " " << url << ": " << *scraped;
    if (&pod == router_pod) continue;
    auto outside = Curl(client_ns->netns, {"--connect-timeout", "1"}, {url});
    EXPECT_FALSE(outside.ok()) << url << " answered the client: " << *outside;
  }

  // The weights change the way a deploy changes them: the Secret is
  // re-rendered, the kubelet swaps the router's volume, and the router
  // (--watch-config) moves all traffic to v2 without a restart.
  json server = json::parse(spec.server_config_json);
  for (json& v : server["versions"]) v["trafficPercentile"] = v["name"] == "v2" ? 100 : 0;
  input.spec.server_config_json = server.dump();
  auto rerendered = k8s::RenderService(input);
  ASSERT_TRUE(rerendered.ok()) << rerendered.status().ToString();
  for (const Pod& pod : pods) {
    const Status s = UpdateConfigVolumes(pod.template_spec, *rerendered, pod.dir + "/volumes");
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  const auto moved_by = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::string last;
  bool moved = false;
  while (!moved && std::chrono::steady_clock::now() < moved_by) {
    auto r = Curl(client_ns->netns, args, std::vector<std::string>(20, score_url));
    last = r.ok() ? *r : r.status().ToString();
    std::string all_v2;
    for (int i = 0; i < 20; ++i) all_v2 += "200 v2\n";
    moved = last == all_v2;
    if (!moved) std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  EXPECT_TRUE(moved) << "after the Secret update: " << last << "\n" << logs();

  // 8. The security context took effect in the running processes, and the
  // root filesystem refuses writes while the emptyDirs take them.
  for (Pod& pod : pods) {
    RuncContainer& c = *pod.containers.at(0);
    auto pid = c.Pid();
    ASSERT_TRUE(pid.ok()) << pid.status().ToString();
    const std::string status = ReadText("/proc/" + std::to_string(*pid) + "/status");
    EXPECT_NE(status.find("Uid:\t10001\t10001\t10001\t10001"), std::string::npos) << status;
    EXPECT_NE(status.find("Gid:\t10001\t10001\t10001\t10001"), std::string::npos) << status;
    EXPECT_NE(status.find("CapEff:\t0000000000000000"), std::string::npos) << status;
    EXPECT_NE(status.find("CapBnd:\t0000000000000000"), std::string::npos) << status;
    EXPECT_NE(status.find("NoNewPrivs:\t1"), std::string::npos) << status;
    EXPECT_NE(status.find("Seccomp:\t2"), std::string::npos) << "no seccomp filter: " << status;
    // The memory limit is the cgroup's (v1 memory.limit_in_bytes, v2 memory.max).
    const std::string limit = pod.template_spec["containers"][0]["resources"]["limits"]["memory"];
    std::string cgroup_limit;
    std::istringstream cgroups(ReadText("/proc/" + std::to_string(*pid) + "/cgroup"));
    for (std::string line; std::getline(cgroups, line);) {
      const size_t a = line.find(':'), b = line.find(':', a + 1);
      const std::string controllers = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
      if (controllers == "memory") {
        cgroup_limit = ReadText("/sys/fs/cgroup/memory" + path + "/memory.limit_in_bytes");
      } else if (controllers.empty() && cgroup_limit.empty()) {
        cgroup_limit = ReadText("/sys/fs/cgroup" + path + "/memory.max");
      }
    }
    EXPECT_EQ(cgroup_limit, std::to_string(QuantityBytes(limit)) + "\n")
        << pod.name << " " << limit;
    auto ro = c.Exec({"/bin/sh", "-c", "echo x > /opt/skiff/written"});
    EXPECT_FALSE(ro.ok());
    if (!ro.ok()) {
      EXPECT_NE(ro.status().message().find("Read-only file system"), std::string::npos)
          << ro.status().ToString();
    }
    auto rw = c.Exec({"/bin/sh", "-c", "echo x > /tmp/written && echo ok"});
    EXPECT_TRUE(rw.ok() && *rw == "ok\n") << (rw.ok() ? *rw : rw.status().ToString());
  }
  for (size_t i = 0; i < pods.size(); ++i) {
    if (pods[i].name.find("router") != std::string::npos) continue;
    const std::string log = pods[i].dir + "/volumes/data/requests.jsonl";
    EXPECT_FALSE(ReadText(log).empty()) << pods[i].name << " served nothing: " << log;
  }

  // 9. Nothing was written outside the emptyDirs: every rootfs is as it was.
  for (const auto& [rootfs, listing] : before) {
    const auto after = TreeListing(rootfs);
    for (const auto& [path, line] : after) {
      auto was = listing.find(path);
      EXPECT_TRUE(was != listing.end()) << "written in the image's rootfs: " << path;
      if (was != listing.end()) {
        EXPECT_EQ(was->second, line) << "changed: " << path;
      }
    }
    EXPECT_EQ(after.size(), listing.size()) << rootfs;
  }

  // 10. Termination as the kubelet does it: SIGTERM, then each server
  // drains and exits within the pod's terminationGracePeriodSeconds.
  for (Pod& pod : pods) {
    RuncContainer& c = *pod.containers.at(0);
    ASSERT_TRUE(c.Kill("TERM").ok()) << pod.name;
    const int grace = pod.template_spec["terminationGracePeriodSeconds"];
    const auto by = std::chrono::steady_clock::now() + std::chrono::seconds(grace);
    std::string state;
    while (std::chrono::steady_clock::now() < by) {
      auto st = c.State();
      state = st.ok() ? *st : st.status().ToString();
      if (state == "stopped") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_EQ(state, "stopped") << pod.name << " still runs " << grace << " s after SIGTERM";
  }
  for (const Pod& pod : pods) {
    const std::string log = ReadText(
        pod.dir + "/" + pod.template_spec["containers"][0]["name"].get<std::string>() + ".log");
    EXPECT_NE(log.find("drained; exiting"), std::string::npos) << pod.name << ": " << log;
  }
}

TEST_F(ComputeAksPodRunTest, KeyAuthEndpointAt90To10RunsUnderRunc) {
  skiff::testing::TempDir tmp;
  fs::create_directories(tmp / "artifacts");
  const json keys = {{"keys", {{"primaryKey", kPrimaryKey}, {"secondaryKey", kSecondaryKey}}}};
  RunEndpoint(EndpointSpec(tmp / "artifacts", keys, TorchMlp()), TorchMlp(), {}, kPrimaryKey, tmp);
}

// Token mode adds the init container that copies the signing keys from the
// Secret volume into the runtime emptyDir; the client sends a JWT signed
// with the workspace's key (the SDK's get-access-token).
TEST_F(ComputeAksPodRunTest, TokenAuthEndpointRunsItsInitContainerUnderRunc) {
  skiff::testing::TempDir tmp;
  fs::create_directories(tmp / "artifacts");
  const auto key_files = k8s::testing::SampleSigningKeyFiles();
  std::string key_json;
  for (const auto& [name, text] : key_files) {
    if (name.size() > 9 && name.substr(name.size() - 9) == ".key.json") key_json = text;
  }
  auto key = auth::SigningKey::FromKeyFileJson(key_json);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  auto token = auth::SignJwt(**key, {"skiff", "ep1", now, now, now + 3600});
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  RunEndpoint(EndpointSpec(tmp / "artifacts", {{"authEnabled", false}, {"tokenAuthEnabled", true}},
                           TestModel()),
              TestModel(), key_files, *token, tmp);
}

}  // namespace
}  // namespace skiff::compute_aks::testing
