#include "arm/credentials.h"

#include <cstdlib>

#include "skiff/util/url.h"

namespace skiff::compute_aks {
namespace {

std::string Get(const EnvLookup& env, const char* name) {
  auto v = env(name);
  return v ? *v : "";
}

std::string TrimSlash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

}  // namespace

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr || *v == '\0') return std::nullopt;
    return std::string(v);
  };
}

StatusOr<AzureCredentials> AzureCredentials::FromEnv(const EnvLookup& env) {
  AzureCredentials c;
  c.access_token = Get(env, "AZURE_ACCESS_TOKEN");
  c.tenant_id = Get(env, "AZURE_TENANT_ID");
  c.client_id = Get(env, "AZURE_CLIENT_ID");
  c.client_secret = Get(env, "AZURE_CLIENT_SECRET");
  c.ca_file = Get(env, "SKIFF_CA_FILE");
  if (auto v = env("AZURE_AUTHORITY_HOST")) c.authority_host = *v;
  if (auto v = env("SKIFF_ARM_ENDPOINT")) c.arm_endpoint = *v;
  c.authority_host = TrimSlash(c.authority_host);
  c.arm_endpoint = TrimSlash(c.arm_endpoint);
  SKIFF_ASSIGN_OR_RETURN(Url arm, ParseUrl(c.arm_endpoint));
  SKIFF_RETURN_IF_ERROR(CheckTransportAllowed(arm, "SKIFF_ARM_ENDPOINT"));
  if (!c.access_token.empty()) return c;
  if (c.tenant_id.empty() || c.client_id.empty() || c.client_secret.empty()) {
    return Unauthenticated(
        "no Azure credentials: set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (a "
        "service principal), or AZURE_ACCESS_TOKEN (a bearer token for "
        "https://management.azure.com)");
  }
  SKIFF_ASSIGN_OR_RETURN(Url authority, ParseUrl(c.authority_host));
  SKIFF_RETURN_IF_ERROR(CheckTransportAllowed(authority, "AZURE_AUTHORITY_HOST"));
  return c;
}

}  // namespace skiff::compute_aks
