// SPDX-License-Identifier: Apache-2.0
#include "arm/credentials.h"

#include <unistd.h>

#include <cstdlib>
#include <sstream>

#include "skiff/util/debug_log.h"
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

// The variables of `names` that are empty, as "A and B".
std::string Missing(const EnvLookup& env, std::initializer_list<const char*> names) {
  std::string out;
  for (const char* name : names) {
    if (!Get(env, name).empty()) continue;
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

// The first executable `name` on the PATH of `env`; "" when none.
std::string FindOnPath(const EnvLookup& env, const std::string& name) {
  std::istringstream dirs(Get(env, "PATH"));
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;  // the current directory is never searched
    const std::string candidate = dir + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

bool OptedIn(const std::string& value) { return value == "1" || value == "true"; }

// The metadata endpoint: http://169.254.169.254 itself, or a stand-in the
// transport rule allows (https, or http to loopback).
Status CheckMetadataEndpoint(const std::string& endpoint, const char* variable) {
  SKIFF_ASSIGN_OR_RETURN(Url url, ParseUrl(endpoint));
  if (url.scheme == "http" && url.host == "169.254.169.254") return OkStatus();
  return CheckTransportAllowed(url, variable);
}

}  // namespace

const char* CredentialKindName(AzureCredentialKind kind) {
  switch (kind) {
    case AzureCredentialKind::kAccessToken:
      return "AZURE_ACCESS_TOKEN";
    case AzureCredentialKind::kServicePrincipal:
      return "environment service principal";
    case AzureCredentialKind::kWorkloadIdentity:
      return "workload identity";
    case AzureCredentialKind::kManagedIdentity:
      return "managed identity";
    case AzureCredentialKind::kAzureCli:
      return "Azure CLI";
  }
  return "?";
}

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

  if (!c.access_token.empty()) {
    c.kind = AzureCredentialKind::kAccessToken;
    return c;
  }
  c.skipped.push_back("AZURE_ACCESS_TOKEN: not set");

  const auto check_authority = [&c]() -> Status {
    SKIFF_ASSIGN_OR_RETURN(Url authority, ParseUrl(c.authority_host));
    return CheckTransportAllowed(authority, "AZURE_AUTHORITY_HOST");
  };
  std::string missing = Missing(env, {"AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"});
  if (missing.empty()) {
    c.kind = AzureCredentialKind::kServicePrincipal;
    SKIFF_RETURN_IF_ERROR(check_authority());
    return c;
  }
  c.skipped.push_back("environment service principal: " + missing + " not set");

  missing = Missing(env, {"AZURE_FEDERATED_TOKEN_FILE", "AZURE_TENANT_ID", "AZURE_CLIENT_ID"});
  if (missing.empty()) {
    c.kind = AzureCredentialKind::kWorkloadIdentity;
    c.federated_token_file = Get(env, "AZURE_FEDERATED_TOKEN_FILE");
    SKIFF_RETURN_IF_ERROR(check_authority());
    return c;
  }
  c.skipped.push_back("workload identity: " + missing + " not set");

  if (OptedIn(Get(env, "SKIFF_AZURE_MANAGED_IDENTITY"))) {
    c.kind = AzureCredentialKind::kManagedIdentity;
    const std::string identity_endpoint = Get(env, "IDENTITY_ENDPOINT");
    const std::string identity_header = Get(env, "IDENTITY_HEADER");
    if (!identity_endpoint.empty() && !identity_header.empty()) {
      SKIFF_RETURN_IF_ERROR(CheckMetadataEndpoint(identity_endpoint, "IDENTITY_ENDPOINT"));
      c.managed_identity_endpoint = identity_endpoint;
      c.identity_header = identity_header;
    } else {
      c.managed_identity_endpoint = TrimSlash(Get(env, "AZURE_POD_IDENTITY_AUTHORITY_HOST"));
      if (c.managed_identity_endpoint.empty()) {
        c.managed_identity_endpoint = "http://169.254.169.254";
      }
      SKIFF_RETURN_IF_ERROR(
          CheckMetadataEndpoint(c.managed_identity_endpoint, "AZURE_POD_IDENTITY_AUTHORITY_HOST"));
    }
    return c;
  }
  c.skipped.push_back(
      "managed identity: SKIFF_AZURE_MANAGED_IDENTITY is not 1 (skiff asks the instance "
      "metadata service only when told to)");

  c.az_program = FindOnPath(env, "az");
  if (!c.az_program.empty()) {
    c.kind = AzureCredentialKind::kAzureCli;
    return c;
  }
  c.skipped.push_back("Azure CLI: az is not on PATH");

  std::string reasons;
  for (const auto& s : c.skipped) reasons += "; " + s;
  return Unauthenticated(
      "no Azure credentials: set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (a "
      "service principal), or AZURE_FEDERATED_TOKEN_FILE with AZURE_TENANT_ID and "
      "AZURE_CLIENT_ID (workload identity), or SKIFF_AZURE_MANAGED_IDENTITY=1 (managed "
      "identity), or run `az login`, or set AZURE_ACCESS_TOKEN (a bearer token for "
      "https://management.azure.com)" +
      reasons);
}

void DebugCredentialChoice(const AzureCredentials& c) {
  if (!DebugEnabled()) return;
  for (const auto& s : c.skipped) DebugLog("Azure credential skipped: " + s);
  std::string how;
  switch (c.kind) {
    case AzureCredentialKind::kAccessToken:
      how = "the bearer token in AZURE_ACCESS_TOKEN";
      break;
    case AzureCredentialKind::kServicePrincipal:
      how = "client " + c.client_id + " of tenant " + c.tenant_id + " at " + c.authority_host;
      break;
    case AzureCredentialKind::kWorkloadIdentity:
      how = "client " + c.client_id + " of tenant " + c.tenant_id + ", assertion from " +
            c.federated_token_file;
      break;
    case AzureCredentialKind::kManagedIdentity:
      how = (c.identity_header.empty() ? "instance metadata service at " : "IDENTITY_ENDPOINT ") +
            c.managed_identity_endpoint +
            (c.client_id.empty() ? "" : ", user-assigned client " + c.client_id);
      break;
    case AzureCredentialKind::kAzureCli:
      how = c.az_program + " account get-access-token";
      break;
  }
  DebugLog(std::string("Azure credential used: ") + CredentialKindName(c.kind) + " (" + how + ")");
}

}  // namespace skiff::compute_aks
