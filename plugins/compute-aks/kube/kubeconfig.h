// Kubeconfig: the parts of a kubeconfig file (clientcmd v1) skiff needs to
// reach one cluster: the context's cluster server, how to trust it and how
// to authenticate. Exec/auth-provider plugins are not supported (the AKS
// cluster-user kubeconfig of a local-accounts cluster does not use them).
#pragma once

#include <string>

#include "skiff/status.h"

namespace skiff::compute_aks::kube {

struct Kubeconfig {
  std::string context;          // the context used
  std::string server;           // https://host:port (http:// only to loopback)
  std::string namespace_;       // the context's namespace, "" when unset
  std::string ca_pem;           // certificate-authority(-data); "" = system store
  std::string client_cert_pem;  // client-certificate(-data), with client_key_pem
  std::string client_key_pem;
  std::string token;                      // bearer token (token or tokenFile)
  bool insecure_skip_tls_verify = false;  // only when allowed (see below)
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
