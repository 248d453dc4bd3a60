// SPDX-License-Identifier: Apache-2.0
// The TLS front door (issue 19 item 2) through the real router: the objects
// rendered for a target with sslCname/--ssl-cert-file/--ssl-key-file are
// checked for what makes them work together (Secret -> mount -> server.json
// paths, container port -> Service 443, no port 80), then the rendered
// router server.json runs in a real skiff-server on loopback with the
// Secret's files materialised in a temp dir, in front of a real version
// server, and `curl --cacert` scores through it by the certificate's name.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "k8s/pod_paths.h"
#include "k8s/render.h"
#include "k8s/router_objects.h"
#include "sha256_hex.h"
#include "skiff/config/server_config.h"
#include "temp_dir.h"
#include "test_pki.h"

extern char** environ;

namespace skiff::compute_aks::k8s {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr char kCname[] = "scoring.example.test";
const std::string kKey = "front-door-key-0123456789-abcdefghijklmnopq";

json TestModelInference() {
  return {{"accelerator", "testmodel"},
          {"inputs", {{{"name", "x"}, {"datatype", "FP32"}, {"shape", {-1, 4}}}}},
          {"outputs", {{{"name", "y"}, {"datatype", "FP32"}, {"shape", {-1, 4}}}}}};
}

// A key-auth service of one version, as BuildServiceSpec makes it.
ServiceSpec KeyAuthSpec() {
  json dc = {{"computeType", "aks"}, {"authEnabled", true}};
  json server = {{"service", "tls-svc"},
                 {"generation", 1},
                 {"deploymentConfig", dc},
                 {"auth",
                  {{"plugin", "default"},
                   {"options", {{"workspace", "skiff"}}},
                   {"keySha256", {skiff::testing::Sha256Hex(kKey)}}}},
                 {"versions",
                  {{{"name", "v1"},
                    {"trafficPercentile", 100},
                    {"isDefault", true},
                    {"artifactPath",
                     "/home/user/.skiff/artifacts/sha256/" + skiff::testing::Sha256Hex("model")},
                    {"inferenceConfig", TestModelInference()}}}}};
  ServiceSpec spec;
  spec.name = "tls-svc";
  spec.workspace_dir = "/home/user/.skiff";
  spec.deployment_config_json = dc.dump();
  spec.server_config_json = server.dump();
  return spec;
}

const json& Find(const std::vector<json>& objects, const std::string& kind,
                 const std::string& name) {
  for (const json& o : objects) {
    if (o["kind"] == kind && o["metadata"]["name"] == name) return o;
  }
  ADD_FAILURE() << "no " << kind << " " << name;
  static const json kEmpty = json::object();
  return kEmpty;
}

void WriteFile(const std::string& path, const std::string& text, mode_t mode = 0600) {
  std::ofstream(path) << text;
  ::chmod(path.c_str(), mode);
}

// A skiff-server child process, killed at the end of the test.
class ServerProcess {
 public:
  ~ServerProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  // Starts it on `config` (which names `port_file`); the bound port, 0 when
  // it did not come up within 30 s.
  uint16_t Start(const std::string& config, const std::string& port_file) {
    const std::string bin = std::string(std::getenv("SKIFF_BINARY_DIR")) + "/bin/skiff-server";
    std::string plugins = "SKIFF_PLUGIN_PATH=" + std::string(std::getenv("SKIFF_BINARY_DIR")) +
                          "/tests/dataplane_plugins";
    std::vector<char*> envp;
    for (char** e = environ; *e != nullptr; ++e) envp.push_back(*e);
    envp.push_back(plugins.data());
    envp.push_back(nullptr);
    std::string config_arg = config;
    std::vector<char*> argv = {const_cast<char*>(bin.c_str()), const_cast<char*>("--config"),
                               config_arg.data(), nullptr};
    if (::posix_spawn(&pid_, bin.c_str(), nullptr, nullptr, argv.data(), envp.data()) != 0) {
      return 0;
    }
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    uint16_t port = 0;
    while (port == 0 && Clock::now() < deadline) {
      std::ifstream(port_file) >> port;
      if (port == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return port;
  }

 private:
  pid_t pid_ = -1;
};

// Runs `command` through the shell; its stdout, and its exit code in *rc.
std::string RunShell(const std::string& command, int* rc) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) {
    *rc = -1;
    return out;
  }
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = ::pclose(p);
  *rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

TEST(ComputeAksK8sRouterTls, RenderedFrontDoorServesHttpsThroughTheRealRouter) {
  skiff::testing::TempDir dir;
  const auto pki = compute_aks::testing::MakeTestPki("front door CA", std::string("DNS:") + kCname);

  RenderInput in;
  in.spec = KeyAuthSpec();
  in.cluster.ssl_cname = kCname;
  in.tls = TlsPair{pki.server_cert_pem, pki.server_key_pem};
  auto rendered = RenderService(in);
  ASSERT_TRUE(rendered.ok()) << rendered.status().ToString();
  const std::vector<json>& objects = *rendered;

  // The pieces agree: Secret -> volume at kRouterTlsDir -> server.json paths;
  // container port "https" -> Service 443; nothing on 80.
  const json& tls_secret = Find(objects, "Secret", "tls-svc-tls");
  EXPECT_EQ(tls_secret["type"], "kubernetes.io/tls");
  const json& router = Find(objects, "Deployment", "tls-svc-router");
  const json& pod = router["spec"]["template"]["spec"];
  const json& container = pod["containers"][0];
  bool mounted = false;
  for (const json& m : container["volumeMounts"]) {
    if (m["mountPath"] != kRouterTlsDir) continue;
    for (const json& v : pod["volumes"]) {
      mounted = mounted || (v["name"] == m["name"] &&
                            v["secret"]["secretName"] == tls_secret["metadata"]["name"]);
    }
  }
  EXPECT_TRUE(mounted) << "the TLS Secret is not mounted at " << kRouterTlsDir;
  // The https port and the cluster-internal metrics port; no plain http.
  ASSERT_EQ(container["ports"].size(), 2u);
  EXPECT_EQ(container["ports"][0]["name"], "https");
  EXPECT_EQ(container["ports"][1]["name"], "metrics");
  EXPECT_EQ(container["ports"][0]["containerPort"], kRouterTlsPort);
  EXPECT_EQ(container["readinessProbe"]["httpGet"]["scheme"], "HTTPS");
  const json& service = Find(objects, "Service", "tls-svc");
  ASSERT_EQ(service["spec"]["ports"].size(), 1u) << service["spec"]["ports"].dump();
  EXPECT_EQ(service["spec"]["ports"][0]["port"], 443);
  EXPECT_EQ(service["spec"]["ports"][0]["targetPort"], "https");
  EXPECT_EQ(service["metadata"]["annotations"][kSslCnameAnnotation], kCname);

  std::string router_json;
  for (const json& o : objects) {
    if (o["kind"] == "Secret" && o["stringData"].contains(RouterConfigKey())) {
      router_json = o["stringData"][RouterConfigKey()];
    }
  }
  auto router_config = config::ParseServerConfig(router_json);
  ASSERT_TRUE(router_config.ok()) << router_config.status().ToString();
  ASSERT_TRUE(router_config->tls.has_value());
  EXPECT_EQ(router_config->tls->cert_file, std::string(kRouterTlsDir) + "/tls.crt");
  EXPECT_EQ(router_config->tls->key_file, std::string(kRouterTlsDir) + "/tls.key");
  EXPECT_EQ(router_config->port, kRouterTlsPort);

  // The version pod's stand-in: a real skiff-server with the test model.
  json version = {{"service", "tls-svc"},
                  {"portFile", dir / "version.port"},
                  {"deploymentConfig", {{"authEnabled", false}}},
                  {"versions",
                   {{{"name", "v1"},
                     {"artifactPath", "/dev/null"},
                     {"inferenceConfig", TestModelInference()}}}}};
  WriteFile(dir / "version.json", version.dump(2));
  ServerProcess version_server;
  const uint16_t version_port = version_server.Start(dir / "version.json", dir / "version.port");
  ASSERT_NE(version_port, 0);

  // The router: the rendered server.json, with the Secret's files where the
  // volume would put them (a temp dir here), loopback instead of the pod's
  // 0.0.0.0:8443 and the version's Service name, and the pod's writable
  // paths (signing keys, request log) in the temp dir or off.
  fs::create_directories(dir / "tls");
  WriteFile(dir / "tls/tls.crt", tls_secret["stringData"]["tls.crt"]);
  WriteFile(dir / "tls/tls.key", tls_secret["stringData"]["tls.key"]);
  config::ServerConfig local = *router_config;
  local.tls->cert_file = dir / "tls/tls.crt";
  local.tls->key_file = dir / "tls/tls.key";
  local.address = "127.0.0.1";
  local.port = 0;
  local.port_file = dir / "router.port";
  if (local.auth_options.contains("keysDir")) {
    local.auth_options["keysDir"] = dir / "signing-keys";  // the pod's emptyDir
  }
  local.request_log.clear();
  local.data_collection_dir.clear();
  ASSERT_EQ(local.versions.size(), 1u);
  local.versions[0].upstream =
      "http://127.0.0.1:" + std::to_string(version_port) + "/v2/models/tls-svc/infer";
  WriteFile(dir / "router.json", config::ToJson(local).dump(2));
  ServerProcess router_server;
  const uint16_t port = router_server.Start(dir / "router.json", dir / "router.port");
  ASSERT_NE(port, 0);

  WriteFile(dir / "ca.pem", pki.ca_cert_pem);
  WriteFile(dir / "auth.header", "Authorization: Bearer " + kKey + "\n");  // not in argv
  WriteFile(dir / "body.json",
            R"({"inputs":[{"name":"x","datatype":"FP32","shape":[1,4],"data":[1,2,3,4]}]})");
  const std::string origin = std::string("https://") + kCname + ":" + std::to_string(port);
  const std::string curl = "curl -sS --max-time 10 --resolve " + std::string(kCname) + ":" +
                           std::to_string(port) + ":127.0.0.1 ";
  const std::string score = " -H 'Content-Type: application/json' --data-binary @" +
                            dir / "body.json" + " " + origin + "/v2/models/tls-svc/infer";
  // The router is up once it answers readiness over TLS (the version may
  // still be loading: poll).
  int rc = -1;
  std::string out;
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  do {
    out = RunShell(curl + "-o /dev/null -w '%{http_code}' --cacert " + dir / "ca.pem" + " " +
                       origin + "/v2/health/ready",
                   &rc);
    if (out == "200") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  } while (Clock::now() < deadline);
  ASSERT_EQ(out, "200") << "curl rc " << rc;

  out = RunShell(curl + "-w '\\n%{http_code}' --cacert " + dir / "ca.pem" + " -H @" +
                     dir / "auth.header" + score,
                 &rc);
  ASSERT_EQ(rc, 0) << out;
  ASSERT_EQ(out.substr(out.rfind('\n') + 1), "200") << out;
  const json reply = json::parse(out.substr(0, out.rfind('\n')), nullptr, false);
  ASSERT_TRUE(reply.is_object()) << out;
  EXPECT_EQ(reply["outputs"][0]["name"], "y") << out;
  EXPECT_EQ(reply["outputs"][0]["data"], json({2.0, 4.0, 6.0, 8.0})) << out;

  // Without the key: 401 from the router, over TLS.
  out = RunShell(curl + "-o /dev/null -w '%{http_code}' --cacert " + dir / "ca.pem" + score, &rc);
  EXPECT_EQ(out, "401");
  // A client that does not trust the CA refuses the connection (curl 60).
  RunShell(curl + "-o /dev/null -H @" + dir / "auth.header" + score + " 2>/dev/null", &rc);
  EXPECT_EQ(rc, 60);
  // Plain http to the front door's port gets no HTTP answer.
  out = RunShell("curl -sS --max-time 10 -o /dev/null -w '%{http_code}' http://127.0.0.1:" +
                     std::to_string(port) + "/v2/health/ready 2>/dev/null",
                 &rc);
  EXPECT_NE(rc, 0);
  EXPECT_EQ(out, "000");
}

TEST(ComputeAksK8sRouterTls, WithoutTlsTheFrontDoorStaysOnPort80) {
  RenderInput in;
  in.spec = KeyAuthSpec();
  auto rendered = RenderService(in);
  ASSERT_TRUE(rendered.ok()) << rendered.status().ToString();
  const json& service = Find(*rendered, "Service", "tls-svc");
  ASSERT_EQ(service["spec"]["ports"].size(), 1u);
  EXPECT_EQ(service["spec"]["ports"][0]["port"], 80);
  for (const json& o : *rendered) {
    EXPECT_NE(o["metadata"]["name"], "tls-svc-tls") << "a TLS Secret without TLS";
  }
}

TEST(ComputeAksK8sRouterTls, ACnameWithoutACertificateIsRefused) {
  RenderInput in;
  in.spec = KeyAuthSpec();
  in.cluster.ssl_cname = kCname;
  auto rendered = RenderService(in);
  ASSERT_FALSE(rendered.ok());
  EXPECT_NE(rendered.status().message().find("--ssl-cert-file"), std::string::npos)
      << rendered.status().message();
}

}  // namespace
}  // namespace skiff::compute_aks::k8s
