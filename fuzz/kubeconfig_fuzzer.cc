// SPDX-License-Identifier: Apache-2.0
// Kubeconfig YAML (skiff::compute_aks::kube::ParseKubeconfig): never crashes
// or throws; a config that parses has a server URL and credentials (a token,
// a client certificate, or an exec plugin alone, never Always interactive),
// and insecure-skip-tls-verify only when allowed.
#include <cstddef>
#include <cstdint>
#include <string>

#include "kube/kubeconfig.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  using skiff::compute_aks::kube::KubeconfigOptions;
  KubeconfigOptions strict;
  strict.base_dir = "/nonexistent-skiff-fuzz";  // file references fail, never read real files
  auto parsed = skiff::compute_aks::kube::ParseKubeconfig(text, strict);
  if (parsed.ok()) {
    if (parsed->server.empty() || parsed->insecure_skip_tls_verify) __builtin_trap();
    const auto& exec = parsed->exec;
    if (parsed->token.empty() && parsed->client_cert_pem.empty() && !exec) __builtin_trap();
    if (exec && (!parsed->token.empty() || !parsed->client_cert_pem.empty() ||
                 exec->command.empty() || exec->interactive_mode == "Always")) {
      __builtin_trap();
    }
  }
  KubeconfigOptions lenient = strict;
  lenient.allow_insecure_skip_tls_verify = true;
  lenient.context = "other";
  (void)skiff::compute_aks::kube::ParseKubeconfig(text, lenient);
  return 0;
}
