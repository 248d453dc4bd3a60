// SPDX-License-Identifier: Apache-2.0
// libskiff_auth_default.so: the C entry point for DefaultAuthenticator.
// create() options: see DefaultAuthenticator::OptionsFromJson().
#include <memory>
#include <string>

#include "default_authenticator.h"
#include "skiff/plugin_export.h"

namespace {

skiff::StatusOr<std::unique_ptr<skiff::Authenticator>> MakeDefaultAuthenticator(
    const std::string& options_json) {
  SKIFF_ASSIGN_OR_RETURN(auto options,
                         skiff::auth::DefaultAuthenticator::OptionsFromJson(options_json));
  SKIFF_ASSIGN_OR_RETURN(auto made, skiff::auth::DefaultAuthenticator::Create(std::move(options)));
  return std::unique_ptr<skiff::Authenticator>(std::move(made));
}

}  // namespace

SKIFF_DEFINE_PLUGIN(skiff::Authenticator, "default", "0.1.0",
                    "API keys (primary/secondary) and JWT tokens (HS256/RS256/ES256)",
                    MakeDefaultAuthenticator)
