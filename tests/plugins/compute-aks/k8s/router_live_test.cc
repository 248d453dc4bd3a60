// The rendered router config, run by a real nginx in front of loopback
// stand-ins for the version Services: the split, pinning by header and path,
// unknown versions, and the Authorization header reaching the version.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "http_client.h"
#include "k8s/router_config.h"
#include "k8s/service_plan.h"
#include "sample_specs.h"

extern char** environ;

namespace skiff::compute_aks::k8s {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;

// Answers every request with "<name> <target> <authorization>", one request
// per connection.
class Upstream {
 public:
  explicit Upstream(std::string name)
      : name_(std::move(name)), acceptor_(ioc_, {asio::ip::make_address("127.0.0.1"), 0}) {
    thread_ = std::thread([this] { Run(); });
  }
  ~Upstream() {
    stop_ = true;
    beast::error_code ec;
    // Wake the blocking accept.
    tcp::socket s(ioc_);
    s.connect(acceptor_.local_endpoint(), ec);
    thread_.join();
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }

 private:
  void Run() {
    while (!stop_) {
      tcp::socket socket(ioc_);
      beast::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stop_) continue;
      beast::flat_buffer buffer;
      http::request<http::string_body> req;
      http::read(socket, buffer, req, ec);
      if (ec) continue;
      http::response<http::string_body> res{http::status::ok, 11};
      res.set(http::field::connection, "close");
      res.body() = name_ + " " + std::string(req.target()) + " " +
                   std::string(req[http::field::authorization]);
      res.prepare_payload();
      http::write(socket, res, ec);
      socket.shutdown(tcp::socket::shutdown_both, ec);
    }
  }
  const std::string name_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

uint16_t FreePort() {
  asio::io_context ioc;
  tcp::acceptor a(ioc, {asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

TEST(ComputeAksK8sRouterLive, SplitsPinsAndPassesAuthorization) {
  const char* nginx = ::access("/usr/sbin/nginx", X_OK) == 0 ? "/usr/sbin/nginx" : nullptr;
  if (nginx == nullptr) GTEST_SKIP() << "nginx is not installed (apt-get install nginx)";

  auto plan = PlanService(
      testing::MakeSpec("ep", R"({"namespace": "prod"})",
                        {{"v1", 90, true, false, "torch"}, {"v2", 10, false, true, "torch"}}));
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  Upstream v1("v1"), v2("v2");
  const uint16_t port = FreePort();
  const fs::path dir = fs::temp_directory_path() / ("skiff-router-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string conf = RouterNginxConf(*plan);
  conf = std::regex_replace(conf, std::regex("ep-v1\\.prod\\.svc\\.cluster\\.local:80"),
                            "127.0.0.1:" + std::to_string(v1.port()));
  conf = std::regex_replace(conf, std::regex("ep-v2\\.prod\\.svc\\.cluster\\.local:80"),
                            "127.0.0.1:" + std::to_string(v2.port()));
  conf = std::regex_replace(conf, std::regex("listen 8080;"),
                            "listen 127.0.0.1:" + std::to_string(port) + ";");
  conf = std::regex_replace(conf, std::regex("pid /tmp/nginx.pid;"),
                            "pid " + (dir / "nginx.pid").string() + ";");
  conf = std::regex_replace(conf, std::regex("/tmp/nginx-"), (dir / "nginx-").string());
  conf = std::regex_replace(conf, std::regex("access_log /dev/stdout;"), "access_log off;");
  std::ofstream(dir / "nginx.conf") << conf;

  const std::string conf_path = (dir / "nginx.conf").string();
  const std::string prefix = dir.string();
  std::vector<const char*> argv = {nginx,          "-e", "/dev/stderr",     "-p",
                                   prefix.c_str(), "-c", conf_path.c_str(), nullptr};
  pid_t pid = 0;
  ASSERT_EQ(::posix_spawn(&pid, nginx, nullptr, nullptr, const_cast<char**>(argv.data()), environ),
            0);
  struct Reaper {
    pid_t pid;
    fs::path dir;
    ~Reaper() {
      ::kill(pid, SIGTERM);
      ::waitpid(pid, nullptr, 0);
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } reaper{pid, dir};

  // Poll until nginx listens.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  bool up = false;
  while (!up && std::chrono::steady_clock::now() < deadline) {
    asio::io_context ioc;
    tcp::socket s(ioc);
    beast::error_code ec;
    s.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
    up = !ec;
    if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(up) << "nginx did not listen on " << port;

  ::skiff::testing::HttpClient client(port);
  EXPECT_EQ(client.Send(http::verb::get, "/healthz").status, 200);

  int to_v1 = 0, to_v2 = 0;
  for (int i = 0; i < 400; ++i) {
    auto r = client.Send(http::verb::post, "/api/v1/service/ep/score", "{}",
                         {{"Authorization", "Bearer k"}});
    ASSERT_EQ(r.status, 200) << r.body;
    if (r.body == "v1 /api/v1/service/ep/score Bearer k") ++to_v1;
    if (r.body == "v2 /api/v1/service/ep/score Bearer k") ++to_v2;
  }
  EXPECT_EQ(to_v1 + to_v2, 400);
  // 10% of 400 is 40 (sd ~6).
  EXPECT_GT(to_v2, 10);
  EXPECT_LT(to_v2, 80);

  for (int i = 0; i < 10; ++i) {
    auto r = client.Send(http::verb::post, "/api/v1/service/ep/score", "{}",
                         {{"azureml-model-deployment", "v2"}});
    EXPECT_EQ(r.body.substr(0, 3), "v2 ");
    r = client.Send(http::verb::post, "/v2/models/ep/versions/v1/infer", "{}",
                    {{"azureml-model-deployment", "v2"}});  // the path wins
    EXPECT_EQ(r.body.substr(0, 3), "v1 ");
  }
  auto r = client.Send(http::verb::post, "/api/v1/service/ep/score", "{}",
                       {{"azureml-model-deployment", "v3"}});
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("this endpoint serves: v1, v2"), std::string::npos) << r.body;
  EXPECT_EQ(client.Send(http::verb::post, "/v2/models/ep/versions/v3/infer", "{}").status, 404);
}

}  // namespace
}  // namespace skiff::compute_aks::k8s
