// SPDX-License-Identifier: Apache-2.0
#include "sample_specs.h"

#include <nlohmann/json.hpp>
#include "skiff/util/sha256.h"

namespace skiff::compute_aks::k8s::testing {
namespace {

using nlohmann::json;

json InferenceConfig(const std::string& accelerator) {
  return {{"accelerator", accelerator},
          {"inputs", {{{"name", "input"}, {"datatype", "FP32"}, {"shape", {-1, 4}}}}},
          {"outputs", {{{"name", "output"}, {"datatype", "FP32"}, {"shape", {-1, 3}}}}}};
}

}  // namespace

ServiceSpec MakeSpec(const std::string& service, const std::string& deployment_config,
                     const std::vector<SampleVersion>& versions,
                     const std::map<std::string, std::string>& own_configs) {
  json dc = json::parse(deployment_config);
  dc["computeType"] = "aks";
  const bool token = dc.value("tokenAuthEnabled", false);
  const bool key = dc.value("authEnabled", true) && !token;
  ServiceSpec spec;
  spec.name = service;
  spec.workspace_dir = "/home/user/.skiff";
  spec.deployment_config_json = dc.dump();
  json server = {{"service", service},
                 {"generation", 3},
                 {"deploymentConfig", dc},
                 {"requestLog", "/home/user/.skiff/services/" + service + "/requests.jsonl"},
                 {"versions", json::array()}};
  json auth = {
      {"plugin", "default"},
      {"options", {{"workspace", "skiff"}, {"keysDir", "/home/user/.skiff/signing-keys"}}}};
  if (key) auth["keySha256"] = {Sha256Hex(kPrimaryKey), Sha256Hex(kSecondaryKey)};
  server["auth"] = auth;
  int i = 0;
  for (const SampleVersion& v : versions) {
    const std::string sha = Sha256Hex("model-" + v.name);
    const std::string path = (i++ % 2 == 0) ? "/home/user/.skiff/artifacts/sha256/" + sha
                                            : "/home/user/.skiff/artifacts/materialized/" + sha;
    json ic = InferenceConfig(v.accelerator);
    server["versions"].push_back({{"name", v.name},
                                  {"trafficPercentile", v.traffic},
                                  {"isDefault", v.is_default},
                                  {"isControl", v.is_control},
                                  {"artifactPath", path},
                                  {"sha256", sha},
                                  {"inferenceConfig", ic}});
    if (auto it = own_configs.find(v.name); it != own_configs.end()) {
      json own = json::parse(it->second);
      own["computeType"] = "aks";
      server["versions"].back()["deploymentConfig"] = own;
    }
  }
  spec.server_config_json = server.dump();
  return spec;
}

std::vector<NamedInput> TlsSampleInputs() {
  RenderInput in;
  in.spec = MakeSpec("tls-svc", "{}");
  in.cluster.ssl_cname = "scoring.example.com";
  in.tls = TlsPair{"-----BEGIN CERTIFICATE-----\n(test)\n-----END CERTIFICATE-----\n",
                   "-----BEGIN PRIVATE KEY-----\n(test)\n-----END PRIVATE KEY-----\n"};
  return {{"tls-front-door", std::move(in), ""}};
}

std::vector<NamedInput> GrpcSampleInputs() {
  RenderInput in;
  in.spec = MakeSpec("grpc-ep", R"({"grpc": {"enabled": true}})",
                     {{"v1", 90, true, false, "torch"}, {"v2", 10, false, false, "torch"}});
  json server = json::parse(in.spec.server_config_json);
  server["grpc"] = json::object();
  in.spec.server_config_json = server.dump();
  return {{"grpc-endpoint", std::move(in), ""}};
}

std::map<std::string, std::string> SampleSigningKeyFiles() {
  return {{"kid0123456789abcdefghi.key.json", json{{"kid", "kid0123456789abcdefghi"},
                                                   {"alg", "HS256"},
                                                   {"createdAt", 1700000000},
                                                   {"secret", kHmacSecret}}
                                                  .dump()},
          {"active", "kid0123456789abcdefghi\n"}};
}

std::vector<NamedInput> SampleInputs() {
  std::vector<NamedInput> out;
  auto add = [&](const std::string& name, ServiceSpec spec) {
    RenderInput in;
    in.spec = std::move(spec);
    out.push_back({name, std::move(in), ""});
    return &out.back().input;
  };
  add("key-auth",
      MakeSpec(
          "key-svc",
          json{{"keys", {{"primaryKey", kPrimaryKey}, {"secondaryKey", kSecondaryKey}}}}.dump()));
  add("token-auth", MakeSpec("token-svc", R"({"authEnabled": false, "tokenAuthEnabled": true})"))
      ->signing_key_files = SampleSigningKeyFiles();
  add("no-auth", MakeSpec("open-svc", R"({"authEnabled": false, "namespace": "skiff-open"})"));
  add("gpu", MakeSpec("gpu-svc",
                      R"({"containerResourceRequirements": {"cpu": 2, "memoryInGB": 8, "gpu": 1,
                          "cpuLimit": 4, "memoryInGBLimit": 12}})"));
  add("fpga", MakeSpec("fpga-svc", "{}", {{"v1", 100, true, false, "fpga"}}));
  add("autoscale", MakeSpec("auto-svc", R"({"autoScaler": {"minReplicas": 2, "maxReplicas": 7,
                                "targetUtilization": 55, "refreshPeriodInSeconds": 15}})"));
  add("fixed-replicas", MakeSpec("fixed-svc", R"({"numReplicas": 3})"));
  const size_t sample_with_pull_secret = out.size();
  add("endpoint-90-10",
      MakeSpec("ep1", R"({"namespace": "prod"})",
               {{"v1", 90, true, false, "torch"}, {"v2", 10, false, true, "torch"}}));
  // Issue 21.4: v2 has its own size, fixed replicas and probes; v1 autoscales
  // with the endpoint's.
  add("endpoint-per-version-dc",
      MakeSpec("ep2", "{}",
               {{"v1", 80, true, false, "torch"}, {"v2", 20, false, false, "torch"}},
               {{"v2", R"({"numReplicas": 4,
                     "containerResourceRequirements": {"cpu": 1.5, "memoryInGB": 3, "gpu": 1},
                     "livenessProbeRequirements": {"periodSeconds": 25}})"}}));
  // 32-character service and version names: `<service>-<version>` objects are
  // shortened to Kubernetes' 63 characters (k8s/dns_name.h).
  add("longest-names",
      MakeSpec("s" + std::string(31, 'e'), "{}",
               {{"b" + std::string(30, 'l') + "1", 50, true, false, "torch"},
                {"b" + std::string(30, 'l') + "2", 50, false, false, "torch"}}));
  RenderInput* internal = add("internal-lb", MakeSpec("internal-svc", "{}"));
  internal->cluster.load_balancer_type = "InternalLoadBalancer";
  internal->cluster.load_balancer_subnet = "my-subnet";
  RenderInput* devtest = add("devtest", MakeSpec("dev-svc", "{}"));
  devtest->cluster.cluster_purpose = "DevTest";
  // Issue 19.3: the metrics Service and ServiceMonitor (on an existing
  // sample, so the per-sample counts other tests take hold).
  devtest->options.service_monitor = true;
  // Issue 18 item 4: another registry's credentials as an imagePullSecret
  // (on an existing sample, so the per-sample counts other tests take hold).
  out[sample_with_pull_secret].pull_secret =
      R"({"auths":{"reg.example:5000":{"auth":"dXNlcjE6cGFzczE=","password":"pass1","username":"user1"}}})";
  return out;
}

}  // namespace skiff::compute_aks::k8s::testing
