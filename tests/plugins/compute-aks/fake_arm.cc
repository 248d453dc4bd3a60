// SPDX-License-Identifier: Apache-2.0
#include "fake_arm.h"

#include <algorithm>
#include <cctype>
#include <regex>

#include "skiff/util/base64.h"

namespace skiff::compute_aks::testing {
namespace {

using nlohmann::json;
using test_support::LoopbackResponse;

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string ErrorBody(const std::string& code, const std::string& message) {
  return json{{"error", {{"code", code}, {"message", message}}}}.dump();
}

}  // namespace

std::chrono::system_clock::time_point FakeClock::Now() {
  std::lock_guard<std::mutex> lock(mu_);
  return now_;
}
void FakeClock::Sleep(std::chrono::milliseconds d) {
  std::lock_guard<std::mutex> lock(mu_);
  sleeps_.push_back(d);
  now_ += d;
}
std::vector<std::chrono::milliseconds> FakeClock::sleeps() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sleeps_;
}

void FakeArm::SetFederatedAssertion(std::string assertion) {
  std::lock_guard<std::mutex> lock(mu_);
  federated_assertion_ = std::move(assertion);
}
std::vector<std::string> FakeArm::assertions_seen() const {
  std::lock_guard<std::mutex> lock(mu_);
  return assertions_seen_;
}

FakeArm::FakeArm() : server_([this](const Recorded& r) { return Answer(r); }) {}

FakeArm::~FakeArm() { server_.Stop(); }

std::string FakeArm::url() const { return server_.url(); }

void FakeArm::SetOperationStates(std::vector<std::string> states) {
  std::lock_guard<std::mutex> lock(mu_);
  states_ = std::move(states);
}
void FakeArm::SetOperationError(std::string code, std::string message) {
  std::lock_guard<std::mutex> lock(mu_);
  error_code_ = std::move(code);
  error_message_ = std::move(message);
}
void FakeArm::SetLocationOnly(bool on) {
  std::lock_guard<std::mutex> lock(mu_);
  location_only_ = on;
}
void FakeArm::SetPollRetryAfter(std::string value) {
  std::lock_guard<std::mutex> lock(mu_);
  poll_retry_after_ = std::move(value);
}
void FakeArm::AddFault(Fault fault) {
  std::lock_guard<std::mutex> lock(mu_);
  faults_.push_back(std::move(fault));
}
void FakeArm::AddCluster(const std::string& sub, const std::string& rg, const std::string& name,
                         int count, const std::string& vm_size) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string id = "/subscriptions/" + sub + "/resourcegroups/" + rg +
                         "/providers/Microsoft.ContainerService/managedClusters/" + name;
  clusters_[Lower(id)] = json{
      {"id", id},
      {"name", name},
      {"location", "westeurope"},
      {"type", "Microsoft.ContainerService/ManagedClusters"},
      {"properties",
       {{"provisioningState", "Succeeded"},
        {"kubernetesVersion", "1.28.5"},
        {"currentKubernetesVersion", "1.28.5"},
        {"fqdn", name + "-dns.hcp.westeurope.azmk8s.io"},
        {"agentPoolProfiles",
         json::array({{{"name", "nodepool1"}, {"count", count}, {"vmSize", vm_size}}})}}}};
  AddIdentity(clusters_[Lower(id)]);
}

void FakeArm::SetNetworkPolicy(const std::string& sub, const std::string& rg,
                               const std::string& name, const std::string& policy) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string id = "/subscriptions/" + sub + "/resourcegroups/" + rg +
                         "/providers/Microsoft.ContainerService/managedClusters/" + name;
  clusters_[Lower(id)]["properties"]["networkProfile"]["networkPolicy"] = policy;
}

std::string FakeArm::RegistryId(const std::string& sub, const std::string& rg,
                                const std::string& name) {
  return "/subscriptions/" + sub + "/resourceGroups/" + rg +
         "/providers/Microsoft.ContainerRegistry/registries/" + name;
}

std::string FakeArm::KubeletObjectId(const std::string& cluster_name) {
  return "kubelet-" + cluster_name;
}

void FakeArm::AddIdentity(json& cluster) const {
  cluster["identity"] = {{"type", "SystemAssigned"}};
  cluster["properties"]["identityProfile"] = {
      {"kubeletidentity",
       {{"objectId", KubeletObjectId(cluster.value("name", ""))},
        {"clientId", "client-" + cluster.value("name", "")}}}};
}

void FakeArm::AddRegistry(const std::string& sub, const std::string& rg, const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string id = RegistryId(sub, rg, name);
  registries_[Lower(id)] = json{{"id", id},
                                {"name", name},
                                {"type", "Microsoft.ContainerRegistry/registries"},
                                {"location", "westeurope"},
                                {"properties", {{"loginServer", Lower(name) + ".azurecr.io"}}}};
}

std::vector<json> FakeArm::role_assignments() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<json> out;
  for (const auto& [id, a] : role_assignments_) out.push_back(a);
  return out;
}

// Azure's contract for PUT .../roleAssignments/{name}: a GUID name, an
// existing scope, a roleDefinitionId under /providers/Microsoft.Authorization/
// roleDefinitions/, a principal the tenant knows, one assignment per
// (scope, role, principal): another name for the same one is 409.
FakeArm::Reply FakeArm::RoleAssignment(const std::string& scope, const std::string& name,
                                       const std::string& body_text) {
  const auto bad = [](const std::string& code, const std::string& what) {
    return Reply{400, {}, ErrorBody(code, what), false};
  };
  static const std::regex guid("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$");
  if (!std::regex_match(name, guid)) {
    return bad("InvalidRoleAssignmentId", "The role assignment ID '" + name + "' is not a GUID.");
  }
  if (!registries_.count(Lower(scope))) {
    return {404, {}, ErrorBody("ResourceNotFound", "no resource " + scope), false};
  }
  const json body = json::parse(body_text, nullptr, false);
  const json::json_pointer role_at("/properties/roleDefinitionId");
  const json::json_pointer principal_at("/properties/principalId");
  const json::json_pointer type_at("/properties/principalType");
  static const std::regex role_re(
      "^/subscriptions/[^/]+/providers/Microsoft.Authorization/roleDefinitions/"
      "[0-9a-f-]{36}$");
  if (!body.is_object() || !body.contains(role_at) || !body[role_at].is_string() ||
      !std::regex_match(body[role_at].get<std::string>(), role_re)) {
    return bad("InvalidRoleDefinitionId", "properties.roleDefinitionId is missing or malformed");
  }
  if (!body.contains(principal_at) || !body[principal_at].is_string()) {
    return bad("InvalidPrincipalId", "properties.principalId is required");
  }
  bool known = false;
  for (const auto& [id, c] : clusters_) {
    known = known || body[principal_at] == KubeletObjectId(c.value("name", ""));
  }
  if (!known) return bad("PrincipalNotFound", "Principal " + body[principal_at].dump() +
                                                  " does not exist in the directory tenant-1.");
  if (!body.contains(type_at) || body[type_at] != "ServicePrincipal") {
    return bad("InvalidPrincipalType", "properties.principalType must be ServicePrincipal here");
  }
  const std::string id = scope + "/providers/Microsoft.Authorization/roleAssignments/" + name;
  for (const auto& [key, a] : role_assignments_) {
    if (key != Lower(id) && Lower(a.value("scope", "")) == Lower(scope) &&
        a["properties"]["roleDefinitionId"] == body[role_at] &&
        a["properties"]["principalId"] == body[principal_at]) {
      return {409, {}, ErrorBody("RoleAssignmentExists", "The role assignment already exists."),
              false};
    }
  }
  const bool existed = role_assignments_.count(Lower(id)) > 0;
  json stored = {{"id", id},
                 {"name", name},
                 {"type", "Microsoft.Authorization/roleAssignments"},
                 {"scope", scope},
                 {"properties", body["properties"]}};
  stored["properties"]["scope"] = scope;
  role_assignments_[Lower(id)] = stored;
  return {existed ? 200 : 201, {}, stored.dump(), false};
}

std::vector<Recorded> FakeArm::requests() const { return server_.requests(); }
int FakeArm::Count(const std::string& method, const std::string& contains) const {
  return server_.Count(method, contains);
}
int FakeArm::token_requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return token_requests_;
}
bool FakeArm::HasCluster(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, c] : clusters_) {
    if (c["name"] == name) return true;
  }
  return false;
}
json FakeArm::LastPutBody() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_put_;
}

LoopbackResponse FakeArm::Answer(const Recorded& r) {
  Reply reply = Route(r);
  if (reply.drop) {  // a cut reply: the promised body never comes
    return LoopbackResponse::Raw("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"half");
  }
  LoopbackResponse res;
  res.status = reply.status;
  res.headers.assign(reply.headers.begin(), reply.headers.end());
  if (!reply.body.empty()) res.headers.emplace_back("Content-Type", "application/json");
  res.body = std::move(reply.body);
  return res;
}

FakeArm::Reply FakeArm::Route(const Recorded& r) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string line = r.method + " " + r.target;
  if (auto fault = test_support::TakeFault(faults_, line)) {
    Reply reply;
    reply.drop = fault->status == 0;
    reply.status = fault->status == 0 ? 200 : fault->status;
    reply.headers = fault->headers;
    reply.body = ErrorBody(fault->status == 429 ? "TooManyRequests" : "InternalServerError",
                           "injected fault");
    return reply;
  }
  if (r.method == "POST" && r.target.find("/oauth2/v2.0/token") != std::string::npos)
    return Token(r);
  if (r.target.rfind("/metadata/identity/oauth2/token", 0) == 0) {
    return ManagedIdentityToken(r, false);
  }
  if (r.target.rfind("/msi/token", 0) == 0) return ManagedIdentityToken(r, true);

  const std::string auth = r.headers.count("authorization") ? r.headers.at("authorization") : "";
  const std::string token = auth.rfind("Bearer ", 0) == 0 ? auth.substr(7) : "";
  const bool valid =
      token == kFixedToken || std::find(issued_.begin(), issued_.end(), token) != issued_.end();
  if (!valid) {
    return {401,
            {{"WWW-Authenticate", "Bearer authorization_uri=\"x\""}},
            ErrorBody("AuthenticationFailed",
                      "Authentication failed. The 'Authorization' header "
                      "is missing or invalid."),
            false};
  }
  const size_t q = r.target.find('?');
  const std::string path = r.target.substr(0, q);
  const std::string query = q == std::string::npos ? "" : r.target.substr(q + 1);
  if (!std::regex_search(query, std::regex("(^|&)api-version=[0-9]{4}-[0-9]{2}-[0-9]{2}"))) {
    return {400,
            {},
            ErrorBody("MissingApiVersionParameter",
                      "The api-version query parameter (?api-version=) is required for "
                      "all requests."),
            false};
  }
  std::smatch m;
  static const std::regex op_re(
      "^/subscriptions/[^/]+/providers/Microsoft.ContainerService/locations/[^/]+/"
      "(operations|operationresults)/([^/]+)$");
  if (r.method == "GET" && std::regex_match(path, m, op_re)) {
    return OperationReply(m[2], m[1] == "operationresults");
  }
  static const std::regex role_re(
      "^(/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft.ContainerRegistry/"
      "registries/[^/]+)/providers/Microsoft.Authorization/roleAssignments/([^/]+)$",
      std::regex::icase);
  if (std::regex_match(path, m, role_re)) {
    if (r.method == "DELETE") {
      // ARM: 200 with the deleted assignment, 204 when there was none.
      auto it = role_assignments_.find(Lower(path));
      if (it == role_assignments_.end()) return {204, {}, "", false};
      const std::string body = it->second.dump();
      role_assignments_.erase(it);
      return {200, {}, body, false};
    }
    if (r.method != "PUT") return {405, {}, ErrorBody("MethodNotAllowed", r.method), false};
    return RoleAssignment(m[1], m[2], r.body);
  }
  static const std::regex registry_re(
      "^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft.ContainerRegistry/"
      "registries/([^/]+)$",
      std::regex::icase);
  if (r.method == "GET" && std::regex_match(path, m, registry_re)) {
    auto it = registries_.find(Lower(path));
    if (it == registries_.end()) {
      return {404, {}, ErrorBody("ResourceNotFound",
                                 "The Resource 'Microsoft.ContainerRegistry/registries/" +
                                     std::string(m[1]) + "' was not found."),
              false};
    }
    return {200, {}, it->second.dump(), false};
  }
  static const std::regex registries_re(
      "^/subscriptions/([^/]+)/providers/Microsoft.ContainerRegistry/registries$",
      std::regex::icase);
  if (r.method == "GET" && std::regex_match(path, m, registries_re)) {
    json value = json::array();
    const std::string prefix = Lower("/subscriptions/" + std::string(m[1]) + "/");
    for (const auto& [key, reg] : registries_) {
      if (key.rfind(prefix, 0) == 0) value.push_back(reg);
    }
    return {200, {}, json{{"value", value}}.dump(), false};
  }
  static const std::regex cluster_re(
      "^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/"
      "Microsoft.ContainerService/managedClusters/([^/]+)(/listClusterUserCredential)?$",
      std::regex::icase);
  if (!std::regex_match(path, m, cluster_re)) {
    return {404, {}, ErrorBody("InvalidResourceType", "no route for " + path), false};
  }
  const std::string sub = m[1], rg = m[2], name = m[3];
  const bool creds = m[4].matched;
  const std::string id = "/subscriptions/" + sub + "/resourceGroups/" + rg +
                         "/providers/Microsoft.ContainerService/managedClusters/" + name;
  const std::string key = Lower(id);
  auto cluster = clusters_.find(key);
  const Reply not_found{404,
                        {},
                        ErrorBody("ResourceNotFound",
                                  "The Resource 'Microsoft.ContainerService/managedClusters/" +
                                      name + "' under resource group '" + rg + "' was not found."),
                        false};
  if (creds) {
    if (r.method != "POST") return {405, {}, ErrorBody("MethodNotAllowed", r.method), false};
    if (cluster == clusters_.end()) return not_found;
    const std::string kubeconfig =
        "apiVersion: v1\nkind: Config\nclusters:\n- name: " + name + "\n";
    return {200,
            {},
            json{{"kubeconfigs",
                  json::array({{{"name", "clusterUser"},
                                {"value", Base64Encode(kubeconfig, Base64Alphabet::kStandard)}}})}}
                .dump(),
            false};
  }
  if (r.method == "GET") {
    if (cluster == clusters_.end()) return not_found;
    json& props = cluster->second["properties"];
    if (creating_gets_left_ > 0 && props.value("provisioningState", "") == "Creating" &&
        --creating_gets_left_ == 0) {
      props["provisioningState"] = "Succeeded";
    }
    return {200, {}, cluster->second.dump(), false};
  }
  if (r.method == "DELETE") {
    if (cluster == clusters_.end()) return {204, {}, "", false};
    cluster->second["properties"]["provisioningState"] = "Deleting";
    return StartOperation("delete", key, sub, cluster->second.value("location", "westeurope"), 202,
                          "", false);
  }
  if (r.method == "PUT") {
    json body = json::parse(r.body, nullptr, false);
    last_put_ = body;
    const auto invalid = [](const std::string& what) {
      return Reply{400, {}, ErrorBody("InvalidParameter", what), false};
    };
    if (!body.is_object() || !body.contains("location") || !body["location"].is_string() ||
        body["location"].get<std::string>().empty()) {
      return invalid("location is required");
    }
    if (!body.contains("properties") || !body["properties"].contains("dnsPrefix")) {
      return invalid("properties.dnsPrefix is required");
    }
    const json& pools = body["properties"].value("agentPoolProfiles", json());
    if (!pools.is_array() || pools.empty()) return invalid("agentPoolProfiles is required");
    for (const auto& p : pools) {
      if (!p.contains("name") || !p.contains("count") || !p.contains("vmSize") ||
          p.value("mode", "") != "System") {
        return invalid("each agent pool needs name, count, vmSize and mode System");
      }
    }
    json stored = {{"id", id},
                   {"name", name},
                   {"location", body["location"]},
                   {"type", "Microsoft.ContainerService/ManagedClusters"},
                   {"tags", body.value("tags", json::object())},
                   {"properties", body["properties"]}};
    AddIdentity(stored);
    stored["properties"]["provisioningState"] = "Creating";
    stored["properties"]["kubernetesVersion"] = "1.28.5";
    stored["properties"]["fqdn"] =
        name + "-dns.hcp." + body["location"].get<std::string>() + ".azmk8s.io";
    clusters_[key] = stored;
    return StartOperation("create", key, sub, body["location"], location_only_ ? 202 : 201,
                          location_only_ ? "" : stored.dump(), location_only_);
  }
  return {405, {}, ErrorBody("MethodNotAllowed", r.method), false};
}

void FakeArm::FinishCreatingAfterGets(int n) {
  std::lock_guard<std::mutex> lock(mu_);
  creating_gets_left_ = n;
}

void FakeArm::SetClusterState(const std::string& name, const std::string& state) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [key, cluster] : clusters_) {
    if (cluster.value("name", "") == name) cluster["properties"]["provisioningState"] = state;
  }
}

void FakeArm::RemoveCluster(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = clusters_.begin(); it != clusters_.end();) {
    it = it->second.value("name", "") == name ? clusters_.erase(it) : std::next(it);
  }
}

void FakeArm::SetPublicOrigin(std::string origin) {
  std::lock_guard<std::mutex> lock(mu_);
  public_origin_ = std::move(origin);
}

FakeArm::Reply FakeArm::StartOperation(const std::string& kind, const std::string& key,
                                       const std::string& sub, const std::string& location,
                                       int status, const std::string& body, bool location_only) {
  const std::string id = "op-" + std::to_string(next_op_++);
  operations_[id] = Operation{kind, key, 0};
  const std::string base = (public_origin_.empty() ? url() : public_origin_) + "/subscriptions/" +
                           sub + "/providers/Microsoft.ContainerService/locations/" + location;
  Reply reply{status, {}, body, false};
  if (!location_only) {
    reply.headers["Azure-AsyncOperation"] = base + "/operations/" + id + "?api-version=2016-03-30";
  }
  if (location_only || kind == "delete") {
    reply.headers["Location"] = base + "/operationresults/" + id + "?api-version=2016-03-30";
  }
  if (!poll_retry_after_.empty()) reply.headers["Retry-After"] = poll_retry_after_;
  return reply;
}

std::string FakeArm::StateOf(Operation& op) {
  const std::string state = states_[std::min(op.polls, states_.size() - 1)];
  ++op.polls;
  auto cluster = clusters_.find(op.cluster_key);
  if (state == "Succeeded") {
    if (op.kind == "delete") {
      clusters_.erase(op.cluster_key);
    } else if (cluster != clusters_.end()) {
      cluster->second["properties"]["provisioningState"] = "Succeeded";
    }
  } else if ((state == "Failed" || state == "Canceled") && cluster != clusters_.end()) {
    cluster->second["properties"]["provisioningState"] = state;
  }
  return state;
}

FakeArm::Reply FakeArm::OperationReply(const std::string& id, bool location_style) {
  auto it = operations_.find(id);
  if (it == operations_.end()) return {404, {}, ErrorBody("NotFound", "no operation " + id), false};
  Operation& op = it->second;
  const std::string key = op.cluster_key;
  const std::string kind = op.kind;
  const std::string state = StateOf(op);
  Reply reply;
  if (!poll_retry_after_.empty()) reply.headers["Retry-After"] = poll_retry_after_;
  if (location_style) {
    if (state == "Succeeded") {
      auto c = clusters_.find(key);
      if (kind == "delete" || c == clusters_.end()) return {204, {}, "", false};
      return {200, {}, c->second.dump(), false};
    }
    if (state == "Failed" || state == "Canceled") {
      return {400, {}, ErrorBody(error_code_, error_message_), false};
    }
    reply.status = 202;
    reply.headers["Location"] = url() + "/x";  // unused by the client: it keeps its URL
    return reply;
  }
  json body = {{"name", id}, {"status", state}, {"startTime", "2024-03-01T10:00:00Z"}};
  if (state == "Failed" || state == "Canceled") {
    body["error"] = {{"code", error_code_}, {"message", error_message_}};
  }
  reply.body = body.dump();
  return reply;
}

FakeArm::Reply FakeArm::Token(const Recorded& r) {
  ++token_requests_;
  const auto bad = [](const std::string& error, const std::string& why) {
    return Reply{400, {}, json{{"error", error}, {"error_description", why}}.dump(), false};
  };
  if (r.target != std::string("/") + kTenant + "/oauth2/v2.0/token") {
    return bad("invalid_tenant", "AADSTS90002: Tenant not found: " + r.target);
  }
  const std::string type = r.headers.count("content-type") ? r.headers.at("content-type") : "";
  if (type.rfind("application/x-www-form-urlencoded", 0) != 0) {
    return bad("invalid_request", "AADSTS900144: wrong content type " + type);
  }
  auto form = test_support::ParseFormEncoded(r.body);
  if (form["grant_type"] != "client_credentials")
    return bad("unsupported_grant_type", "grant_type");
  if (form["scope"] != "https://management.azure.com/.default")
    return bad("invalid_scope", "scope");
  if (form["client_id"] != kClientId) return bad("unauthorized_client", "AADSTS700016: client_id");
  if (form.count("client_assertion") || form.count("client_assertion_type")) {
    // Workload identity: a federated token instead of a secret, never both.
    if (form.count("client_secret")) {
      return bad("invalid_request", "AADSTS50027: both client_secret and client_assertion");
    }
    if (form["client_assertion_type"] != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer") {
      return bad("invalid_request", "AADSTS50027: client_assertion_type");
    }
    assertions_seen_.push_back(form["client_assertion"]);
    if (federated_assertion_.empty() || form["client_assertion"] != federated_assertion_) {
      return bad("invalid_client",
                 "AADSTS700213: No matching federated identity record found for presented "
                 "assertion.");
    }
  } else if (form["client_secret"] != kClientSecret) {
    return bad("invalid_client", "AADSTS7000215: Invalid client secret provided.");
  }
  const std::string token = Issue();
  return {200,
          {},
          json{{"token_type", "Bearer"},
               {"expires_in", 3599},
               {"ext_expires_in", 3599},
               {"access_token", token}}
              .dump(),
          false};
}

std::string FakeArm::Issue() {
  const std::string token = "issued-" + std::to_string(issued_.size() + 1);
  issued_.push_back(token);
  return token;
}

FakeArm::Reply FakeArm::ManagedIdentityToken(const Recorded& r, bool app_service) {
  ++token_requests_;
  const auto bad = [](int status, const std::string& error, const std::string& why) {
    return Reply{status, {}, json{{"error", error}, {"error_description", why}}.dump(), false};
  };
  if (r.method != "GET") return bad(405, "invalid_request", "GET only");
  const size_t q = r.target.find('?');
  auto query = test_support::ParseFormEncoded(q == std::string::npos ? "" : r.target.substr(q + 1));
  if (app_service) {
    if (r.header("x-identity-header") != kIdentityHeader) {
      return bad(401, "invalid_request", "X-IDENTITY-HEADER is missing or wrong");
    }
    if (query["api-version"] != "2019-08-01") return bad(400, "invalid_request", "api-version");
  } else {
    // IMDS refuses a request without the header (a guard against SSRF).
    if (r.header("metadata") != "true") {
      return bad(400, "invalid_request", "Required metadata header not specified");
    }
    if (r.header("x-forwarded-for") != "") return bad(400, "invalid_request", "forwarded");
    if (query["api-version"] != "2018-02-01") {
      return bad(400, "invalid_request", "Missing or invalid api-version");
    }
  }
  if (query["resource"] != "https://management.azure.com/") {
    return bad(400, "invalid_resource", "AADSTS500011: resource " + query["resource"]);
  }
  if (query.count("client_id") && query["client_id"] != kUserAssignedClientId) {
    return bad(400, "invalid_request", "Identity not found");
  }
  const auto expires_on = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count() +
                          3600;
  return {200,
          {},
          json{{"access_token", Issue()},
               {"expires_in", "3599"},
               {"expires_on", std::to_string(expires_on)},
               {"resource", "https://management.azure.com/"},
               {"token_type", "Bearer"}}
              .dump(),
          false};
}

}  // namespace skiff::compute_aks::testing
