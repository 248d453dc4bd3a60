// SPDX-License-Identifier: Apache-2.0
// ServiceSpecs shaped as sdk BuildServiceSpec makes them, for the renderer's
// tests and the schema validation (validate_k8s.mjs).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "k8s/render.h"

namespace skiff::compute_aks::k8s::testing {

// Raw keys the key-auth samples set in their deployment config; they must
// never appear in rendered output.
inline constexpr const char* kPrimaryKey = "PRIMARYrawKEYvalue-0123456789abcdefXYZ";
inline constexpr const char* kSecondaryKey = "SECONDARYrawKEYvalue-0123456789abcdefXYZ";
inline constexpr const char* kHmacSecret = "c2lnbmluZy1zZWNyZXQtZm9yLXRlc3RzLW9ubHktMzJieXRlcw";

struct SampleVersion {
  std::string name = "v1";
  int traffic = 100;
  bool is_default = true;
  bool is_control = false;
  std::string accelerator = "torch";
};

// A spec for `service` with `deployment_config` (JSON text) and `versions`.
// Key mode configs get digests of kPrimaryKey/kSecondaryKey.
// `own_configs`: a version's own deploymentConfig in server.json (endpoint
// create-version --dc), JSON text by version name; others run the service's.
ServiceSpec MakeSpec(const std::string& service, const std::string& deployment_config,
                     const std::vector<SampleVersion>& versions = {SampleVersion{}},
                     const std::map<std::string, std::string>& own_configs = {});

// The token-mode key files (one HS256 key and `active`).
std::map<std::string, std::string> SampleSigningKeyFiles();

struct NamedInput {
  std::string name;
  RenderInput input;
  // Non-empty: a docker config.json rendered as the pods' imagePullSecret,
  // as target_render does for a non-ACR `registry` (registry_pull_secret.h).
  std::string pull_secret;
};

// The variants the schema validation renders: key auth, token auth, gpu,
// fpga, autoscale, fixed replicas, a 90/10 endpoint, an endpoint whose
// versions have their own sizes, internal LB, DevTest.
std::vector<NamedInput> SampleInputs();

// The TLS front door (a target with sslCname and a certificate), apart from
// SampleInputs so the counts the other tests keep stay as they are.
std::vector<NamedInput> TlsSampleInputs();

// An endpoint of two versions with the deployment config's `grpc` on (as
// BuildServiceSpec makes it: server.json has a `grpc` block), also apart.
std::vector<NamedInput> GrpcSampleInputs();

}  // namespace skiff::compute_aks::k8s::testing
