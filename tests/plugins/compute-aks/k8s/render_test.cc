// SPDX-License-Identifier: Apache-2.0
// RenderService: what each object says, and what it must never say.
#include "k8s/render.h"

#include <gtest/gtest.h>

#include <set>

#include "k8s/dns_name.h"
#include "k8s/yaml_emitter.h"
#include "sample_specs.h"

namespace skiff::compute_aks::k8s {
namespace {

using nlohmann::json;
using testing::MakeSpec;
using testing::SampleVersion;

std::vector<json> Render(RenderInput in) {
  auto out = RenderService(in);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return out.ok() ? *out : std::vector<json>{};
}

std::vector<json> Render(const ServiceSpec& spec) {
  RenderInput in;
  in.spec = spec;
  return Render(in);
}

const json* Find(const std::vector<json>& objects, const std::string& kind,
                 const std::string& name) {
  for (const json& o : objects) {
    if (o["kind"] == kind && o["metadata"]["name"] == name) return &o;
  }
  return nullptr;
}

const json& Get(const std::vector<json>& objects, const std::string& kind,
                const std::string& name) {
  const json* o = Find(objects, kind, name);
  if (o == nullptr) {
    ADD_FAILURE() << "no " << kind << " " << name;
    static const json kEmpty = json::object();
    return kEmpty;
  }
  return *o;
}

const json& ServerContainer(const json& deployment) {
  return deployment["spec"]["template"]["spec"]["containers"][0];
}

std::vector<std::string> Kinds(const std::vector<json>& objects) {
  std::vector<std::string> kinds;
  for (const json& o : objects)
    kinds.push_back(o["kind"].get<std::string>() + "/" + o["metadata"]["name"].get<std::string>());
  return kinds;
}

TEST(ComputeAksK8sRender, ObjectsInApplyOrder) {
  auto objects = Render(MakeSpec("my-svc", "{}"));
  EXPECT_EQ(Kinds(objects),
            (std::vector<std::string>{"Namespace/default", "Secret/my-svc-server",
                                      "ConfigMap/my-svc-config", "NetworkPolicy/my-svc-versions",
                                      "Deployment/my-svc-v1",
                                      "Service/my-svc-v1", "HorizontalPodAutoscaler/my-svc-v1",
                                      "PodDisruptionBudget/my-svc-v1", "Deployment/my-svc-router",
                                      "PodDisruptionBudget/my-svc-router", "Service/my-svc"}));
  for (const json& o : objects) {
    if (o["kind"] != "Namespace") {
      EXPECT_EQ(o["metadata"]["namespace"], "default");
    }
  }
}

TEST(ComputeAksK8sRender, EveryObjectCarriesTheLabels) {
  auto objects =
      Render(MakeSpec("ep1", R"({"namespace": "prod"})",
                      {{"v1", 90, true, false, "torch"}, {"V_2", 10, false, false, "torch"}}));
  ASSERT_FALSE(objects.empty());
  std::set<std::string> components;
  for (const json& o : objects) {
    const json& l = o["metadata"]["labels"];
    EXPECT_EQ(l["app.kubernetes.io/name"], "skiff-server") << o["kind"];
    EXPECT_EQ(l["app.kubernetes.io/instance"], "ep1");
    EXPECT_EQ(l["app.kubernetes.io/version"], kSkiffVersion);
    EXPECT_EQ(l["app.kubernetes.io/part-of"], "skiff");
    EXPECT_EQ(l["app.kubernetes.io/managed-by"], "skiff");
    EXPECT_EQ(l["skiff.io/service"], "ep1");
    components.insert(l["app.kubernetes.io/component"].get<std::string>());
  }
  EXPECT_EQ(components, (std::set<std::string>{"config", "model-version", "router"}));
  // The version's name becomes a Kubernetes name; the pods still serve "V_2".
  const json& d = Get(objects, "Deployment", "ep1-v-2");
  EXPECT_EQ(d["metadata"]["labels"]["skiff.io/version"], "v-2");
  EXPECT_EQ(d["spec"]["selector"]["matchLabels"],
            (json{{"app.kubernetes.io/instance", "ep1"},
                  {"app.kubernetes.io/component", "model-version"},
                  {"skiff.io/version", "v-2"}}));
  for (const auto& [k, v] : d["spec"]["selector"]["matchLabels"].items()) {
    EXPECT_EQ(d["spec"]["template"]["metadata"]["labels"][k], v);
  }
  const json secret = Get(objects, "Secret", "ep1-server");
  json pod = json::parse(secret["stringData"]["server-v-2.json"].get<std::string>());
  EXPECT_EQ(pod["versions"][0]["name"], "V_2");
}

TEST(ComputeAksK8sRender, ResourcesFromContainerResourceRequirements) {
  auto objects = Render(MakeSpec("svc1", "{}"));
  EXPECT_EQ(ServerContainer(Get(objects, "Deployment", "svc1-v1"))["resources"],
            (json{{"requests", {{"cpu", "100m"}, {"memory", "512Mi"}}},
                  {"limits", {{"memory", "512Mi"}}}}));

  objects =
      Render(MakeSpec("svc2", R"({"containerResourceRequirements": {"cpu": 2.5, "memoryInGB": 1.5,
      "gpu": 2, "cpuLimit": 4, "memoryInGBLimit": 3}})"));
  const json& d = Get(objects, "Deployment", "svc2-v1");
  EXPECT_EQ(ServerContainer(d)["resources"],
            (json{{"requests", {{"cpu", "2500m"}, {"memory", "1536Mi"}, {"nvidia.com/gpu", "2"}}},
                  {"limits", {{"cpu", "4000m"}, {"memory", "3072Mi"}, {"nvidia.com/gpu", "2"}}}}));
  EXPECT_EQ(d["spec"]["template"]["spec"]["tolerations"][0]["key"], "nvidia.com/gpu");
}

TEST(ComputeAksK8sRender, FpgaAcceleratorRequestsTheConfiguredResource) {
  ServiceSpec spec =
      MakeSpec("fsvc", "{}", {{"v1", 50, true, false, "fpga"}, {"v2", 50, false, false, "torch"}});
  auto objects = Render(spec);
  const json& fpga = ServerContainer(Get(objects, "Deployment", "fsvc-v1"))["resources"];
  const std::string kDefault = "xilinx.com/fpga-xilinx_u250_gen3x16_xdma_shell_4_1-0";
  EXPECT_EQ(fpga["requests"][kDefault], "1");
  EXPECT_EQ(fpga["limits"][kDefault], "1");
  EXPECT_FALSE(
      ServerContainer(Get(objects, "Deployment", "fsvc-v2"))["resources"]["limits"].contains(
          kDefault));

  RenderInput in;
  in.spec = spec;
  auto options = ParseRenderOptions(json{{"fpgaResourceName", "amd.com/xilinx_u55c"}});
  ASSERT_TRUE(options.ok()) << options.status().ToString();
  in.options = *options;
  objects = Render(in);
  EXPECT_EQ(ServerContainer(Get(objects, "Deployment",
                                "fsvc-v1"))["resources"]["limits"]["amd.com/xilinx_u55c"],
            "1");
}

TEST(ComputeAksK8sRender, ProbesFromLivenessProbeRequirements) {
  auto objects = Render(MakeSpec("psvc", R"({"livenessProbeRequirements": {"periodSeconds": 7,
      "initialDelaySeconds": 42, "timeoutSeconds": 3, "successThreshold": 2, "failureThreshold": 5}})"));
  const json& c = ServerContainer(Get(objects, "Deployment", "psvc-v1"));
  // Issue 19.6: Azure's initialDelaySeconds is the startupProbe's budget
  // (21 tries 2 s apart cover 42 s); liveness then runs without a delay.
  EXPECT_EQ(c["startupProbe"],
            (json{{"httpGet", {{"path", "/v2/health/live"}, {"port", "http"}}},
                  {"periodSeconds", 2},
                  {"timeoutSeconds", 3},
                  {"successThreshold", 1},
                  {"failureThreshold", 21}}));
  EXPECT_EQ(c["livenessProbe"],
            (json{{"httpGet", {{"path", "/v2/health/live"}, {"port", "http"}}},
                  {"periodSeconds", 7},
                  {"timeoutSeconds", 3},
                  {"successThreshold", 1},  // Kubernetes allows only 1 on liveness
                  {"failureThreshold", 5}}));
  EXPECT_EQ(c["readinessProbe"],
            (json{{"httpGet", {{"path", "/v2/health/ready"}, {"port", "http"}}},
                  {"periodSeconds", 7},
                  {"timeoutSeconds", 3},
                  {"successThreshold", 2},
                  {"failureThreshold", 5}}));
}

// Issue 19.6: with Azure's defaults (initialDelaySeconds 310) liveness was
// not asked for five minutes, so a pod that hung after it started went
// unnoticed that long. A startupProbe now holds Azure's delay, and liveness
// (no delay) notices a hang in periodSeconds x failureThreshold.
TEST(ComputeAksK8sRender, AHungPodIsNoticedInSecondsNotFiveMinutes) {
  auto objects = Render(MakeSpec("hsvc", "{}", {{"v1", 60, true, false, "torch"},
                                                {"v2", 40, false, false, "torch"}}));
  for (const char* name : {"hsvc-v1", "hsvc-v2", "hsvc-router"}) {
    SCOPED_TRACE(name);
    const json& c = ServerContainer(Get(objects, "Deployment", name));
    const json& liveness = c["livenessProbe"];
    EXPECT_FALSE(liveness.contains("initialDelaySeconds")) << liveness;
    EXPECT_LE(liveness["periodSeconds"].get<int>() * liveness["failureThreshold"].get<int>(), 30);
    const json& startup = c["startupProbe"];
    ASSERT_TRUE(startup.is_object()) << c;
    EXPECT_EQ(startup["httpGet"], liveness["httpGet"]) << "answers while the models load";
    EXPECT_EQ(startup["periodSeconds"], 2) << "a started server is seen within 2 s";
    EXPECT_EQ(startup["successThreshold"], 1);
    EXPECT_FALSE(c["readinessProbe"].contains("initialDelaySeconds"));
  }
  // A version pod still gets Azure's whole delay to answer once.
  const json& startup = ServerContainer(Get(objects, "Deployment", "hsvc-v1"))["startupProbe"];
  EXPECT_GE(startup["periodSeconds"].get<int>() * startup["failureThreshold"].get<int>(), 310);
}

// Issue 19.3: every skiff-server container serves its metrics on a port of
// its own that no Service behind the public load balancer exposes; scrapers
// find it by annotation, inside the cluster only.
TEST(ComputeAksK8sRender, MetricsPortIsInTheClusterAndNeverBehindTheLoadBalancer) {
  auto objects = Render(MakeSpec("msvc", "{}", {{"v1", 60, true, false, "torch"},
                                                {"v2", 40, false, false, "torch"}}));
  for (const char* name : {"msvc-v1", "msvc-v2", "msvc-router"}) {
    SCOPED_TRACE(name);
    const json& d = Get(objects, "Deployment", name);
    const json& ports = ServerContainer(d)["ports"];
    EXPECT_EQ(ports, (json{{{"name", "http"}, {"containerPort", 8080}, {"protocol", "TCP"}},
                           {{"name", "metrics"}, {"containerPort", 9090}, {"protocol", "TCP"}}}));
    const json& annotations = d["spec"]["template"]["metadata"]["annotations"];
    EXPECT_EQ(annotations["prometheus.io/scrape"], "true");
    EXPECT_EQ(annotations["prometheus.io/port"], "9090");
    EXPECT_EQ(annotations["prometheus.io/path"], "/metrics");
  }
  for (const json& o : objects) {
    EXPECT_NE(o["kind"], "ServiceMonitor") << "only with kubernetes.serviceMonitor";
    if (o["kind"] != "Service") continue;
    for (const json& port : o["spec"]["ports"]) {
      EXPECT_EQ(port["targetPort"], "http") << o["metadata"]["name"] << " exposes " << port;
    }
  }
  // The version pods take metrics from any pod of the cluster, scoring only
  // from the router.
  const json& np = Get(objects, "NetworkPolicy", "msvc-versions");
  ASSERT_EQ(np["spec"]["ingress"].size(), 2u);
  EXPECT_EQ(np["spec"]["ingress"][1],
            (json{{"from", {{{"namespaceSelector", json::object()}}}},
                  {"ports", {{{"protocol", "TCP"}, {"port", 9090}}}}}));
  // No `from` anywhere: nothing is open to every source.
  for (const json& rule : np["spec"]["ingress"]) EXPECT_TRUE(rule.contains("from")) << rule;
}

// kubernetes.serviceMonitor: a ClusterIP Service over every pod's metrics
// port and a prometheus-operator ServiceMonitor selecting it.
TEST(ComputeAksK8sRender, ServiceMonitorOptionAddsAClusterIpServiceAndItsMonitor) {
  RenderInput in;
  in.spec = MakeSpec("smsvc", R"({"namespace": "prod"})");
  auto options = ParseRenderOptions(json{{"serviceMonitor", true}});
  ASSERT_TRUE(options.ok()) << options.status().ToString();
  in.options = *options;
  auto objects = Render(in);
  ASSERT_GE(objects.size(), 2u);
  const json& service = objects[objects.size() - 2];
  const json& monitor = objects.back();
  EXPECT_EQ(Kinds({service, monitor}),
            (std::vector<std::string>{"Service/smsvc-metrics", "ServiceMonitor/smsvc-metrics"}));
  EXPECT_EQ(monitor["apiVersion"], "monitoring.coreos.com/v1");
  EXPECT_EQ(monitor["metadata"]["namespace"], "prod");
  EXPECT_EQ(service["spec"]["type"], "ClusterIP");
  EXPECT_EQ(service["spec"]["ports"],
            (json{{{"name", "metrics"}, {"port", 9090}, {"targetPort", "metrics"},
                   {"protocol", "TCP"}}}));
  EXPECT_EQ(monitor["spec"]["endpoints"],
            (json{{{"port", "metrics"}, {"path", "/metrics"}, {"interval", "30s"}}}));
  // The monitor selects the metrics Service, and that Service selects every
  // pod of the service (router and version) and nothing else.
  for (const auto& [k, v] : monitor["spec"]["selector"]["matchLabels"].items()) {
    EXPECT_EQ(service["metadata"]["labels"][k], v) << k;
  }
  for (const json& o : objects) {
    if (o["kind"] == "Service" && o["metadata"]["name"] != "smsvc-metrics") {
      EXPECT_NE(o["metadata"]["labels"]["app.kubernetes.io/component"], "metrics");
    }
    if (o["kind"] != "Deployment") continue;
    for (const auto& [k, v] : service["spec"]["selector"].items()) {
      EXPECT_EQ(o["spec"]["template"]["metadata"]["labels"][k], v) << o["metadata"]["name"];
    }
  }

  // A version whose objects would be named like the metrics Service.
  in.spec = MakeSpec("smsvc", "{}", {{"metrics", 100, true, false, "torch"}});
  auto clash = RenderService(in);
  EXPECT_EQ(clash.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(clash.status().message().find("kubernetes.serviceMonitor"), std::string::npos)
      << clash.status().message();
  auto wrong = ParseRenderOptions(json{{"serviceMonitor", "yes"}});
  EXPECT_NE(wrong.status().message().find("kubernetes.serviceMonitor"), std::string::npos)
      << wrong.status().message();
}

TEST(ComputeAksK8sRender, PodsRunNonRootOnAReadOnlyRoot) {
  RenderInput in;
  in.spec = MakeSpec("tsvc", R"({"authEnabled": false, "tokenAuthEnabled": true})");
  in.signing_key_files = testing::SampleSigningKeyFiles();
  auto objects = Render(in);
  int containers = 0;
  for (const json& o : objects) {
    if (o["kind"] != "Deployment") continue;
    const json& pod = o["spec"]["template"]["spec"];
    EXPECT_EQ(pod["securityContext"]["runAsNonRoot"], true);
    EXPECT_EQ(pod["securityContext"]["runAsUser"], 10001);
    EXPECT_EQ(pod["automountServiceAccountToken"], false);
    for (const char* list : {"containers", "initContainers"}) {
      if (!pod.contains(list)) continue;
      for (const json& c : pod[list]) {
        ++containers;
        EXPECT_EQ(c["securityContext"]["readOnlyRootFilesystem"], true) << c["name"];
        EXPECT_EQ(c["securityContext"]["allowPrivilegeEscalation"], false) << c["name"];
        EXPECT_EQ(c["securityContext"]["runAsNonRoot"], true) << c["name"];
        EXPECT_EQ(c["securityContext"]["capabilities"]["drop"], json::array({"ALL"}));
      }
    }
  }
  EXPECT_EQ(containers, 3);  // server, its key-installing init container, router
}

TEST(ComputeAksK8sRender, AutoscalerOrFixedReplicas) {
  auto objects = Render(MakeSpec("asvc", R"({"autoScaler": {"minReplicas": 2, "maxReplicas": 7,
      "targetUtilization": 55, "refreshPeriodInSeconds": 15}})"));
  const json& hpa = Get(objects, "HorizontalPodAutoscaler", "asvc-v1");
  EXPECT_EQ(hpa["apiVersion"], "autoscaling/v2");
  EXPECT_EQ(hpa["spec"]["scaleTargetRef"],
            (json{{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"name", "asvc-v1"}}));
  EXPECT_EQ(hpa["spec"]["minReplicas"], 2);
  EXPECT_EQ(hpa["spec"]["maxReplicas"], 7);
  EXPECT_EQ(hpa["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"], 55);
  EXPECT_EQ(hpa["spec"]["behavior"]["scaleUp"]["policies"][0]["periodSeconds"], 15);
  // The HPA owns the replica count.
  EXPECT_FALSE(Get(objects, "Deployment", "asvc-v1")["spec"].contains("replicas"));

  objects = Render(MakeSpec("fsvc", R"({"numReplicas": 3})"));
  EXPECT_EQ(Find(objects, "HorizontalPodAutoscaler", "fsvc-v1"), nullptr);
  EXPECT_EQ(Get(objects, "Deployment", "fsvc-v1")["spec"]["replicas"], 3);

  objects = Render(MakeSpec("osvc", R"({"autoScaler": {"autoscaleEnabled": false}})"));
  EXPECT_EQ(Find(objects, "HorizontalPodAutoscaler", "osvc-v1"), nullptr);
  EXPECT_EQ(Get(objects, "Deployment", "osvc-v1")["spec"]["replicas"], 1);
}

// Issue 21.4: each version's Deployment, HPA and pod config follow its own
// deployment config (endpoint create-version --dc); the others the service's.
TEST(ComputeAksK8sRender, EachVersionGetsItsOwnDeploymentConfig) {
  const std::string own = R"({"numReplicas": 4,
      "containerResourceRequirements": {"cpu": 1.5, "memoryInGB": 3, "gpu": 1},
      "livenessProbeRequirements": {"periodSeconds": 25}})";
  SampleVersion v1{"v1", 80, true, false, "torch"};
  SampleVersion v2{"v2", 20, false, false, "torch"};
  auto objects =
      Render(MakeSpec("epv", R"({"autoScaler": {"minReplicas": 2}})", {v1, v2}, {{"v2", own}}));
  const json& d1 = Get(objects, "Deployment", "epv-v1");
  const json& d2 = Get(objects, "Deployment", "epv-v2");
  EXPECT_FALSE(d1["spec"].contains("replicas")) << "v1 autoscales with the service's config";
  EXPECT_NE(Find(objects, "HorizontalPodAutoscaler", "epv-v1"), nullptr);
  EXPECT_EQ(Get(objects, "HorizontalPodAutoscaler", "epv-v1")["spec"]["minReplicas"], 2);
  EXPECT_EQ(d2["spec"]["replicas"], 4);
  EXPECT_EQ(Find(objects, "HorizontalPodAutoscaler", "epv-v2"), nullptr);
  EXPECT_EQ(ServerContainer(d2)["resources"]["requests"]["cpu"], "1500m");
  EXPECT_EQ(ServerContainer(d2)["resources"]["requests"]["nvidia.com/gpu"], "1");
  EXPECT_EQ(ServerContainer(d2)["livenessProbe"]["periodSeconds"], 25);
  EXPECT_TRUE(d2["spec"]["template"]["spec"].contains("tolerations"));
  EXPECT_EQ(ServerContainer(d1)["resources"]["requests"]["cpu"], "100m");
  EXPECT_FALSE(ServerContainer(d1)["resources"]["requests"].contains("nvidia.com/gpu"));
  EXPECT_FALSE(d1["spec"]["template"]["spec"].contains("tolerations"));
  EXPECT_EQ(ServerContainer(d1)["livenessProbe"]["periodSeconds"], 10);
}

TEST(ComputeAksK8sRender, DisruptionBudgets) {
  auto objects = Render(MakeSpec("dsvc", "{}"));
  for (const char* name : {"dsvc-v1", "dsvc-router"}) {
    const json& pdb = Get(objects, "PodDisruptionBudget", name);
    EXPECT_EQ(pdb["apiVersion"], "policy/v1");
    EXPECT_EQ(pdb["spec"]["maxUnavailable"], 1);
  }
  EXPECT_EQ(Get(objects, "PodDisruptionBudget", "dsvc-v1")["spec"]["selector"]["matchLabels"],
            Get(objects, "Deployment", "dsvc-v1")["spec"]["selector"]["matchLabels"]);
}

TEST(ComputeAksK8sRender, LoadBalancerPublicOrInternal) {
  auto objects = Render(MakeSpec("lbsvc", "{}"));
  const json& pub = Get(objects, "Service", "lbsvc");
  EXPECT_EQ(pub["spec"]["type"], "LoadBalancer");
  EXPECT_FALSE(pub["metadata"].contains("annotations"));
  EXPECT_EQ(Get(objects, "Service", "lbsvc-v1")["spec"]["type"], "ClusterIP");

  RenderInput in;
  in.spec = MakeSpec("lbsvc", "{}");
  in.cluster.load_balancer_type = "InternalLoadBalancer";
  objects = Render(in);
  EXPECT_EQ(
      Get(objects, "Service", "lbsvc")["metadata"]["annotations"],
      (json{{"service.beta.kubernetes.io/azure-load-balancer-internal", "true"},
            {"service.beta.kubernetes.io/azure-load-balancer-internal-subnet", "aks-subnet"}}));
  in.cluster.load_balancer_subnet =
      "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vn/subnets/"
      "scoring";
  objects = Render(in);
  EXPECT_EQ(Get(objects, "Service",
                "lbsvc")["metadata"]["annotations"]
                        ["service.beta.kubernetes.io/azure-load-balancer-internal-subnet"],
            "scoring");
  // A string, not a YAML boolean.
  EXPECT_NE(ToYaml(objects).find("azure-load-balancer-internal: \"true\""), std::string::npos);

  in.cluster.load_balancer_type = "Private";
  EXPECT_EQ(RenderService(in).status().code(), StatusCode::kInvalidArgument);
}

TEST(ComputeAksK8sRender, RouterReplicasFollowClusterPurpose) {
  RenderInput in;
  in.spec = MakeSpec("rsvc", "{}");
  EXPECT_EQ(Get(Render(in), "Deployment", "rsvc-router")["spec"]["replicas"], 2);
  in.cluster.cluster_purpose = "DevTest";
  EXPECT_EQ(Get(Render(in), "Deployment", "rsvc-router")["spec"]["replicas"], 1);
}

TEST(ComputeAksK8sRender, NoRawKeyAnywhere) {
  const std::string dc =
      json{{"keys",
            {{"primaryKey", testing::kPrimaryKey}, {"secondaryKey", testing::kSecondaryKey}}}}
          .dump();
  auto objects = Render(MakeSpec("ksvc", dc));
  const std::string yaml = ToYaml(objects);
  std::string all_json;
  for (const json& o : objects) all_json += o.dump();
  for (const std::string& text : {yaml, all_json}) {
    EXPECT_EQ(text.find(testing::kPrimaryKey), std::string::npos);
    EXPECT_EQ(text.find(testing::kSecondaryKey), std::string::npos);
    EXPECT_EQ(text.find("primaryKey"), std::string::npos);
  }
  // The router gets the digests, in the Secret only.
  const json pod = json::parse(
      Get(objects, "Secret", "ksvc-server")["stringData"]["server-router.json"].get<std::string>());
  EXPECT_EQ(pod["auth"]["keySha256"].size(), 2u);
  EXPECT_EQ(pod["auth"]["keySha256"][0].get<std::string>().size(), 64u);
  EXPECT_FALSE(pod["deploymentConfig"].contains("keys"));
  EXPECT_EQ(Get(objects, "ConfigMap", "ksvc-config")
                .dump()
                .find(pod["auth"]["keySha256"][0].get<std::string>()),
            std::string::npos);
}

// Issue 20 item 3: `grpc` puts a second port on the router (container port
// "grpc", Service port 8001) and in its server.json; version pods get none
// (the router's hop to them is HTTP with binary tensors).
TEST(ComputeAksK8sRender, GrpcIsASecondRouterPortAndNoVersionPort) {
  auto objects = Render(testing::GrpcSampleInputs().front().input);
  const json& router = Get(objects, "Deployment", "grpc-ep-router");
  EXPECT_EQ(ServerContainer(router)["ports"].back(),
            (json{{"name", "grpc"}, {"containerPort", 8081}, {"protocol", "TCP"}}));
  const json& service = Get(objects, "Service", "grpc-ep");
  ASSERT_EQ(service["spec"]["ports"].size(), 2u);
  EXPECT_EQ(service["spec"]["ports"][1],
            (json{{"name", "grpc"}, {"port", 8001}, {"targetPort", "grpc"}, {"protocol", "TCP"}}));
  const json& data = Get(objects, "Secret", "grpc-ep-server")["stringData"];
  const json router_config = json::parse(data["server-router.json"].get<std::string>());
  EXPECT_EQ(router_config["grpc"]["port"], 8081);
  EXPECT_FALSE(router_config["grpc"].contains("portFile"));
  for (const char* version : {"server-v1.json", "server-v2.json"}) {
    EXPECT_FALSE(json::parse(data[version].get<std::string>()).contains("grpc")) << version;
  }
  for (const char* name : {"grpc-ep-v1", "grpc-ep-v2"}) {
    for (const json& port : ServerContainer(Get(objects, "Deployment", name))["ports"]) {
      EXPECT_NE(port["name"], "grpc") << name;
    }
  }
  // Without `grpc`: one Service port, as before.
  EXPECT_EQ(Get(Render(MakeSpec("plain", "{}")), "Service", "plain")["spec"]["ports"].size(), 1u);
}

TEST(ComputeAksK8sRender, PodServerConfigUsesContainerPaths) {
  auto objects = Render(
      MakeSpec("ep1", "{}", {{"v1", 90, true, false, "torch"}, {"v2", 10, false, true, "torch"}}));
  const json& data = Get(objects, "Secret", "ep1-server")["stringData"];
  const json v1 = json::parse(data["server-v1.json"].get<std::string>());
  const json v2 = json::parse(data["server-v2.json"].get<std::string>());
  EXPECT_EQ(v1["address"], "0.0.0.0");
  EXPECT_EQ(v1["port"], 8080);
  EXPECT_FALSE(v1.contains("auth")) << "version pods serve only the router";
  EXPECT_EQ(v1["deploymentConfig"]["authEnabled"], false);
  EXPECT_EQ(v1["requestLog"], "/var/lib/skiff/data/requests.jsonl");
  ASSERT_EQ(v1["versions"].size(), 1u);
  EXPECT_EQ(v1["versions"][0]["artifactPath"],
            "/var/lib/skiff/models/sha256/" + v1["versions"][0]["sha256"].get<std::string>());
  EXPECT_EQ(v2["versions"][0]["artifactPath"],
            "/var/lib/skiff/models/materialized/" + v2["versions"][0]["sha256"].get<std::string>());
  EXPECT_EQ(v2["versions"][0]["isDefault"], true);
  EXPECT_EQ(v2["versions"][0]["trafficPercentile"], 100);

  const json& d = Get(objects, "Deployment", "ep1-v1");
  const json& pod = d["spec"]["template"]["spec"];
  EXPECT_EQ(ServerContainer(d)["args"], json::array({"--config", "/etc/skiff/server/server.json"}));
  EXPECT_EQ(pod["volumes"][0]["secret"]["items"],
            (json{{{"key", "server-v1.json"}, {"path", "server.json"}}}));
  bool has_claim = false;
  for (const json& v : pod["volumes"]) {
    if (v.contains("persistentVolumeClaim")) {
      has_claim = true;
      EXPECT_EQ(v["persistentVolumeClaim"],
                (json{{"claimName", "skiff-models"}, {"readOnly", true}}));
    }
  }
  EXPECT_TRUE(has_claim);

  const json& cm = Get(objects, "ConfigMap", "ep1-config")["data"];
  const json routing = json::parse(cm["routing.json"].get<std::string>());
  EXPECT_EQ(routing["versions"][1], (json{{"name", "v2"},
                                          {"trafficPercentile", 10},
                                          {"isDefault", false},
                                          {"isControl", true},
                                          {"kubernetesService", "ep1-v2"}}));
  EXPECT_TRUE(cm.contains("inference-v1.json"));

  // The router: skiff-server with every version as an upstream, the split
  // and the service's auth, reloading its Secret volume in place.
  const json router = json::parse(data["server-router.json"].get<std::string>());
  EXPECT_EQ(router["auth"]["options"]["keysDir"], "/var/run/skiff/signing-keys");
  EXPECT_EQ(router["auth"]["keySha256"].size(), 2u);
  ASSERT_EQ(router["versions"].size(), 2u);
  EXPECT_EQ(router["versions"][1]["upstream"],
            "http://ep1-v2.default.svc.cluster.local/v2/models/ep1/infer");
  EXPECT_EQ(router["versions"][1]["trafficPercentile"], 10);
  EXPECT_EQ(router["versions"][1]["isControl"], true);
  EXPECT_FALSE(router["versions"][0].contains("artifactPath"));
  const json& r = Get(objects, "Deployment", "ep1-router");
  const json& rc = r["spec"]["template"]["spec"]["containers"][0];
  EXPECT_EQ(rc["command"], json::array({"/opt/skiff/bin/skiff-server"}));
  EXPECT_EQ(rc["args"], json::array({"--config", "/etc/skiff/router/server.json",
                                     "--watch-config", "5"}));
  EXPECT_EQ(rc["readinessProbe"]["httpGet"]["path"], "/v2/health/ready");
  EXPECT_EQ(r["spec"]["template"]["spec"]["volumes"][0]["secret"]["items"],
            (json{{{"key", "server-router.json"}, {"path", "server.json"}}}));

  // Only the router's pods may reach the version pods.
  const json& np = Get(objects, "NetworkPolicy", "ep1-versions");
  EXPECT_EQ(np["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/component"],
            "model-version");
  EXPECT_EQ(np["spec"]["ingress"][0]["from"][0]["podSelector"]["matchLabels"]
              ["app.kubernetes.io/component"],
            "router");
  EXPECT_EQ(np["spec"]["ingress"][0]["from"][0]["podSelector"]["matchLabels"]
              ["app.kubernetes.io/instance"],
            "ep1");
}

TEST(ComputeAksK8sRender, TokenModeShipsKeyFilesThroughAnInitContainer) {
  RenderInput in;
  in.spec = MakeSpec("tsvc", R"({"authEnabled": false, "tokenAuthEnabled": true})");
  EXPECT_EQ(RenderService(in).status().code(), StatusCode::kInvalidArgument);

  in.signing_key_files = testing::SampleSigningKeyFiles();
  auto objects = Render(in);
  const json& data = Get(objects, "Secret", "tsvc-server")["stringData"];
  EXPECT_TRUE(data.contains("signing-keys.active"));
  EXPECT_TRUE(data.contains("signing-keys.kid0123456789abcdefghi.key.json"));
  const json router_config = json::parse(data["server-router.json"].get<std::string>());
  EXPECT_FALSE(router_config["auth"].contains("keySha256"));
  EXPECT_EQ(router_config["deploymentConfig"]["tokenAuthEnabled"], true);
  // The router verifies tokens: it gets the key files, the versions do not.
  EXPECT_FALSE(
      Get(objects, "Deployment", "tsvc-v1")["spec"]["template"]["spec"].contains("initContainers"));
  const json& pod = Get(objects, "Deployment", "tsvc-router")["spec"]["template"]["spec"];
  ASSERT_EQ(pod["initContainers"].size(), 1u);
  EXPECT_NE(pod["initContainers"][0]["command"][2].get<std::string>().find(
                "umask 077 && mkdir -p /var/run/skiff/signing-keys && cp -L"),
            std::string::npos);
  // The key secret never lands in the ConfigMap.
  EXPECT_EQ(Get(objects, "ConfigMap", "tsvc-config").dump().find(testing::kHmacSecret),
            std::string::npos);

  // A new key rolls the router (its init container copies the keys).
  const json before = Get(objects, "Deployment", "tsvc-router")["spec"]["template"]["metadata"];
  in.signing_key_files["active"] = "other\n";
  const json after = Get(Render(in), "Deployment", "tsvc-router")["spec"]["template"]["metadata"];
  EXPECT_NE(before["annotations"]["skiff.io/keys-sha256"],
            after["annotations"]["skiff.io/keys-sha256"]);
}

// Service and endpoint version names may each have 32 characters; their
// `<service>-<version>` objects would have 65, past Kubernetes' 63. They render,
// shortened, with every name valid and distinct versions kept apart.
TEST(ComputeAksK8sRender, LongestServiceAndVersionNamesRender) {
  const std::string service = "s" + std::string(31, 'e');
  const std::string blue = "b" + std::string(30, 'l') + "1";
  const std::string green = "b" + std::string(30, 'l') + "2";
  RenderInput in;
  in.spec = MakeSpec(service, "{}",
                     {{blue, 50, true, false, "torch"}, {green, 50, false, false, "torch"}});
  auto out = RenderService(in);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  std::set<std::string> deployments;
  for (const json& o : *out) {
    const std::string name = o["metadata"]["name"];
    EXPECT_LE(name.size(), 63u) << name;
    EXPECT_TRUE(ValidateDns1035Label(name, "name").ok()) << name;
    if (o["kind"] == "Deployment") deployments.insert(name);
  }
  // Two versions and the router, each its own Deployment.
  EXPECT_EQ(deployments.size(), 3u);
  for (const std::string& name : deployments) EXPECT_EQ(name.rfind(service + "-", 0), 0u) << name;
}

TEST(ComputeAksK8sRender, APlainServiceOfAnyValidNameRenders) {
  // Service names may have 32 characters; the version of a plain service is
  // named like the service.
  const std::string name = "a" + std::string(30, 'b') + "c";
  auto objects = Render(MakeSpec(name, "{}", {{name, 100, true, false, "torch"}}));
  ASSERT_FALSE(objects.empty());
  const json& d = Get(objects, "Deployment", name + "-model");
  EXPECT_EQ(d["metadata"]["labels"]["skiff.io/version"], "model");
  const json pod =
      json::parse(Get(objects, "Secret", name + "-server")["stringData"]["server-model.json"]
                      .get<std::string>());
  EXPECT_EQ(pod["versions"][0]["name"], name);
}

TEST(ComputeAksK8sRender, NamesAreValidated) {
  RenderInput in;
  in.spec = MakeSpec("my-svc", "{}");
  in.spec.name = "My_Svc";
  auto bad = RenderService(in);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("service name 'My_Svc'"), std::string::npos);

  in.spec = MakeSpec("my-svc", "{}",
                     {{"v_1", 50, true, false, "torch"}, {"V-1", 50, false, false, "torch"}});
  bad = RenderService(in);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("both become 'v-1'"), std::string::npos);

  in.spec = MakeSpec("my-svc", "{}", {{"v 1", 100, true, false, "torch"}});
  EXPECT_EQ(RenderService(in).status().code(), StatusCode::kInvalidArgument);

  in.spec = MakeSpec("my-svc", "{}");
  json server = json::parse(in.spec.server_config_json);
  server["versions"][0]["artifactPath"] = "/tmp/model.pt";
  in.spec.server_config_json = server.dump();
  bad = RenderService(in);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("artifactPath '/tmp/model.pt'"), std::string::npos);
}

}  // namespace
}  // namespace skiff::compute_aks::k8s

namespace skiff::compute_aks::k8s {
namespace {

// Issue 18 item 2: a version whose model travels as an image layer runs that
// image, pinned by digest, and mounts no claim; "pvc" keeps the claim.
TEST(ComputeAksK8sRender, ModelImagesReplaceTheClaim) {
  RenderInput in;
  in.spec = testing::MakeSpec(
      "ep1", "{}", {{"v1", 90, true, false, "torch"}, {"v2", 10, false, true, "torch"}});
  const json server = json::parse(in.spec.server_config_json);
  const std::string sha1 = server["versions"][0]["sha256"];
  const std::string sha2 = server["versions"][1]["sha256"];
  const std::string image1 = "reg.example/skiff/server@sha256:" + std::string(64, '1');
  const std::string image2 = "reg.example/skiff/server@sha256:" + std::string(64, '2');
  auto options = ParseRenderOptions(
      json{{"modelSource", "image"}, {"modelImages", {{sha1, image1}, {sha2, image2}}}});
  ASSERT_TRUE(options.ok()) << options.status().ToString();
  in.options = *options;
  auto objects = Render(in);
  for (const auto& [name, image] : {std::pair{"ep1-v1", image1}, std::pair{"ep1-v2", image2}}) {
    const json& d = Get(objects, "Deployment", name);
    EXPECT_EQ(ServerContainer(d)["image"], image) << name;
    EXPECT_EQ(d.dump().find("persistentVolumeClaim"), std::string::npos) << name;
    EXPECT_EQ(d.dump().find("\"models\""), std::string::npos) << name;
  }

  // One version without an image: refused while modelSource is "image".
  auto partial = ParseRenderOptions(json{{"modelSource", "image"}, {"modelImages", {{sha1, image1}}}});
  ASSERT_TRUE(partial.ok());
  in.options = *partial;
  auto refused = RenderService(in);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find(sha2), std::string::npos);
  EXPECT_NE(refused.status().message().find("skiff image push"), std::string::npos);

  // "pvc": the claim, and the configured image, whatever modelImages says.
  auto pvc = ParseRenderOptions(json{{"modelSource", "pvc"}, {"modelImages", {{sha1, image1}}}});
  ASSERT_TRUE(pvc.ok());
  in.options = *pvc;
  objects = Render(in);
  const json& d = Get(objects, "Deployment", "ep1-v1");
  EXPECT_EQ(ServerContainer(d)["image"], in.options.image);
  EXPECT_NE(d.dump().find("persistentVolumeClaim"), std::string::npos);
}

TEST(ComputeAksK8sOptionsModelSource, RefusesATagOrABadDigestNamingTheKey) {
  const std::string sha(64, 'a');
  for (const json& bad : {json{{"modelSource", "disk"}},
                          json{{"modelImages", {{sha, "reg.example/skiff/server:1"}}}},
                          json{{"modelImages", {{"abc", "r/s@sha256:" + sha}}}},
                          json{{"modelImages", "x"}}}) {
    auto r = ParseRenderOptions(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("kubernetes.model"), std::string::npos)
        << r.status().message();
  }
}

}  // namespace
}  // namespace skiff::compute_aks::k8s
