// SPDX-License-Identifier: Apache-2.0
#include "skiff/oci/registry_auth.h"

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "skiff/util/base64.h"
#include "skiff/util/file.h"
#include "skiff/util/url.h"

namespace skiff::oci {
namespace {

using nlohmann::json;

std::string Form(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [k, v] : fields) {
    if (!out.empty()) out += "&";
    out += k + "=" + FormEncode(v);
  }
  return out;
}

// The string field `key` of a token service's JSON answer, "" when absent.
std::string JsonString(const std::string& body, const char* key) {
  const json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains(key) || !j[key].is_string()) return "";
  return j[key].get<std::string>();
}

std::string Origin(const std::string& url) {
  auto parsed = ParseUrl(url);
  return parsed.ok() ? parsed->Origin() : "";
}

}  // namespace

std::string DefaultDockerConfigPath() {
  if (const char* dir = std::getenv("DOCKER_CONFIG"); dir != nullptr && *dir != '\0') {
    return std::string(dir) + "/config.json";
  }
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : "") + "/.docker/config.json";
}

StatusOr<RegistryCredentials> CredentialsFromDockerConfig(const std::string& path,
                                                          const std::string& registry,
                                                          bool path_was_given) {
  RegistryCredentials creds;
  // The file holds passwords: read it only if others cannot write it.
  PrivateReadOptions read;
  read.owner_only = false;
  auto text = ReadPrivateFile(path, read);
  if (!text.ok()) {
    if (text.status().code() == StatusCode::kNotFound && !path_was_given) return creds;
    return text.status().WithContext("docker config");
  }
  const json config = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!config.is_object()) {
    return InvalidArgument("docker config '" + path + "' is not a JSON object");
  }
  if (!config.contains("auths")) return creds;
  if (!config["auths"].is_object()) {
    return InvalidArgument("docker config '" + path + "': `auths` must be an object");
  }
  const json* entry = nullptr;
  for (const auto& [key, value] : config["auths"].items()) {
    std::string host = key;
    for (const char* scheme : {"https://", "http://"}) {
      if (host.rfind(scheme, 0) == 0) host = host.substr(std::string(scheme).size());
    }
    host = host.substr(0, host.find('/'));
    if (host == registry) entry = &value;
  }
  if (entry == nullptr) return creds;
  const std::string where = "docker config '" + path + "' auths[\"" + registry + "\"]";
  if (!entry->is_object()) return InvalidArgument(where + " must be an object");
  auto str = [&](const char* key) {
    return entry->contains(key) && (*entry)[key].is_string() ? (*entry)[key].get<std::string>()
                                                             : std::string();
  };
  creds.identity_token = str("identitytoken");
  creds.username = str("username");
  creds.password = str("password");
  if (const std::string auth = str("auth"); !auth.empty()) {
    auto decoded = Base64Decode(auth, Base64Alphabet::kStandard);
    const size_t colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos) {
      return InvalidArgument(where + ".auth must be base64 of \"user:password\"; run " +
                             "`docker login " + registry + "` again or fix the file");
    }
    creds.username = decoded->substr(0, colon);
    creds.password = decoded->substr(colon + 1);
  }
  return creds;
}

StatusOr<AuthChallenge> ParseAuthChallenge(const std::string& header) {
  AuthChallenge c;
  size_t i = header.find(' ');
  c.scheme = header.substr(0, i);
  if (c.scheme.empty()) return InvalidArgument("empty WWW-Authenticate header");
  while (i != std::string::npos && i < header.size()) {
    while (i < header.size() && (header[i] == ' ' || header[i] == ',')) ++i;
    const size_t eq = header.find('=', i);
    if (eq == std::string::npos) break;
    const std::string key = header.substr(i, eq - i);
    std::string value;
    i = eq + 1;
    if (i < header.size() && header[i] == '"') {
      for (++i; i < header.size() && header[i] != '"'; ++i) {
        if (header[i] == '\\' && i + 1 < header.size()) ++i;
        value += header[i];
      }
      ++i;  // the closing quote
    } else {
      const size_t end = header.find(',', i);
      value = header.substr(i, end == std::string::npos ? std::string::npos : end - i);
      i = end;
    }
    c.params[key] = value;
  }
  return c;
}

Status RegistryAuthenticator::OnChallenge(const std::string& www_authenticate) {
  SKIFF_ASSIGN_OR_RETURN(AuthChallenge challenge, ParseAuthChallenge(www_authenticate));
  std::string scheme = challenge.scheme;
  for (auto& ch : scheme) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (scheme == "basic") {
    if (credentials_.username.empty()) {
      return Unauthenticated(
          "the registry asks for a user name and password: `docker login` (or write the "
          "registry's `auths` entry in a docker config.json and pass --docker-config)");
    }
    const std::string basic =
        "Basic " + Base64Encode(credentials_.username + ":" + credentials_.password,
                                Base64Alphabet::kStandard);
    if (header_ == basic) {
      return Unauthenticated("the registry refused the user name and password for '" +
                             credentials_.username + "'; check the docker config's auths entry");
    }
    header_ = basic;
    return OkStatus();
  }
  if (scheme == "bearer") return Bearer(challenge);
  return Unauthenticated("the registry asks for '" + challenge.scheme +
                         "' authentication, which skiff does not speak (Basic or Bearer)");
}

StatusOr<std::string> RegistryAuthenticator::ExchangeAadToken(const std::string& realm,
                                                              const std::string& service) {
  SKIFF_ASSIGN_OR_RETURN(std::string aad, credentials_.aad_access_token());
  ++exchanges_;
  net::HttpRequest req{"POST",
                       Origin(realm) + "/oauth2/exchange",
                       {{"Content-Type", "application/x-www-form-urlencoded"}},
                       Form({{"grant_type", "access_token"},
                             {"service", service},
                             {"tenant", credentials_.tenant},
                             {"access_token", aad}})};
  SKIFF_ASSIGN_OR_RETURN(net::HttpResponse res, client_->Send(req));
  const std::string refresh = res.status == 200 ? JsonString(res.body, "refresh_token") : "";
  if (refresh.empty()) {
    return Unauthenticated("the registry's /oauth2/exchange refused the Azure AD token (HTTP " +
                           std::to_string(res.status) +
                           "); the service principal needs the AcrPush role on the registry");
  }
  return refresh;
}

Status RegistryAuthenticator::Bearer(const AuthChallenge& challenge) {
  auto param = [&](const char* key) {
    auto it = challenge.params.find(key);
    return it == challenge.params.end() ? std::string() : it->second;
  };
  const std::string realm = param("realm");
  const std::string service = param("service");
  const std::string scope = param("scope");
  if (realm.empty()) return Unauthenticated("the registry's Bearer challenge names no realm");
  if (refresh_token_.empty()) {
    if (!credentials_.identity_token.empty()) {
      refresh_token_ = credentials_.identity_token;
    } else if (credentials_.aad_access_token) {
      SKIFF_ASSIGN_OR_RETURN(refresh_token_, ExchangeAadToken(realm, service));
    }
  }
  net::HttpRequest req;
  if (!refresh_token_.empty()) {
    // The OAuth2 form docker uses with a refresh token.
    req = {"POST",
           realm,
           {{"Content-Type", "application/x-www-form-urlencoded"}},
           Form({{"grant_type", "refresh_token"},
                 {"service", service},
                 {"scope", scope},
                 {"refresh_token", refresh_token_},
                 {"client_id", "skiff"}})};
  } else {
    std::string url = realm + (realm.find('?') == std::string::npos ? "?" : "&") +
                      "service=" + FormEncode(service);
    if (!scope.empty()) url += "&scope=" + FormEncode(scope);
    req = {"GET", url, {}, ""};
    if (!credentials_.username.empty()) {
      req.headers.push_back({"Authorization", "Basic " + Base64Encode(credentials_.username + ":" +
                                                                          credentials_.password,
                                                                      Base64Alphabet::kStandard)});
    }
  }
  ++token_requests_;
  SKIFF_ASSIGN_OR_RETURN(net::HttpResponse res, client_->Send(req));
  std::string token;
  if (res.status == 200) {
    token = JsonString(res.body, "access_token");
    if (token.empty()) token = JsonString(res.body, "token");
  }
  if (token.empty()) {
    return Unauthenticated("the registry's token service " + Origin(realm) + " gave no token " +
                           "for scope '" + scope + "' (HTTP " + std::to_string(res.status) +
                           "); check the credentials in the docker config (or the service "
                           "principal's role on the registry)");
  }
  const std::string bearer = "Bearer " + token;
  if (bearer == header_) {
    return Unauthenticated(
        "the registry refused the token its own token service issued for "
        "scope '" +
        scope + "'; the account lacks push rights there");
  }
  header_ = bearer;
  return OkStatus();
}

}  // namespace skiff::oci
