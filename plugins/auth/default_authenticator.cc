// SPDX-License-Identifier: Apache-2.0
#include "default_authenticator.h"

#include <chrono>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>

#include "api_key.h"
#include "auth_policy.h"
#include "jwt_signer.h"
#include "jwt_verifier.h"
#include "skiff/config/json_reader.h"

namespace skiff::auth {

namespace {

int64_t SystemNow() {
  return static_cast<int64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count());
}

constexpr int64_t kMaxLifetimeSeconds = 86400;
constexpr int64_t kMaxLeewaySeconds = 300;

}  // namespace

StatusOr<DefaultAuthenticator::Options> DefaultAuthenticator::OptionsFromJson(
    const std::string& json) {
  SKIFF_ASSIGN_OR_RETURN(
      Options options, config::ReadConfig("auth plugin options", [&] {
        const nlohmann::json document = config::ParseJsonText(json);
        config::ObjectReader r(document, config::kOptionsRoot);
        Options read;
        read.workspace = r.String("workspace").value_or(read.workspace);
        read.keys_dir = r.String("keysDir").value_or(read.keys_dir);
        const std::optional<std::string> algorithm = r.String("algorithm");
        const int64_t any = std::numeric_limits<int64_t>::min();
        // Ranges are Create()'s, which also checks options built in code.
        read.token_lifetime_seconds =
            r.Int("tokenLifetimeSeconds", any).value_or(read.token_lifetime_seconds);
        read.leeway_seconds = r.Int("leewaySeconds", any).value_or(read.leeway_seconds);
        r.RejectUnknownKeys();
        if (algorithm) {
          auto alg = ParseJwsAlg(*algorithm);
          if (!alg.ok()) config::Fail("`algorithm`: " + alg.status().message());
          read.algorithm = *alg;
        }
        return read;
      }));
  return options;
}

StatusOr<std::unique_ptr<DefaultAuthenticator>> DefaultAuthenticator::Create(Options options) {
  SKIFF_RETURN_IF_ERROR(ValidateWorkspaceName(options.workspace).WithContext("workspace"));
  if (options.keys_dir.empty()) return InvalidArgument("keysDir is required (signing keys dir)");
  if (options.token_lifetime_seconds < 1 || options.token_lifetime_seconds > kMaxLifetimeSeconds) {
    return InvalidArgument("tokenLifetimeSeconds must be within 1..86400");
  }
  if (options.leeway_seconds < 0 || options.leeway_seconds > kMaxLeewaySeconds) {
    return InvalidArgument("leewaySeconds must be within 0..300");
  }
  if (!options.now) options.now = SystemNow;
  SigningKeyStore::Options store_options;
  store_options.dir = options.keys_dir;
  store_options.algorithm = options.algorithm;
  store_options.now = options.now;
  SKIFF_ASSIGN_OR_RETURN(auto keys, SigningKeyStore::Open(std::move(store_options)));
  return std::unique_ptr<DefaultAuthenticator>(
      new DefaultAuthenticator(std::move(options), std::move(keys)));
}

DefaultAuthenticator::DefaultAuthenticator(Options options, std::unique_ptr<SigningKeyStore> keys)
    : options_(std::move(options)),
      signing_keys_(std::move(keys)),
      token_cache_(options_.token_cache_entries == 0
                       ? nullptr
                       : std::make_unique<VerifiedTokenCache>(options_.token_cache_entries)) {}

DefaultAuthenticator::~DefaultAuthenticator() = default;

StatusOr<std::string> DefaultAuthenticator::GenerateKey() {
  try {
    return GenerateApiKey();
  } catch (const std::exception& e) {
    return Internal(std::string("GenerateKey: ") + e.what());
  }
}

StatusOr<Credential> DefaultAuthenticator::Issue(const IssueRequest& request) {
  try {
    SKIFF_RETURN_IF_ERROR(ValidateServiceName(request.service));
    auto policy = services_.Get(request.service);
    if (policy == nullptr || policy->mode != AuthMode::kToken) {
      return FailedPrecondition("service '" + request.service +
                                "' is not configured for token auth; tokens are issued only for "
                                "services with tokenAuthEnabled");
    }
    const int64_t lifetime =
        request.lifetime_seconds == 0 ? options_.token_lifetime_seconds : request.lifetime_seconds;
    if (lifetime < 1 || lifetime > kMaxLifetimeSeconds) {
      return InvalidArgument("lifetime_seconds must be 0 (default) or within 1..86400");
    }
    auto keys = signing_keys_->Snapshot();
    const SigningKey* key = keys->Find(keys->active_kid);
    if (key == nullptr) return Internal("no active signing key");
    TokenClaims claims;
    claims.issuer = options_.workspace;
    claims.audience = request.service;
    claims.issued_at = options_.now();
    claims.not_before = claims.issued_at;
    claims.expires_at = claims.issued_at + lifetime;
    Credential credential;
    SKIFF_ASSIGN_OR_RETURN(credential.value, SignJwt(*key, claims));
    credential.issued_at = claims.issued_at;
    credential.expires_on = claims.expires_at;
    credential.refresh_by = claims.expires_at - lifetime / 4;
    return credential;
  } catch (const std::exception& e) {
    return Internal(std::string("Issue: ") + e.what());
  }
}

Status DefaultAuthenticator::Configure(const ServiceAuthConfig& config) {
  try {
    SKIFF_ASSIGN_OR_RETURN(ServicePolicy policy, BuildServicePolicy(config));
    services_.Put(config.service, std::move(policy));
    return OkStatus();
  } catch (const std::exception& e) {
    return Internal(std::string("Configure: ") + e.what());
  }
}

StatusOr<std::string> DefaultAuthenticator::RotateSigningKey(int64_t grace_seconds) {
  try {
    auto keys = signing_keys_->Snapshot();
    const SigningKey* active = keys->Find(keys->active_kid);
    const JwsAlg alg = active != nullptr ? active->alg() : options_.algorithm;
    return signing_keys_->RotateAndRetire(alg, grace_seconds);
  } catch (const std::exception& e) {
    return Internal(std::string("RotateSigningKey: ") + e.what());
  }
}

void DefaultAuthenticator::Unconfigure(std::string_view service) { services_.Remove(service); }

Status DefaultAuthenticator::Verify(std::string_view service,
                                    std::string_view authorization) const {
  try {
    return VerifyUnguarded(service, authorization);
  } catch (...) {
    return Unauthenticated("internal error while verifying");
  }
}

Status DefaultAuthenticator::VerifyUnguarded(std::string_view service,
                                             std::string_view authorization) const {
  const auto policy = services_.Get(service);
  if (policy == nullptr) return Unauthenticated("service is not configured for auth");
  if (policy->mode == AuthMode::kNone) return OkStatus();
  SKIFF_ASSIGN_OR_RETURN(std::string_view credential, ParseBearer(authorization));
  if (policy->mode == AuthMode::kKey) {
    if (KeyDigestStore::KeyMatches(*policy, credential)) return OkStatus();
    return Unauthenticated("key matches neither the primary nor the secondary key");
  }
  return VerifyToken(*policy, service, credential);
}

Status DefaultAuthenticator::VerifyToken(const ServicePolicy& policy, std::string_view service,
                                         std::string_view token) const {
  const auto keys = signing_keys_->Snapshot();
  JwtExpectations expect;
  expect.issuer = options_.workspace;
  expect.audience = service;
  expect.now = options_.now();
  expect.leeway_seconds = options_.leeway_seconds;
  if (token_cache_ == nullptr) {
    auto verified = VerifyJwt(token, *keys, expect);
    return verified.ok() ? OkStatus() : verified.status();
  }
  // The snapshot and the policy are the ones this check runs against, so an
  // entry stamped with their generations is one this very check accepted;
  // a rotation or Configure() meanwhile gives newer generations, which it
  // never matches. The service is covered by the policy's generation.
  const Sha256Digest digest = Sha256(token);
  TokenCheckContext context;
  context.keys_generation = keys->generation;
  context.policy_generation = policy.generation;
  context.now = expect.now;
  context.leeway_seconds = expect.leeway_seconds;
  if (token_cache_->Accepts(digest, context)) return OkStatus();
  auto verified = VerifyJwt(token, *keys, expect);
  if (!verified.ok()) return verified.status();
  CachedToken entry;
  entry.keys_generation = keys->generation;
  entry.policy_generation = policy.generation;
  if (auto it = keys->verify_until.find(verified->kid); it != keys->verify_until.end()) {
    entry.key_verify_until = it->second;
  }
  entry.issued_at = verified->issued_at;
  entry.not_before = verified->not_before;
  entry.expires_at = verified->expires_at;
  token_cache_->Insert(digest, entry);
  return OkStatus();
}

}  // namespace skiff::auth
