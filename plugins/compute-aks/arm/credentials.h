// SPDX-License-Identifier: Apache-2.0
// Azure credentials: the chain the Azure SDKs' DefaultAzureCredential walks,
// decided from the environment, first match wins (docs/auth.md):
//   1. AZURE_ACCESS_TOKEN                   a ready bearer token (skiff's own)
//   2. environment service principal         AZURE_TENANT_ID, AZURE_CLIENT_ID,
//                                            AZURE_CLIENT_SECRET
//   3. workload identity                     AZURE_FEDERATED_TOKEN_FILE,
//                                            AZURE_TENANT_ID, AZURE_CLIENT_ID
//   4. managed identity, opt-in only         SKIFF_AZURE_MANAGED_IDENTITY=1;
//      IDENTITY_ENDPOINT + IDENTITY_HEADER (App Service style) when set, else
//      the instance metadata service at AZURE_POD_IDENTITY_AUTHORITY_HOST
//      (default http://169.254.169.254); AZURE_CLIENT_ID picks a
//      user-assigned identity. Opt-in so that a machine without Azure (a CI
//      runner) never sends anything to the metadata address.
//   5. the Azure CLI's login                 `az` on PATH
// Also: AZURE_AUTHORITY_HOST (default https://login.microsoftonline.com),
// SKIFF_ARM_ENDPOINT (default https://management.azure.com), SKIFF_CA_FILE
// (PEM CA bundle instead of the system store).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "skiff/status.h"

namespace skiff::compute_aks {

// Reads one environment variable; injectable for tests.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup ProcessEnv();

enum class AzureCredentialKind {
  kAccessToken,
  kServicePrincipal,
  kWorkloadIdentity,
  kManagedIdentity,
  kAzureCli,
};
// "environment service principal", "workload identity", ... (for messages).
const char* CredentialKindName(AzureCredentialKind kind);

struct AzureCredentials {
  // kServicePrincipal by default so that a struct filled by hand with a
  // tenant, client and secret keeps meaning what it did.
  AzureCredentialKind kind = AzureCredentialKind::kServicePrincipal;
  std::string access_token;  // when set, used as is whatever `kind` says
  std::string tenant_id;
  std::string client_id;      // service principal, workload identity, user-assigned MI
  std::string client_secret;  // service principal
  // Workload identity: the projected service-account token, read again on
  // every token request (the kubelet rotates it).
  std::string federated_token_file;
  // Managed identity: the token endpoint's origin (IMDS) or full URL
  // (IDENTITY_ENDPOINT); App Service style when identity_header is set.
  std::string managed_identity_endpoint;
  std::string identity_header;
  std::string az_program;  // Azure CLI: the `az` found on PATH
  std::string authority_host = "https://login.microsoftonline.com";
  std::string arm_endpoint = "https://management.azure.com";
  std::string ca_file;
  // Why each credential before the chosen one was not used (for --debug).
  std::vector<std::string> skipped;

  // The chain above. kUnauthenticated naming what to set for each
  // credential when none is configured; InvalidArgument for a refused URL.
  static StatusOr<AzureCredentials> FromEnv(const EnvLookup& env);
};

// The --debug lines: each skipped credential and why, then the one used.
void DebugCredentialChoice(const AzureCredentials& credentials);

// The ARM scope requested with client credentials, and the resource for
// managed identity and the Azure CLI (the scope without /.default).
inline constexpr const char* kArmScope = "https://management.azure.com/.default";
inline constexpr const char* kArmResource = "https://management.azure.com/";

}  // namespace skiff::compute_aks
