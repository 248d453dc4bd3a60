// SPDX-License-Identifier: Apache-2.0
// FakeArm: a loopback Azure Resource Manager + Azure AD token endpoint for
// the compute-aks tests (on the shared LoopbackHttpServer, 127.0.0.1, port 0). It enforces the
// contract instead of answering 200: a bearer token it issued (or the fixed
// one) is required (401), so is ?api-version= (400), the token request must
// be a proper client-credentials form post, and a PUT body must have the
// fields ARM needs. The Azure identities skiff's credential chain uses
// have stand-ins here too, each enforcing its protocol: workload identity
// (client_assertion of the jwt-bearer type instead of a secret), the
// instance metadata service (GET /metadata/identity/oauth2/token with
// `Metadata: true`, api-version, resource, optional client_id) and App
// Service's IDENTITY_ENDPOINT (/msi/token with X-IDENTITY-HEADER); the
// tokens they issue are good for ARM. Operations move through a scripted list of states;
// faults (429/500/dropped connection) can be queued per request.
#pragma once

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "loopback_http_server.h"
#include "transport/clock.h"

namespace skiff::compute_aks::testing {

// A request as the server logged it (method, target, body, lower-case headers).
using Recorded = ::skiff::test_support::LoopbackRequest;

// Answers the next `times` requests whose "METHOD target" contains `match`
// with `status` (0: read the request, send half a response, close).
using Fault = ::skiff::test_support::LoopbackFault;

class FakeArm {
 public:
  static constexpr const char* kTenant = "tenant-1";
  static constexpr const char* kClientId = "client-1";
  static constexpr const char* kClientSecret = "s3cret&+=";
  static constexpr const char* kFixedToken = "fixed-token";
  // The managed identity stand-ins' user-assigned identity and App Service
  // secret header.
  static constexpr const char* kUserAssignedClientId = "mi-client-9";
  static constexpr const char* kIdentityHeader = "identity-header-5e";

  // The federated token (workload identity's client_assertion) Azure AD
  // accepts from now on; "" accepts none.
  void SetFederatedAssertion(std::string assertion);
  // The client_assertion values of workload identity token requests, in order.
  std::vector<std::string> assertions_seen() const;

  FakeArm();
  ~FakeArm();

  std::string url() const;  // http://127.0.0.1:<port>

  // States reported by the next operations' polls (the last one repeats).
  void SetOperationStates(std::vector<std::string> states);
  void SetOperationError(std::string code, std::string message);
  // Answer a create with 202 + Location only (no Azure-AsyncOperation).
  void SetLocationOnly(bool on);
  // Retry-After on operation replies ("" for none).
  void SetPollRetryAfter(std::string value);
  void AddFault(Fault fault);
  // A cluster that exists already (for attach).
  // Its one agent pool has `count` nodes of `vm_size`.
  void AddCluster(const std::string& sub, const std::string& rg, const std::string& name,
                  int count = 3, const std::string& vm_size = "Standard_DS3_v2");
  // Sets that cluster's properties.networkProfile.networkPolicy ("calico",
  // "azure"); AddCluster's clusters have none.
  void SetNetworkPolicy(const std::string& sub, const std::string& rg, const std::string& name,
                        const std::string& policy);

  // A Container Registry `name` in `rg` (for --registry; GET by name and
  // the subscription's list answer for it).
  void AddRegistry(const std::string& sub, const std::string& rg, const std::string& name);
  static std::string RegistryId(const std::string& sub, const std::string& rg,
                                const std::string& name);
  // Every cluster's kubelet identity: properties.identityProfile.kubeletidentity.objectId.
  static std::string KubeletObjectId(const std::string& cluster_name);
  // A role assignment as stored: {"id", "name", "scope", "properties"}.
  std::vector<nlohmann::json> role_assignments() const;

  // A cluster left Creating (no operation polled, e.g. --no-wait) turns
  // Succeeded on the n-th GET of the cluster from now (n >= 1).
  void FinishCreatingAfterGets(int n);
  // Sets a stored cluster's properties.provisioningState.
  void SetClusterState(const std::string& name, const std::string& state);
  void RemoveCluster(const std::string& name);
  // Operation URLs point here instead of url() (a TLS front, say).
  void SetPublicOrigin(std::string origin);

  std::vector<Recorded> requests() const;
  int Count(const std::string& method, const std::string& contains) const;
  int token_requests() const;
  bool HasCluster(const std::string& name) const;
  nlohmann::json LastPutBody() const;

 private:
  struct Operation {
    std::string kind;  // "create" / "delete"
    std::string cluster_key;
    size_t polls = 0;
  };
  struct Reply {
    int status = 200;
    std::map<std::string, std::string> headers;
    std::string body;
    bool drop = false;
  };

  ::skiff::test_support::LoopbackResponse Answer(const Recorded& r);
  Reply Route(const Recorded& r);
  Reply Token(const Recorded& r);
  // IMDS (`app_service` false) or IDENTITY_ENDPOINT.
  Reply ManagedIdentityToken(const Recorded& r, bool app_service);
  std::string Issue();  // a new token ARM accepts
  Reply RoleAssignment(const std::string& scope, const std::string& name, const std::string& body);
  void AddIdentity(nlohmann::json& cluster) const;
  Reply OperationReply(const std::string& id, bool location_style);
  Reply StartOperation(const std::string& kind, const std::string& key, const std::string& sub,
                       const std::string& location, int status, const std::string& body,
                       bool location_only);
  std::string StateOf(Operation& op);

  mutable std::mutex mu_;  // guards everything below but server_
  std::vector<Fault> faults_;
  std::vector<std::string> states_ = {"InProgress", "Succeeded"};
  std::string error_code_ = "ProvisioningFailed", error_message_ = "quota exceeded";
  bool location_only_ = false;
  std::string poll_retry_after_ = "1";
  std::vector<std::string> issued_;
  int token_requests_ = 0;
  std::string federated_assertion_;
  std::vector<std::string> assertions_seen_;
  std::map<std::string, nlohmann::json> clusters_;          // key: lower-case id
  std::map<std::string, nlohmann::json> registries_;        // key: lower-case id
  std::map<std::string, nlohmann::json> role_assignments_;  // key: lower-case id
  std::map<std::string, Operation> operations_;
  int next_op_ = 1;
  nlohmann::json last_put_;
  int creating_gets_left_ = -1;
  std::string public_origin_;

  // Last: stopped (its threads joined) before the state above goes.
  ::skiff::test_support::LoopbackHttpServer server_;
};

// A clock whose Sleep() advances time instantly and records the delays.
class FakeClock final : public Clock {
 public:
  std::chrono::system_clock::time_point Now() override;
  void Sleep(std::chrono::milliseconds d) override;
  std::vector<std::chrono::milliseconds> sleeps() const;

 private:
  mutable std::mutex mu_;
  std::chrono::system_clock::time_point now_ = std::chrono::system_clock::now();
  std::vector<std::chrono::milliseconds> sleeps_;
};

}  // namespace skiff::compute_aks::testing
