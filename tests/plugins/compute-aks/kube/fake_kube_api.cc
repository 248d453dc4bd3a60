// SPDX-License-Identifier: Apache-2.0
#include "fake_kube_api.h"

#include "loopback_relay.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <sstream>

#include "loopback_relay.h"
#include "skiff/net/http_client.h"
#include "skiff/util/base64.h"

namespace skiff::compute_aks::kube::testing {
namespace {

using nlohmann::json;
using test_support::ChunkWriter;
using test_support::LoopbackResponse;

test_support::LoopbackOptions ServerOptions(const TestPki* pki) {
  test_support::LoopbackOptions options;
  // Asks for a client certificate signed by the test CA; token-only clients
  // are served too.
  if (pki)
    options.tls =
        test_support::LoopbackTls{pki->server_cert_pem, pki->server_key_pem, pki->ca_cert_pem};
  return options;
}

struct ResourceInfo {
  const char* plural;
  const char* singular;
  const char* kind;
  const char* group;  // "" = core
  const char* version;
  bool namespaced;
  const char* short_name;
};

constexpr ResourceInfo kResources[] = {
    {"namespaces", "namespace", "Namespace", "", "v1", false, "ns"},
    {"pods", "pod", "Pod", "", "v1", true, "po"},
    {"services", "service", "Service", "", "v1", true, "svc"},
    {"secrets", "secret", "Secret", "", "v1", true, ""},
    {"configmaps", "configmap", "ConfigMap", "", "v1", true, "cm"},
    {"serviceaccounts", "serviceaccount", "ServiceAccount", "", "v1", true, "sa"},
    {"deployments", "deployment", "Deployment", "apps", "v1", true, "deploy"},
    {"horizontalpodautoscalers", "horizontalpodautoscaler", "HorizontalPodAutoscaler",
     "autoscaling", "v2", true, "hpa"},
    {"poddisruptionbudgets", "poddisruptionbudget", "PodDisruptionBudget", "policy", "v1", true,
     "pdb"},
    {"ingresses", "ingress", "Ingress", "networking.k8s.io", "v1", true, "ing"},
    {"networkpolicies", "networkpolicy", "NetworkPolicy", "networking.k8s.io", "v1", true,
     "netpol"},
    // prometheus-operator's CRD, as kube-prometheus-stack installs it (a
    // cluster without it: a fault answering its paths 404).
    {"servicemonitors", "servicemonitor", "ServiceMonitor", "monitoring.coreos.com", "v1", true,
     "smon"},
};

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string part;
  while (std::getline(in, part, sep)) out.push_back(part);
  return out;
}

json StatusBody(int code, const std::string& reason, const std::string& message,
                json details = json()) {
  json s = {{"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", json::object()},
            {"status", "Failure"}, {"message", message}, {"reason", reason},
            {"code", code}};
  if (!details.is_null()) s["details"] = std::move(details);
  return s;
}

std::string EscapePointer(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

// Leaves by JSON pointer; lists and scalars are leaves (atomic), so is an
// empty object. Identity and server-owned fields are left out.
void Flatten(const json& value, const std::string& pointer, std::map<std::string, json>& out) {
  static const std::set<std::string> skip = {"/apiVersion",
                                             "/kind",
                                             "/status",
                                             "/metadata/name",
                                             "/metadata/namespace",
                                             "/metadata/resourceVersion",
                                             "/metadata/uid",
                                             "/metadata/generation",
                                             "/metadata/creationTimestamp",
                                             "/metadata/managedFields",
                                             "/metadata/deletionTimestamp"};
  if (skip.count(pointer)) return;
  if (value.is_object() && !value.empty()) {
    for (const auto& [k, v] : value.items()) Flatten(v, pointer + "/" + EscapePointer(k), out);
    return;
  }
  if (!pointer.empty()) out[pointer] = value;
}

// ".spec.replicas" as the API server names fields in conflicts.
std::string FieldName(const std::string& pointer) {
  std::string out;
  for (const auto& part : Split(pointer.substr(1), '/')) {
    std::string key;
    for (size_t i = 0; i < part.size(); ++i) {
      if (part[i] == '~' && i + 1 < part.size()) {
        key += part[i + 1] == '1' ? '/' : '~';
        ++i;
      } else {
        key += part[i];
      }
    }
    out += "." + key;
  }
  return out;
}

void RemoveAt(json& object, const std::string& pointer) {
  const size_t slash = pointer.rfind('/');
  json::json_pointer parent(pointer.substr(0, slash));
  if (!object.contains(parent)) return;
  json& p = object[parent];
  if (!p.is_object()) return;
  std::string key;
  const std::string raw = pointer.substr(slash + 1);
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '~' && i + 1 < raw.size()) {
      key += raw[i + 1] == '1' ? '/' : '~';
      ++i;
    } else {
      key += raw[i];
    }
  }
  p.erase(key);
}

// labelSelector: "a=b,c!=d,e,!f" (equality-based and existence terms).
std::optional<std::string> MatchesSelector(const json& labels, const std::string& selector,
                                           bool* out) {
  *out = true;
  if (selector.empty()) return std::nullopt;
  for (const auto& term : Split(selector, ',')) {
    const auto label = [&](const std::string& k) -> std::optional<std::string> {
      if (!labels.is_object() || !labels.contains(k) || !labels[k].is_string()) return std::nullopt;
      return labels[k].get<std::string>();
    };
    size_t pos;
    if (term.find(" in ") != std::string::npos || term.find(" notin ") != std::string::npos) {
      return "set-based selector terms are not supported by the test server: " + term;
    }
    if ((pos = term.find("!=")) != std::string::npos) {
      auto v = label(term.substr(0, pos));
      if (v && *v == term.substr(pos + 2)) *out = false;
    } else if ((pos = term.find("==")) != std::string::npos) {
      auto v = label(term.substr(0, pos));
      if (!v || *v != term.substr(pos + 2)) *out = false;
    } else if ((pos = term.find('=')) != std::string::npos) {
      auto v = label(term.substr(0, pos));
      if (!v || *v != term.substr(pos + 1)) *out = false;
    } else if (!term.empty() && term[0] == '!') {
      if (label(term.substr(1))) *out = false;
    } else if (term.empty()) {
      return std::string("empty term in labelSelector");
    } else if (!label(term)) {
      *out = false;
    }
  }
  return std::nullopt;
}

}  // namespace

struct FakeKubeApi::Route {
  const ResourceInfo* info = nullptr;
  std::string prefix;  // "/api/v1", "/apis/apps/v1"
  std::string ns, name, sub;
  std::string api_version() const {
    return std::string(info->group).empty() ? info->version
                                            : std::string(info->group) + "/" + info->version;
  }
  std::string collection() const {
    return prefix + (ns.empty() ? "" : "/namespaces/" + ns) + "/" + info->plural;
  }
  std::string path() const { return collection() + "/" + name; }
  // "deployments.apps" as in the API server's messages.
  std::string qualified() const {
    return std::string(info->plural) +
           (std::string(info->group).empty() ? "" : "." + std::string(info->group));
  }
  bool Contains(const std::string& object_path) const {
    if (ns.empty() && info->namespaced) {  // all namespaces
      const std::string head = prefix + "/namespaces/";
      if (object_path.rfind(head, 0) != 0) return false;
      auto parts = Split(object_path.substr(head.size()), '/');
      return parts.size() == 3 && parts[1] == info->plural;
    }
    const std::string head = collection() + "/";
    return object_path.rfind(head, 0) == 0 &&
           object_path.find('/', head.size()) == std::string::npos;
  }
};

namespace {

// nullopt when the path is not a resource URL this server knows.
std::optional<FakeKubeApi::Route> ParseRoute(const std::string& path);

}  // namespace

FakeKubeApi::FakeKubeApi(const TestPki* pki)
    : pki_(pki), server_([this](const KubeRequest& r) { return Answer(r); }, ServerOptions(pki)) {
  for (const char* ns : {"default", "kube-system"}) {
    Stored s;
    s.object = {{"apiVersion", "v1"},
                {"kind", "Namespace"},
                {"metadata", {{"name", ns}, {"uid", std::string("uid-ns-") + ns}}},
                {"status", {{"phase", "Active"}}}};
    Commit(std::string("/api/v1/namespaces/") + ns, std::move(s), "ADDED");
  }
}

FakeKubeApi::~FakeKubeApi() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  changed_.notify_all();  // open watches end; then the server joins them
  server_.Stop();
}

std::string FakeKubeApi::url() const { return server_.url(); }

std::string FakeKubeApi::KubeconfigYaml(Auth auth, const std::string& namespace_) const {
  std::string y =
      "apiVersion: v1\nkind: Config\ncurrent-context: fake\nclusters:\n- name: fake-cluster\n"
      "  cluster:\n    server: " +
      url() + "\n";
  if (pki_)
    y += "    certificate-authority-data: " +
         Base64Encode(pki_->ca_cert_pem, Base64Alphabet::kStandard) + "\n";
  y += "contexts:\n- name: fake\n  context:\n    cluster: fake-cluster\n    user: fake-user\n";
  if (!namespace_.empty()) y += "    namespace: " + namespace_ + "\n";
  y += "users:\n- name: fake-user\n  user:\n";
  if (auth == Auth::kToken) {
    y += "    token: " + std::string(kToken) + "\n";
  } else {
    y += "    client-certificate-data: " +
         Base64Encode(pki_ ? pki_->client_cert_pem : "", Base64Alphabet::kStandard) + "\n";
    y += "    client-key-data: " +
         Base64Encode(pki_ ? pki_->client_key_pem : "", Base64Alphabet::kStandard) + "\n";
  }
  return y;
}

void FakeKubeApi::AcceptToken(const std::string& token) {
  std::lock_guard<std::mutex> lock(mu_);
  extra_tokens_.insert(token);
}
void FakeKubeApi::RevokeToken(const std::string& token) {
  std::lock_guard<std::mutex> lock(mu_);
  extra_tokens_.erase(token);
}
void FakeKubeApi::RestrictToNamespace(const std::string& ns) {
  std::lock_guard<std::mutex> lock(mu_);
  only_namespace_ = ns;
}

void FakeKubeApi::AddFault(KubeFault fault) {
  std::lock_guard<std::mutex> lock(mu_);
  faults_.push_back(std::move(fault));
}
void FakeKubeApi::InterfereWithNextUpdates(int n) {
  std::lock_guard<std::mutex> lock(mu_);
  interfere_ = n;
}
void FakeKubeApi::SetAutoRollout(bool on) {
  std::lock_guard<std::mutex> lock(mu_);
  auto_rollout_ = on;
}

int FakeKubeApi::ApplyAs(const std::string& manager, const json& object, bool force) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string api_version = object.value("apiVersion", "");
  const std::string kind = object.value("kind", "");
  const json meta = object.value("metadata", json::object());
  for (const auto& info : kResources) {
    const std::string av = std::string(info.group).empty()
                               ? info.version
                               : std::string(info.group) + "/" + info.version;
    if (info.kind != kind || av != api_version) continue;
    std::string path = std::string(info.group).empty() ? "/api/v1" : "/apis/" + av;
    if (info.namespaced) path += "/namespaces/" + meta.value("namespace", "default");
    path += std::string("/") + info.plural + "/" + meta.value("name", "");
    auto route = ParseRoute(path);
    if (!route) return 404;
    return Apply(*route, object, manager, force).status;
  }
  return 404;
}

void FakeKubeApi::SetDeploymentStatus(const std::string& ns, const std::string& name, json status) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string path = "/apis/apps/v1/namespaces/" + ns + "/deployments/" + name;
  auto it = objects_.find(path);
  if (it == objects_.end()) throw std::runtime_error("SetDeploymentStatus: no " + path);
  Stored s = it->second;
  s.object["status"] = std::move(status);
  Commit(path, std::move(s), "MODIFIED");
}

void FakeKubeApi::SetStatus(const std::string& path, json status) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = objects_.find(path);
  if (it == objects_.end()) throw std::runtime_error("SetStatus: no " + path);
  Stored s = it->second;
  s.object["status"] = std::move(status);
  Commit(path, std::move(s), "MODIFIED");
}

void FakeKubeApi::PutPod(json pod, std::string log) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string ns = pod["metadata"].value("namespace", "default");
  pod["metadata"]["namespace"] = ns;
  pod["apiVersion"] = "v1";
  pod["kind"] = "Pod";
  const std::string path =
      "/api/v1/namespaces/" + ns + "/pods/" + pod["metadata"].value("name", "");
  Stored s;
  s.object = std::move(pod);
  const bool exists = objects_.count(path) > 0;
  Commit(path, std::move(s), exists ? "MODIFIED" : "ADDED");
  logs_[path] = std::move(log);
}

void FakeKubeApi::AppendPodLog(const std::string& ns, const std::string& pod,
                               const std::string& lines) {
  std::lock_guard<std::mutex> lock(mu_);
  logs_["/api/v1/namespaces/" + ns + "/pods/" + pod] += lines;
  changed_.notify_all();
}

bool FakeKubeApi::DeletePod(const std::string& ns, const std::string& pod) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string path = "/api/v1/namespaces/" + ns + "/pods/" + pod;
  auto it = objects_.find(path);
  if (it == objects_.end()) return false;
  json gone = it->second.object;
  objects_.erase(it);
  logs_.erase(path);
  events_.push_back({++resource_version_, "DELETED", path, gone});
  changed_.notify_all();
  return true;
}

void FakeKubeApi::EndPodLogStreams(const std::string& ns, const std::string& pod) {
  std::lock_guard<std::mutex> lock(mu_);
  ++log_epochs_["/api/v1/namespaces/" + ns + "/pods/" + pod];
  changed_.notify_all();
}

void FakeKubeApi::StallPodLogStreams(const std::string& ns, const std::string& pod) {
  std::lock_guard<std::mutex> lock(mu_);
  ++log_stalls_["/api/v1/namespaces/" + ns + "/pods/" + pod];
  changed_.notify_all();
}

void FakeKubeApi::SetPodProxyBody(const std::string& ns, const std::string& pod, int port,
                                  const std::string& path, std::string body) {
  std::lock_guard<std::mutex> lock(mu_);
  proxy_bodies_["/api/v1/namespaces/" + ns + "/pods/" + pod + ":" + std::to_string(port) +
                "/proxy" + path] = std::move(body);
}

void FakeKubeApi::SetPodProxyUpstream(const std::string& ns, const std::string& pod, int port,
                                      std::string origin) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string key = "/api/v1/namespaces/" + ns + "/pods/" + pod + ":" + std::to_string(port);
  if (origin.empty()) {
    proxy_upstreams_.erase(key);
  } else {
    proxy_upstreams_[key] = std::move(origin);
  }
}


std::optional<json> FakeKubeApi::Object(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = objects_.find(path);
  if (it == objects_.end()) return std::nullopt;
  return it->second.object;
}

std::set<std::string> FakeKubeApi::Owners(const std::string& path,
                                          const std::string& pointer) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = objects_.find(path);
  if (it == objects_.end()) return {};
  auto o = it->second.owners.find(pointer);
  return o == it->second.owners.end() ? std::set<std::string>{} : o->second;
}

std::vector<KubeRequest> FakeKubeApi::requests() const { return server_.requests(); }

int FakeKubeApi::Count(const std::string& method, const std::string& contains) const {
  return server_.Count(method, contains);
}

LoopbackResponse FakeKubeApi::Answer(const KubeRequest& r) {
  Reply reply = Dispatch(r, r.client_cert_verified);
  LoopbackResponse res;
  if (!reply.relay_to.empty()) {
    KubeRequest forward = r;
    forward.target = reply.relay_target;
    ::skiff::net::HttpClientOptions options;
    options.timeout = std::chrono::milliseconds(5000);
    auto relayed = test_support::RelayTo(::skiff::net::HttpClient(options), reply.relay_to, forward,
                                         {"authorization", "host"});
    if (relayed.ok()) return std::move(relayed).value();
    // The API server's answer when the pod does not answer.
    res.status = 503;
    res.headers.emplace_back("Content-Type", "application/json");
    res.body = StatusBody(503, "ServiceUnavailable",
                          "error trying to reach service: " + relayed.status().message())
                   .dump();
    return res;
  }
  if (reply.status == -2) {  // a followed pod log: streams until the pod or stream ends
    const size_t q = r.target.find('?');
    const std::string path = ParseRoute(r.target.substr(0, q))->path();
    auto query =
        test_support::ParseFormEncoded(q == std::string::npos ? "" : r.target.substr(q + 1));
    res.headers.emplace_back("Content-Type", "text/plain");
    res.stream = [this, path, query](const ChunkWriter& write) { FollowLog(write, path, query); };
    return res;
  }
  if (reply.status == -1) {  // a watch: streams until its timeout, then closes
    const size_t q = r.target.find('?');
    const Route route = *ParseRoute(r.target.substr(0, q));
    auto query =
        test_support::ParseFormEncoded(q == std::string::npos ? "" : r.target.substr(q + 1));
    res.headers.emplace_back("Content-Type", "application/json");
    res.stream = [this, route, query](const ChunkWriter& write) { Watch(write, route, query); };
    return res;
  }
  res.status = reply.status;
  res.headers.assign(reply.headers.begin(), reply.headers.end());
  res.headers.emplace_back("Content-Type", reply.content_type);
  res.body = std::move(reply.body);
  return res;
}

FakeKubeApi::Reply FakeKubeApi::Dispatch(const KubeRequest& r, bool client_cert_ok) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto status_reply = [](int code, const std::string& reason, const std::string& message,
                               json details = json()) {
    return Reply{code, {}, StatusBody(code, reason, message, std::move(details)).dump()};
  };
  const std::string line = r.method + " " + r.target;
  if (auto fault = test_support::TakeFault(faults_, line)) {
    Reply reply =
        status_reply(fault->status, fault->status == 429 ? "TooManyRequests" : "InternalError",
                     "injected fault");
    reply.headers = fault->headers;
    return reply;
  }
  const auto auth = r.headers.find("authorization");
  const bool token_ok =
      auth != r.headers.end() &&
      (auth->second == std::string("Bearer ") + kToken ||
       (auth->second.rfind("Bearer ", 0) == 0 && extra_tokens_.count(auth->second.substr(7))));
  if (!token_ok && !client_cert_ok) return status_reply(401, "Unauthorized", "Unauthorized");

  // The pod proxy (/api/v1/namespaces/NS/pods/NAME:PORT/proxy/PATH): what
  // SetPodProxyBody set for that pod, port and path; 503 like the API server
  // when nothing answers there, 404 for a pod that does not exist.
  if (r.method == "GET" && r.target.rfind("/api/v1/namespaces/", 0) == 0 &&
      r.target.find("/proxy/") != std::string::npos) {
    const std::string target = r.target.substr(0, r.target.find('?'));
    const size_t proxy = target.find("/proxy/");
    const std::string pod_and_port = target.substr(0, proxy);
    const size_t colon = pod_and_port.rfind(':');
    if (colon != std::string::npos) {
      const std::string pod_path = pod_and_port.substr(0, colon);
      if (objects_.count(pod_path) == 0) {
        return status_reply(404, "NotFound", "pods \"" + pod_path + "\" not found");
      }
      auto upstream = proxy_upstreams_.find(pod_and_port);
      if (upstream != proxy_upstreams_.end()) {
        Reply relay;
        relay.relay_to = upstream->second;
        relay.relay_target = r.target.substr(proxy + std::string("/proxy").size());
        return relay;
      }
      auto body = proxy_bodies_.find(target);
      if (body == proxy_bodies_.end()) {
        return status_reply(503, "ServiceUnavailable", "error trying to reach service");
      }
      return Reply{200, {}, body->second, "text/plain; version=0.0.4"};
    }
  }
  const size_t q = r.target.find('?');
  const std::string path = r.target.substr(0, q);
  if (!only_namespace_.empty()) {
    // RBAC for a RoleBinding in only_namespace_: discovery is open to every
    // authenticated user; resources only inside that namespace.
    const bool discovery = path == "/version" || path == "/api" || path == "/apis" ||
                           path == "/api/v1" ||
                           (path.rfind("/apis/", 0) == 0 &&
                            std::count(path.begin(), path.end(), '/') == 3);
    const std::string own = "/namespaces/" + only_namespace_;
    const size_t at = path.find("/namespaces/");
    const bool namespace_object = path == "/api/v1" + own;
    const bool inside = at != std::string::npos && path.compare(at, own.size(), own) == 0 &&
                        (path.size() == at + own.size() || path[at + own.size()] == '/');
    const bool allowed = discovery || (namespace_object && r.method == "GET") ||
                         (inside && !namespace_object);
    if (!allowed) {
      return status_reply(403, "Forbidden",
                          "User \"team\" cannot " + r.method + " " + path +
                              ": RBAC: access is limited to namespace " + only_namespace_);
    }
  }
  const auto query =
      test_support::ParseFormEncoded(q == std::string::npos ? "" : r.target.substr(q + 1));
  if (r.method == "GET" && path == "/version") {
    return {200,
            {},
            json{{"major", "1"},
                 {"minor", "28"},
                 {"gitVersion", "v1.28.5"},
                 {"gitCommit", "fake"},
                 {"gitTreeState", "clean"},
                 {"buildDate", "2024-01-01T00:00:00Z"},
                 {"goVersion", "go1.20.12"},
                 {"compiler", "gc"},
                 {"platform", "linux/amd64"}}
                .dump()};
  }
  if (r.method == "GET" && path == "/api") {
    return {200,
            {},
            json{{"kind", "APIVersions"},
                 {"versions", {"v1"}},
                 {"serverAddressByClientCIDRs",
                  {{{"clientCIDR", "0.0.0.0/0"},
                    {"serverAddress", "127.0.0.1:" + std::to_string(server_.port())}}}}}
                .dump()};
  }
  if (r.method == "GET" && path == "/apis") {
    json groups = json::array();
    std::set<std::string> seen;
    for (const auto& info : kResources) {
      const std::string group = info.group;
      if (group.empty() || !seen.insert(group).second) continue;
      const json version = {{"groupVersion", group + "/" + info.version},
                            {"version", info.version}};
      groups.push_back({{"name", group}, {"versions", {version}}, {"preferredVersion", version}});
    }
    return {
        200, {}, json{{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", groups}}.dump()};
  }
  if (r.method == "GET" && (path == "/api/v1" || path.rfind("/apis/", 0) == 0) &&
      std::count(path.begin(), path.end(), '/') == (path == "/api/v1" ? 2 : 3)) {
    json resources = json::array();
    std::string group_version;
    for (const auto& info : kResources) {
      const std::string prefix = std::string(info.group).empty()
                                     ? std::string("/api/") + info.version
                                     : "/apis/" + std::string(info.group) + "/" + info.version;
      if (prefix != path) continue;
      group_version = path.substr(path.find('/', 1) + 1);
      json res = {{"name", info.plural},
                  {"singularName", info.singular},
                  {"namespaced", info.namespaced},
                  {"kind", info.kind},
                  {"verbs", {"create", "delete", "get", "list", "patch", "update", "watch"}}};
      if (std::string(info.short_name).size()) res["shortNames"] = {info.short_name};
      resources.push_back(res);
      if (std::string(info.kind) == "Pod") {
        resources.push_back({{"name", "pods/log"},
                             {"singularName", ""},
                             {"namespaced", true},
                             {"kind", "Pod"},
                             {"verbs", {"get"}}});
      }
    }
    if (resources.empty())
      return status_reply(404, "NotFound", "the server could not find the requested resource");
    return {200,
            {},
            json{{"kind", "APIResourceList"},
                 {"apiVersion", "v1"},
                 {"groupVersion", group_version},
                 {"resources", resources}}
                .dump()};
  }
  auto route = ParseRoute(path);
  if (!route)
    return status_reply(404, "NotFound", "the server could not find the requested resource");
  if (!route->sub.empty()) {
    if (route->sub == "log" && std::string(route->info->kind) == "Pod" && r.method == "GET") {
      return Logs(*route, query);
    }
    return status_reply(404, "NotFound",
                        "subresource " + route->sub + " is not served by the test server");
  }
  if (r.method == "GET") {
    const auto w = query.find("watch");
    if (w != query.end() && (w->second == "true" || w->second == "1")) {
      if (!route->name.empty())
        return status_reply(400, "BadRequest", "watch a collection, not an object");
      return Reply{-1, {}, ""};
    }
    return ListOrGet(*route, query);
  }
  if (route->name.empty())
    return status_reply(405, "MethodNotAllowed", r.method + " on a collection");
  const auto manager = query.count("fieldManager") ? query.at("fieldManager") : "";
  if (r.method == "DELETE") {
    return Delete(*route, query.count("propagationPolicy") ? query.at("propagationPolicy") : "");
  }
  if (r.method != "PATCH" && r.method != "PUT") {
    return status_reply(405, "MethodNotAllowed", r.method + " is not supported");
  }
  const auto ct = r.headers.find("content-type");
  const std::string content_type =
      ct == r.headers.end() ? "" : ct->second.substr(0, ct->second.find(';'));
  if (r.method == "PATCH" && content_type != "application/apply-patch+yaml") {
    return status_reply(
        415, "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media types "
        "include: application/apply-patch+yaml (the only patch type this test server "
        "implements); got '" +
            content_type + "'");
  }
  if (r.method == "PATCH" && manager.empty()) {
    return status_reply(400, "BadRequest",
                        "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: "
                        "Required value: is required for apply patch");
  }
  const json body = json::parse(r.body, nullptr, false);
  if (!body.is_object()) {
    return status_reply(400, "BadRequest",
                        "error decoding YAML: the test server parses JSON-formatted "
                        "YAML only, and the body must be an object");
  }
  if (r.method == "PATCH") {
    const auto f = query.find("force");
    return Apply(*route, body, manager, f != query.end() && f->second == "true");
  }
  return Update(*route, body, manager.empty() ? "unknown" : manager);
}

std::optional<FakeKubeApi::Reply> FakeKubeApi::Validate(const Route& route, const json& body,
                                                        bool content) {
  json causes = json::array();
  const auto cause = [&](const std::string& field, const std::string& message) {
    causes.push_back({{"reason", "FieldValueInvalid"}, {"message", message}, {"field", field}});
  };
  const json meta = body.value("metadata", json());
  const std::string name = meta.is_object() ? meta.value("name", "") : "";
  if (body.value("apiVersion", "") != route.api_version()) {
    cause("apiVersion", "Invalid value: \"" + body.value("apiVersion", "") + "\": must be " +
                            route.api_version());
  }
  if (body.value("kind", "") != route.info->kind) {
    cause("kind", "Invalid value: \"" + body.value("kind", "") + "\": must be " + route.info->kind);
  }
  if (name.empty()) cause("metadata.name", "Required value: name or generateName is required");
  if (!name.empty() && name != route.name) {
    return Reply{400,
                 {},
                 StatusBody(400, "BadRequest",
                            "the name of the object (" + name +
                                ") does not match the name on the URL (" + route.name + ")")
                     .dump()};
  }
  if (meta.is_object() && meta.contains("namespace") && meta["namespace"] != route.ns &&
      route.info->namespaced) {
    return Reply{400,
                 {},
                 StatusBody(400, "BadRequest",
                            "the namespace of the provided object does not "
                            "match the namespace sent on the request")
                     .dump()};
  }
  if (content && std::string(route.info->kind) == "Deployment") {
    const json spec = body.value("spec", json::object());
    const json labels = spec.value("selector", json::object()).value("matchLabels", json());
    const json tlabels = spec.value("template", json::object())
                             .value("metadata", json::object())
                             .value("labels", json());
    if (!labels.is_object() || labels.empty()) {
      cause("spec.selector", "Required value");
    } else {
      for (const auto& [k, v] : labels.items()) {
        if (!tlabels.is_object() || !tlabels.contains(k) || tlabels[k] != v) {
          cause("spec.template.metadata.labels",
                "Invalid value: selector does not match template labels");
          break;
        }
      }
    }
    const json containers = spec.value("template", json::object())
                                .value("spec", json::object())
                                .value("containers", json());
    if (!containers.is_array() || containers.empty()) {
      cause("spec.template.spec.containers", "Required value");
    } else {
      for (size_t i = 0; i < containers.size(); ++i) {
        if (!containers[i].is_object() || containers[i].value("image", "").empty()) {
          cause("spec.template.spec.containers[" + std::to_string(i) + "].image", "Required value");
        }
      }
    }
    if (spec.contains("replicas") &&
        (!spec["replicas"].is_number_integer() || spec["replicas"].get<int64_t>() < 0)) {
      cause("spec.replicas", "Invalid value: must be a non-negative integer");
    }
  }
  if (causes.empty()) return std::nullopt;
  std::string message = std::string(route.info->kind) + ".";
  message += std::string(route.info->group).empty() ? "" : std::string(route.info->group);
  message += " \"" + name + "\" is invalid: ";
  for (size_t i = 0; i < causes.size(); ++i) {
    message += (i ? ", " : "") + causes[i]["field"].get<std::string>() + ": " +
               causes[i]["message"].get<std::string>();
  }
  return Reply{422,
               {},
               StatusBody(422, "Invalid", message,
                          {{"name", name},
                           {"group", route.info->group},
                           {"kind", route.info->kind},
                           {"causes", causes}})
                   .dump()};
}

void FakeKubeApi::Commit(const std::string& path, Stored stored, const char* event) {
  stored.object["metadata"]["resourceVersion"] = std::to_string(++resource_version_);
  events_.push_back({resource_version_, event, path, stored.object});
  objects_[path] = std::move(stored);
  changed_.notify_all();
}

void FakeKubeApi::AutoRollout(json& object) {
  if (!auto_rollout_ || object.value("kind", "") != "Deployment") return;
  const int64_t replicas = object["spec"].value("replicas", 1);
  object["status"] = {{"observedGeneration", object["metadata"].value("generation", 1)},
                      {"replicas", replicas},
                      {"updatedReplicas", replicas},
                      {"readyReplicas", replicas},
                      {"availableReplicas", replicas}};
}

FakeKubeApi::Reply FakeKubeApi::Apply(const Route& route, const json& body,
                                      const std::string& manager, bool force) {
  // An apply patch may be partial: its identity is checked here, the merged
  // object's content below.
  if (auto invalid = Validate(route, body, false)) return *invalid;
  if (route.info->namespaced && !objects_.count("/api/v1/namespaces/" + route.ns)) {
    return {404,
            {},
            StatusBody(404, "NotFound", "namespaces \"" + route.ns + "\" not found",
                       {{"name", route.ns}, {"kind", "namespaces"}})
                .dump()};
  }
  const std::string path = route.path();
  auto existing = objects_.find(path);
  const std::string rv = body["metadata"].value("resourceVersion", "");
  if (!rv.empty() && (existing == objects_.end() ||
                      existing->second.object["metadata"].value("resourceVersion", "") != rv)) {
    return {
        409,
        {},
        StatusBody(409, "Conflict",
                   "Operation cannot be fulfilled on " + route.qualified() + " \"" + route.name +
                       "\": the object has been "
                       "modified; please apply your changes to the latest "
                       "version and try again")
            .dump()};
  }
  std::map<std::string, json> applied;
  Flatten(body, "", applied);
  Stored stored;
  if (existing != objects_.end()) stored = existing->second;
  json causes = json::array();
  std::string conflicts;
  for (const auto& [pointer, value] : applied) {
    auto owners = stored.owners.find(pointer);
    if (owners == stored.owners.end()) continue;
    json::json_pointer jp(pointer);
    const bool same = stored.object.contains(jp) && stored.object[jp] == value;
    if (same) continue;
    for (const auto& other : owners->second) {
      if (other == manager) continue;
      const std::string message = "conflict with \"" + other + "\" using " + route.api_version();
      causes.push_back({{"reason", "FieldManagerConflict"},
                        {"message", message},
                        {"field", FieldName(pointer)}});
      conflicts += (conflicts.empty() ? "" : "\n") + message + ": " + FieldName(pointer);
    }
  }
  if (!causes.empty() && !force) {
    const std::string n = std::to_string(causes.size());
    return {409,
            {},
            StatusBody(409, "Conflict",
                       "Apply failed with " + n + " conflict" + (causes.size() > 1 ? "s" : "") +
                           ": " + conflicts,
                       {{"causes", causes}})
                .dump()};
  }
  const json before = stored.object;
  if (existing == objects_.end()) {
    stored.object = {{"apiVersion", route.api_version()},
                     {"kind", route.info->kind},
                     {"metadata",
                      {{"name", route.name},
                       {"uid", "uid-" + std::to_string(resource_version_ + 1)},
                       {"creationTimestamp", "2024-01-01T00:00:00Z"}}}};
    if (route.info->namespaced) stored.object["metadata"]["namespace"] = route.ns;
  }
  try {
    // Fields this manager applied before and no longer does: released, and
    // removed when nobody else owns them.
    for (auto it = stored.owners.begin(); it != stored.owners.end();) {
      if (it->second.count(manager) && !applied.count(it->first)) {
        it->second.erase(manager);
        if (it->second.empty()) {
          RemoveAt(stored.object, it->first);
          it = stored.owners.erase(it);
          continue;
        }
      }
      ++it;
    }
    for (const auto& [pointer, value] : applied) {
      json::json_pointer jp(pointer);
      const bool same = stored.object.contains(jp) && stored.object[jp] == value;
      auto& owners = stored.owners[pointer];
      if (!same) owners.clear();  // forced (or unowned): the applier takes the field
      owners.insert(manager);
      stored.object[jp] = value;
    }
  } catch (const json::exception& e) {
    return {422,
            {},
            StatusBody(422, "Invalid", std::string("cannot merge the applied object: ") + e.what())
                .dump()};
  }
  if (auto invalid = Validate(route, stored.object, true)) return *invalid;
  const bool created = existing == objects_.end();
  const json spec_before = before.is_object() ? before.value("spec", json()) : json();
  if (created || stored.object.value("spec", json()) != spec_before) {
    stored.object["metadata"]["generation"] = before.is_object() && before.contains("metadata")
                                                  ? before["metadata"].value("generation", 0) + 1
                                                  : 1;
  }
  if (created && std::string(route.info->kind) == "Deployment")
    stored.object["status"] = json::object();
  if (!created && stored.object == before) return {200, {}, stored.object.dump()};
  AutoRollout(stored.object);
  Commit(path, std::move(stored), created ? "ADDED" : "MODIFIED");
  return {created ? 201 : 200, {}, objects_[path].object.dump()};
}

FakeKubeApi::Reply FakeKubeApi::Update(const Route& route, const json& body,
                                       const std::string& manager) {
  if (auto invalid = Validate(route, body, true)) return *invalid;
  const std::string path = route.path();
  auto existing = objects_.find(path);
  if (existing == objects_.end()) {
    return {404,
            {},
            StatusBody(
                404, "NotFound", route.qualified() + " \"" + route.name + "\" not found",
                {{"name", route.name}, {"group", route.info->group}, {"kind", route.info->plural}})
                .dump()};
  }
  const std::string rv = body["metadata"].value("resourceVersion", "");
  if (rv.empty()) {
    return {422,
            {},
            StatusBody(422, "Invalid",
                       std::string(route.info->kind) + " \"" + route.name +
                           "\" is invalid: metadata.resourceVersion: Invalid "
                           "value: 0x0: must be specified for an update")
                .dump()};
  }
  if (interfere_ > 0) {  // another writer got in first
    --interfere_;
    Stored other = existing->second;
    other.object["metadata"]["annotations"]["test/other-writer"] =
        std::to_string(resource_version_);
    other.owners["/metadata/annotations/test~1other-writer"] = {"other-writer"};
    Commit(path, std::move(other), "MODIFIED");
    existing = objects_.find(path);
  }
  if (existing->second.object["metadata"].value("resourceVersion", "") != rv) {
    return {409,
            {},
            StatusBody(
                409, "Conflict",
                "Operation cannot be fulfilled on " + route.qualified() + " \"" + route.name +
                    "\": the object has been "
                    "modified; please apply your changes to the latest "
                    "version and try again",
                {{"name", route.name}, {"group", route.info->group}, {"kind", route.info->plural}})
                .dump()};
  }
  Stored stored = existing->second;
  std::map<std::string, json> old_leaves, new_leaves;
  Flatten(stored.object, "", old_leaves);
  Flatten(body, "", new_leaves);
  json object = body;
  for (const char* keep : {"uid", "creationTimestamp", "generation"}) {
    if (stored.object["metadata"].contains(keep))
      object["metadata"][keep] = stored.object["metadata"][keep];
  }
  if (stored.object.contains("status")) object["status"] = stored.object["status"];
  for (const auto& [pointer, value] : new_leaves) {
    auto old = old_leaves.find(pointer);
    if (old == old_leaves.end() || old->second != value) stored.owners[pointer] = {manager};
  }
  for (const auto& [pointer, value] : old_leaves) {
    if (!new_leaves.count(pointer)) stored.owners.erase(pointer);
  }
  if (object.value("spec", json()) != stored.object.value("spec", json())) {
    object["metadata"]["generation"] = stored.object["metadata"].value("generation", 0) + 1;
  }
  stored.object = std::move(object);
  AutoRollout(stored.object);
  Commit(path, std::move(stored), "MODIFIED");
  return {200, {}, objects_[path].object.dump()};
}

FakeKubeApi::Reply FakeKubeApi::Delete(const Route& route, const std::string& propagation) {
  if (!propagation.empty() && propagation != "Foreground" && propagation != "Background" &&
      propagation != "Orphan") {
    return {400,
            {},
            StatusBody(400, "BadRequest",
                       "DeleteOptions.meta.k8s.io \"\" is invalid: "
                       "propagationPolicy: Unsupported value: \"" +
                           propagation + "\"")
                .dump()};
  }
  const std::string path = route.path();
  auto existing = objects_.find(path);
  if (existing == objects_.end()) {
    return {404,
            {},
            StatusBody(
                404, "NotFound", route.qualified() + " \"" + route.name + "\" not found",
                {{"name", route.name}, {"group", route.info->group}, {"kind", route.info->plural}})
                .dump()};
  }
  std::vector<std::string> doomed = {path};
  const json object = existing->second.object;
  if (propagation != "Orphan") {
    if (std::string(route.info->kind) == "Namespace") {
      for (const auto& [p, s] : objects_) {
        if (p.find("/namespaces/" + route.name + "/") != std::string::npos) doomed.push_back(p);
      }
    } else if (std::string(route.info->kind) == "Deployment") {
      const json labels =
          object["spec"].value("selector", json::object()).value("matchLabels", json::object());
      for (const auto& [p, s] : objects_) {
        if (p.rfind("/api/v1/namespaces/" + route.ns + "/pods/", 0) != 0) continue;
        bool match = true;
        for (const auto& [k, v] : labels.items()) {
          if (s.object["metadata"].value("labels", json::object()).value(k, json()) != v)
            match = false;
        }
        if (match) doomed.push_back(p);
      }
    }
  }
  for (const auto& p : doomed) {
    auto it = objects_.find(p);
    if (it == objects_.end()) continue;
    json gone = it->second.object;
    objects_.erase(it);
    logs_.erase(p);
    events_.push_back({++resource_version_, "DELETED", p, gone});
  }
  changed_.notify_all();
  return {200,
          {},
          json{{"kind", "Status"},
               {"apiVersion", "v1"},
               {"metadata", json::object()},
               {"status", "Success"},
               {"details",
                {{"name", route.name},
                 {"group", route.info->group},
                 {"kind", route.info->plural},
                 {"uid", object["metadata"].value("uid", "")}}}}
              .dump()};
}

FakeKubeApi::Reply FakeKubeApi::ListOrGet(const Route& route,
                                          const std::map<std::string, std::string>& query) {
  if (!route.name.empty()) {
    auto it = objects_.find(route.path());
    if (it == objects_.end()) {
      return {
          404,
          {},
          StatusBody(
              404, "NotFound", route.qualified() + " \"" + route.name + "\" not found",
              {{"name", route.name}, {"group", route.info->group}, {"kind", route.info->plural}})
              .dump()};
    }
    return {200, {}, it->second.object.dump()};
  }
  const std::string selector = query.count("labelSelector") ? query.at("labelSelector") : "";
  const std::string fields = query.count("fieldSelector") ? query.at("fieldSelector") : "";
  std::string name_filter;
  if (!fields.empty()) {
    if (fields.rfind("metadata.name=", 0) != 0) {
      return {400,
              {},
              StatusBody(400, "BadRequest",
                         "the test server supports fieldSelector=metadata.name=X only")
                  .dump()};
    }
    name_filter = fields.substr(14);
  }
  json items = json::array();
  for (const auto& [p, s] : objects_) {
    if (!route.Contains(p)) continue;
    if (!name_filter.empty() && s.object["metadata"].value("name", "") != name_filter) continue;
    bool match = true;
    if (auto error = MatchesSelector(s.object["metadata"].value("labels", json::object()), selector,
                                     &match)) {
      return {
          400, {}, StatusBody(400, "BadRequest", "unable to parse requirement: " + *error).dump()};
    }
    if (match) items.push_back(s.object);
  }
  return {200,
          {},
          json{{"kind", std::string(route.info->kind) + "List"},
               {"apiVersion", route.api_version()},
               {"metadata", {{"resourceVersion", std::to_string(resource_version_)}}},
               {"items", items}}
              .dump()};
}

FakeKubeApi::Reply FakeKubeApi::Logs(const Route& route,
                                     const std::map<std::string, std::string>& query) {
  const std::string path = route.path();
  auto it = objects_.find(path);
  if (it == objects_.end()) {
    return {404, {}, StatusBody(404, "NotFound", "pods \"" + route.name + "\" not found").dump()};
  }
  const json containers =
      it->second.object.value("spec", json::object()).value("containers", json::array());
  if (query.count("container")) {
    bool found = false;
    for (const auto& c : containers) found = found || c.value("name", "") == query.at("container");
    if (!found) {
      return {
          400,
          {},
          StatusBody(400, "BadRequest",
                     "container " + query.at("container") + " is not valid for pod " + route.name)
              .dump()};
    }
  } else if (containers.size() > 1) {
    return {
        400,
        {},
        StatusBody(400, "BadRequest", "a container name must be specified for pod " + route.name)
            .dump()};
  }
  std::string log = logs_[path];
  if (query.count("tailLines")) {
    int tail = -1;
    try {
      tail = std::stoi(query.at("tailLines"));
    } catch (...) {
    }
    if (tail < 0)
      return {400,
              {},
              StatusBody(400, "BadRequest", "tailLines must be a non-negative integer").dump()};
    auto lines = Split(log, '\n');
    std::string out;
    for (size_t i = lines.size() > static_cast<size_t>(tail) ? lines.size() - tail : 0;
         i < lines.size(); ++i) {
      out += lines[i] + "\n";
    }
    log = out;
  }
  const auto follow = query.find("follow");
  if (follow != query.end() && follow->second == "true") {
    return Reply{-2, {}, ""};  // Answer() streams it (FollowLog)
  }
  Reply reply{200, {}, log};
  reply.content_type = "text/plain";
  return reply;
}

void FakeKubeApi::Watch(const ChunkWriter& write, const Route& route,
                        const std::map<std::string, std::string>& query) {
  int timeout = 30;
  try {
    if (query.count("timeoutSeconds"))
      timeout = std::min(60, std::stoi(query.at("timeoutSeconds")));
  } catch (...) {
  }
  const std::string fields = query.count("fieldSelector") ? query.at("fieldSelector") : "";
  const std::string name = fields.rfind("metadata.name=", 0) == 0 ? fields.substr(14) : "";
  const std::string selector = query.count("labelSelector") ? query.at("labelSelector") : "";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout);
  std::unique_lock<std::mutex> lock(mu_);
  int64_t since = 0;
  std::string rv = query.count("resourceVersion") ? query.at("resourceVersion") : "";
  try {
    since = rv.empty() ? 0 : std::stoll(rv);
  } catch (...) {
  }
  std::vector<std::string> pending;
  if (since == 0) {  // no resourceVersion: the current state first, as ADDED events
    for (const auto& [p, s] : objects_) {
      if (route.Contains(p) && (name.empty() || s.object["metadata"].value("name", "") == name)) {
        pending.push_back(json{{"type", "ADDED"}, {"object", s.object}}.dump() + "\n");
      }
    }
    since = resource_version_;
  }
  for (;;) {
    for (const auto& e : events_) {
      if (e.rv <= since || !route.Contains(e.path)) continue;
      if (!name.empty() && e.object["metadata"].value("name", "") != name) continue;
      bool match = true;
      MatchesSelector(e.object["metadata"].value("labels", json::object()), selector, &match);
      if (match) pending.push_back(json{{"type", e.type}, {"object", e.object}}.dump() + "\n");
    }
    since = resource_version_;
    if (!pending.empty()) {
      lock.unlock();
      for (const auto& event : pending) {
        if (!write(event)) return;
      }
      pending.clear();
      lock.lock();
    }
    if (stop_ || std::chrono::steady_clock::now() >= deadline) break;
    changed_.wait_until(lock, deadline, [&] { return stop_ || resource_version_ != since; });
  }
}

namespace {

// Line `index` of a pod's log is stamped 2026-12-06T00:00:00Z + index ms,
// as the kubelet writes (RFC 3339, nine fraction digits, UTC).
constexpr int64_t kLogEpoch = 1796515200;  // 2026-12-06T00:00:00Z

std::string LogStamp(int64_t index) {
  const std::time_t seconds = kLogEpoch + index / 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char out[64];
  std::snprintf(out, sizeof out, "%04d-%02d-%02dT%02d:%02d:%02d.%03d000000Z", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(index % 1000));
  return out;
}

// sinceTime (RFC 3339, whole seconds) as seconds since the epoch; -1 when absent.
int64_t SinceSeconds(const std::map<std::string, std::string>& query) {
  auto it = query.find("sinceTime");
  if (it == query.end()) return -1;
  std::tm tm{};
  if (strptime(it->second.c_str(), "%Y-%m-%dT%H:%M:%S", &tm) == nullptr) return -1;
  return static_cast<int64_t>(timegm(&tm));
}

}  // namespace

void FakeKubeApi::FollowLog(const ChunkWriter& write, const std::string& pod_path,
                            const std::map<std::string, std::string>& query) {
  const bool stamps = query.count("timestamps") > 0 && query.at("timestamps") == "true";
  const int64_t since = SinceSeconds(query);
  std::unique_lock<std::mutex> lock(mu_);
  const uint64_t epoch = log_epochs_[pod_path];
  const uint64_t stalls = log_stalls_[pod_path];
  // The first line to send: the tail, or those from sinceTime on, or all.
  const auto whole = Split(logs_[pod_path], '\n');
  int64_t index = 0;
  if (query.count("tailLines")) {
    const int64_t tail = std::stoll(query.at("tailLines"));
    index = std::max<int64_t>(0, static_cast<int64_t>(whole.size()) - tail);
  }
  if (since >= 0) {
    while (index < static_cast<int64_t>(whole.size()) && kLogEpoch + index / 1000 < since) ++index;
  }
  for (;;) {
    if (log_stalls_[pod_path] != stalls) {
      // Silent, but open: only the server's stop closes it.
      changed_.wait(lock, [&] { return stop_.load(); });
      return;
    }
    const std::string& log = logs_[pod_path];
    // What this pass has seen: the wait below is for more than this. (Taken
    // after the write, it counted a line appended while the lock was let
    // go for the write, and that line was never sent: a CI run of
    // AksLogsFollowCli waited 30 s for it.)
    const size_t size = log.size();
    const auto lines = Split(log, '\n');
    // Whole lines only: the last one counts once its newline is there.
    const int64_t complete = static_cast<int64_t>(lines.size()) -
                             (!log.empty() && log.back() != '\n' ? 1 : 0);
    std::string out;
    for (; index < complete; ++index) {
      out += (stamps ? LogStamp(index) + " " : "") + lines[index] + "\n";
    }
    if (!out.empty()) {
      lock.unlock();
      const bool sent = write(out);
      lock.lock();
      if (!sent) return;
    }
    if (stop_ || objects_.count(pod_path) == 0 || log_epochs_[pod_path] != epoch) return;
    changed_.wait(lock, [&] {
      return stop_ || objects_.count(pod_path) == 0 || log_epochs_[pod_path] != epoch ||
             log_stalls_[pod_path] != stalls || logs_[pod_path].size() != size;
    });
  }
}

namespace {

std::optional<FakeKubeApi::Route> ParseRoute(const std::string& path) {
  auto parts = Split(path, '/');
  if (parts.empty() || !parts[0].empty()) return std::nullopt;
  parts.erase(parts.begin());
  FakeKubeApi::Route route;
  std::string group, version;
  size_t i = 0;
  if (parts.size() >= 2 && parts[0] == "api") {
    version = parts[1];
    i = 2;
  } else if (parts.size() >= 3 && parts[0] == "apis") {
    group = parts[1];
    version = parts[2];
    i = 3;
  } else {
    return std::nullopt;
  }
  route.prefix = group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
  std::vector<std::string> rest(parts.begin() + i, parts.end());
  if (rest.size() >= 3 && rest[0] == "namespaces") {
    route.ns = rest[1];
    rest.erase(rest.begin(), rest.begin() + 2);
  }
  if (rest.empty() || rest.size() > 3) return std::nullopt;
  for (const auto& info : kResources) {
    if (rest[0] == info.plural && group == info.group && version == info.version)
      route.info = &info;
  }
  if (route.info == nullptr) return std::nullopt;
  if (!route.info->namespaced && !route.ns.empty()) return std::nullopt;
  if (rest.size() >= 2) route.name = rest[1];
  if (rest.size() == 3) route.sub = rest[2];
  if (route.name.empty() && !route.sub.empty()) return std::nullopt;
  return route;
}

}  // namespace

}  // namespace skiff::compute_aks::kube::testing
