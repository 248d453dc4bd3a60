// Azure credentials, from the Azure SDKs' environment conventions:
//   AZURE_ACCESS_TOKEN                       a ready bearer token (used as is), or
//   AZURE_TENANT_ID, AZURE_CLIENT_ID,
//   AZURE_CLIENT_SECRET                      a service principal (client credentials),
//   AZURE_AUTHORITY_HOST                     default https://login.microsoftonline.com
//   SKIFF_ARM_ENDPOINT                       default https://management.azure.com
//   SKIFF_CA_FILE                            PEM CA bundle instead of the system store
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "skiff/status.h"

namespace skiff::compute_aks {

// Reads one environment variable; injectable for tests.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup ProcessEnv();

struct AzureCredentials {
  std::string access_token;  // when set, the service principal is not used
  std::string tenant_id;
  std::string client_id;
  std::string client_secret;
  std::string authority_host = "https://login.microsoftonline.com";
  std::string arm_endpoint = "https://management.azure.com";
  std::string ca_file;

  // kUnauthenticated naming the variables to set when neither a token nor a
  // complete service principal is given; InvalidArgument for a refused URL.
  static StatusOr<AzureCredentials> FromEnv(const EnvLookup& env);
};

// The ARM scope requested with client credentials.
inline constexpr const char* kArmScope = "https://management.azure.com/.default";

}  // namespace skiff::compute_aks
