// SPDX-License-Identifier: Apache-2.0
#include "arm/azure_cli_credential.h"

#include <ctime>
#include <nlohmann/json.hpp>

#include "skiff/util/debug_log.h"
#include "skiff/util/program.h"

namespace skiff::compute_aks {

StatusOr<AccessToken> ParseAzureCliToken(const std::string& text,
                                         std::chrono::system_clock::time_point now) {
  auto body = nlohmann::json::parse(text, nullptr, false);
  if (!body.is_object() || !body.contains("accessToken") || !body["accessToken"].is_string() ||
      body["accessToken"].get<std::string>().empty()) {
    return Unauthenticated(
        "`az account get-access-token` printed no accessToken; update the Azure CLI");
  }
  AccessToken out{body["accessToken"].get<std::string>(), now + std::chrono::minutes(5)};
  if (body.contains("expires_on") && body["expires_on"].is_number_integer()) {
    out.expires_at = std::chrono::system_clock::time_point(
        std::chrono::seconds(body["expires_on"].get<int64_t>()));
  } else if (body.contains("expiresOn") && body["expiresOn"].is_string()) {
    // "2026-12-06 18:33:38.000000", in the machine's local time zone.
    std::tm tm{};
    const std::string value = body["expiresOn"].get<std::string>();
    if (::strptime(value.c_str(), "%Y-%m-%d %H:%M:%S", &tm) != nullptr) {
      tm.tm_isdst = -1;
      const std::time_t t = std::mktime(&tm);
      if (t != static_cast<std::time_t>(-1))
        out.expires_at = std::chrono::system_clock::from_time_t(t);
    }
  }
  return out;
}

StatusOr<AccessToken> FetchAzureCliToken(const std::string& az_program, const std::string& resource,
                                         std::chrono::system_clock::time_point now) {
  ProgramRun run;
  run.argv = {az_program, "account", "get-access-token", "--resource", resource,
              "--output", "json"};
  // az is a Python program: a cold start takes seconds.
  run.timeout = std::chrono::seconds(30);
  DebugLog("running " + az_program + " account get-access-token --resource " + resource);
  SKIFF_ASSIGN_OR_RETURN(ProgramOutput result, RunProgram(run));
  if (result.exit_code != 0) {
    const std::string why = FirstLine(result.err);
    const bool login = why.find("az login") != std::string::npos;
    return Unauthenticated("Azure CLI: `az account get-access-token` failed (exit " +
                           std::to_string(result.exit_code) + ")" +
                           (why.empty() ? "" : ": " + why) +
                           (login ? "" : "; run `az login`, or set another credential"));
  }
  return ParseAzureCliToken(result.out, now);
}

}  // namespace skiff::compute_aks
