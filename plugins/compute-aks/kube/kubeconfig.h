// SPDX-License-Identifier: Apache-2.0
// Kubeconfig: the parts of a kubeconfig file (clientcmd v1) skiff needs to
// reach one cluster: the context's cluster server, how to trust it and how
// to authenticate: a client certificate, a bearer token, or an `exec`
// credential plugin (client.authentication.k8s.io/v1 or v1beta1, e.g.
// kubelogin for Azure AD-enabled AKS; run by exec_credential.h).
// auth-provider and basic auth are not supported.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "skiff/status.h"

namespace skiff::compute_aks::kube {

// users[].user.exec: how to run the credential plugin.
struct ExecConfig {
  std::string api_version;  // client.authentication.k8s.io/v1 or /v1beta1
  // As written; a relative path containing '/' is resolved against the
  // kubeconfig's folder (as client-go does), a bare name on PATH.
  std::string command;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  // Never or IfAvailable (skiff has no terminal: both run non-interactively);
  // Always is refused when parsing. v1beta1 defaults to IfAvailable.
  std::string interactive_mode;
  // KUBERNETES_EXEC_INFO carries the cluster (server, CA) when set.
  bool provide_cluster_info = false;
  std::string install_hint;  // shown when the command cannot be run
};

struct Kubeconfig {
  std::string context;          // the context used
  std::string server;           // https://host:port (http:// only to loopback)
  std::string namespace_;       // the context's namespace, "" when unset
  std::string ca_pem;           // certificate-authority(-data); "" = system store
  std::string client_cert_pem;  // client-certificate(-data), with client_key_pem
  std::string client_key_pem;
  std::string token;                      // bearer token (token or tokenFile)
  bool insecure_skip_tls_verify = false;  // only when allowed (see below)
  // The credential plugin, when the user has `exec` (then neither token
  // nor client certificate is set here: the plugin supplies them).
  std::optional<ExecConfig> exec;
};

struct KubeconfigOptions {
  std::string context;  // "" = current-context
  // insecure-skip-tls-verify: true is refused unless this is set.
  bool allow_insecure_skip_tls_verify = false;
  // Relative certificate-authority / client-certificate / client-key /
  // tokenFile paths are resolved against this (the kubeconfig's folder).
  std::string base_dir;
};

// Parses kubeconfig YAML. InvalidArgument naming the field (for example
// "users[name=u].user.client-key-data") and what to do on any problem;
// `origin` (the file name) prefixes messages. Threading: pure.
StatusOr<Kubeconfig> ParseKubeconfig(const std::string& yaml, const KubeconfigOptions& options,
                                     const std::string& origin = "kubeconfig");

// Reads and parses a kubeconfig file; base_dir defaults to its folder.
StatusOr<Kubeconfig> LoadKubeconfig(const std::string& path, KubeconfigOptions options);

}  // namespace skiff::compute_aks::kube
