// The router's nginx.conf: checked by nginx itself (`nginx -t`) and by
// what it routes where.
#include "k8s/router_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

#include "k8s/service_plan.h"
#include "sample_specs.h"

namespace skiff::compute_aks::k8s {
namespace {

namespace fs = std::filesystem;

ServicePlan Plan(const ServiceSpec& spec) {
  auto plan = PlanService(spec);
  EXPECT_TRUE(plan.ok()) << plan.status().ToString();
  return plan.ok() ? *plan : ServicePlan{};
}

std::string FindNginx() {
  for (const char* p : {"/usr/sbin/nginx", "/usr/bin/nginx"}) {
    if (::access(p, X_OK) == 0) return p;
  }
  return "";
}

TEST(ComputeAksK8sRouter, SplitPinningAndLimits) {
  const std::string conf = RouterNginxConf(Plan(testing::MakeSpec(
      "ep", R"({"namespace": "prod", "scoringTimeoutMs": 20000, "maxRequestBodyBytes": 1000})",
      {{"v1", 30, false, false, "torch"},
       {"v2", 60, true, false, "torch"},
       {"v.3", 10, false, true, "torch"}})));
  // Non-default versions get their share; the default gets the rest.
  EXPECT_NE(conf.find("    30% skiff_v1;\n    10% skiff_v_3;\n    * skiff_v2;\n"),
            std::string::npos)
      << conf;
  EXPECT_NE(conf.find("server ep-v-3.prod.svc.cluster.local:80;"), std::string::npos);
  EXPECT_NE(conf.find("\"v.3\" skiff_v_3;"), std::string::npos);
  EXPECT_NE(conf.find("\"~^/v2/models/[^/]+/versions/v\\.3(/|$)\" skiff_v_3;"), std::string::npos);
  EXPECT_NE(conf.find("client_max_body_size 1000;"), std::string::npos);
  EXPECT_NE(conf.find("proxy_read_timeout 25s;"), std::string::npos);  // 20 s + 0.5 s queue + 5
  EXPECT_NE(conf.find("listen 8080;"), std::string::npos);
  EXPECT_NE(conf.find("this endpoint serves: v1, v2, v.3"), std::string::npos);
}

TEST(ComputeAksK8sRouter, NginxAcceptsTheConfig) {
  const std::string nginx = FindNginx();
  if (nginx.empty()) GTEST_SKIP() << "nginx is not installed (apt-get install nginx)";
  std::string conf = RouterNginxConf(Plan(testing::MakeSpec(
      "ep", "{}", {{"v1", 90, true, false, "torch"}, {"v2", 10, false, false, "torch"}})));
  // Cluster DNS names do not resolve here; nginx resolves upstreams at load.
  conf = std::regex_replace(conf, std::regex("server [a-z0-9.-]+\\.svc\\.cluster\\.local:80;"),
                            "server 127.0.0.1:80;");
  const fs::path dir = fs::temp_directory_path() / ("skiff-nginx-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "nginx.conf") << conf;
  const std::string cmd = nginx + " -t -q -e /dev/stderr -p " + dir.string() + " -c " +
                          (dir / "nginx.conf").string() + " 2>" + (dir / "err").string();
  const int rc = std::system(cmd.c_str());
  std::ifstream err(dir / "err");
  std::string message((std::istreambuf_iterator<char>(err)), std::istreambuf_iterator<char>());
  EXPECT_EQ(rc, 0) << message << "\n" << conf;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace skiff::compute_aks::k8s
