// SPDX-License-Identifier: Apache-2.0
#include "kubeconfig.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "skiff/util/base64.h"
#include "skiff/util/file.h"
#include "skiff/util/url.h"

namespace skiff::compute_aks::kube {
namespace {

// Errors carry the origin and the field path; callers return them as is.
struct Ctx {
  const std::string& origin;
  Status Bad(const std::string& field, const std::string& what) const {
    return InvalidArgument(origin + ": " + field + ": " + what);
  }
};

StatusOr<std::string> Scalar(const Ctx& ctx, const YAML::Node& node, const std::string& field,
                             bool required) {
  if (!node || node.IsNull()) {
    if (required) return ctx.Bad(field, "is required");
    return std::string();
  }
  if (!node.IsScalar()) return ctx.Bad(field, "must be a string");
  return node.Scalar();
}

// Finds the entry of `list` (clusters/users/contexts) named `name`; its
// `inner` map (cluster/user/context).
StatusOr<YAML::Node> Named(const Ctx& ctx, const YAML::Node& root, const std::string& list,
                           const std::string& inner, const std::string& name) {
  const YAML::Node seq = root[list];
  if (!seq || seq.IsNull()) return ctx.Bad(list, "is missing (no entry named '" + name + "')");
  if (!seq.IsSequence()) return ctx.Bad(list, "must be a list");
  for (size_t i = 0; i < seq.size(); ++i) {
    const YAML::Node entry = seq[i];
    const std::string where = list + "[" + std::to_string(i) + "]";
    if (!entry.IsMap()) return ctx.Bad(where, "must be a map with name and " + inner);
    SKIFF_ASSIGN_OR_RETURN(std::string entry_name,
                           Scalar(ctx, entry["name"], where + ".name", true));
    if (entry_name != name) continue;
    const YAML::Node value = entry[inner];
    if (!value || !value.IsMap()) {
      return ctx.Bad(list + "[name=" + name + "]." + inner, "must be a map");
    }
    return value;
  }
  return ctx.Bad(list, "has no entry named '" + name + "'");
}

StatusOr<std::string> ReadFile(const Ctx& ctx, const std::string& field, const std::string& path,
                               const std::string& base_dir) {
  std::filesystem::path p(path);
  if (p.is_relative() && !base_dir.empty()) p = std::filesystem::path(base_dir) / p;
  auto text = ::skiff::ReadFile(p.string());
  if (!text.ok()) return ctx.Bad(field, "cannot read file " + p.string());
  return text;
}

// `<name>-data` (base64) or `<name>` (a file): the PEM text, "" when neither.
StatusOr<std::string> Pem(const Ctx& ctx, const YAML::Node& map, const std::string& prefix,
                          const std::string& name, const std::string& base_dir) {
  SKIFF_ASSIGN_OR_RETURN(std::string data,
                         Scalar(ctx, map[name + "-data"], prefix + name + "-data", false));
  SKIFF_ASSIGN_OR_RETURN(std::string file, Scalar(ctx, map[name], prefix + name, false));
  std::string pem;
  if (!data.empty()) {
    auto decoded =
        Base64Decode(data, Base64Alphabet::kStandard, Base64Whitespace::kSkipAsciiWhitespace);
    if (!decoded) {
      return ctx.Bad(prefix + name + "-data",
                     "is not valid base64 (not canonical padded base64, RFC 4648 section 4)");
    }
    pem = std::move(*decoded);
  } else if (!file.empty()) {
    SKIFF_ASSIGN_OR_RETURN(pem, ReadFile(ctx, prefix + name, file, base_dir));
  } else {
    return std::string();
  }
  const std::string field = prefix + name + (data.empty() ? "" : "-data");
  if (pem.find("-----BEGIN ") == std::string::npos) {
    return ctx.Bad(field, "does not hold PEM data (no -----BEGIN line)");
  }
  return pem;
}

// users[].user.exec (client-go's ExecConfig).
StatusOr<ExecConfig> ParseExec(const Ctx& ctx, const YAML::Node& node, const std::string& p) {
  if (!node.IsMap()) return ctx.Bad(p.substr(0, p.size() - 1), "must be a map");
  ExecConfig exec;
  SKIFF_ASSIGN_OR_RETURN(exec.api_version, Scalar(ctx, node["apiVersion"], p + "apiVersion", true));
  const bool v1 = exec.api_version == "client.authentication.k8s.io/v1";
  if (!v1 && exec.api_version != "client.authentication.k8s.io/v1beta1") {
    return ctx.Bad(p + "apiVersion",
                   "'" + exec.api_version +
                       "' is not supported: use client.authentication.k8s.io/v1 (or v1beta1)");
  }
  SKIFF_ASSIGN_OR_RETURN(exec.command, Scalar(ctx, node["command"], p + "command", true));
  if (const YAML::Node args = node["args"]; args && !args.IsNull()) {
    if (!args.IsSequence()) return ctx.Bad(p + "args", "must be a list of strings");
    for (size_t i = 0; i < args.size(); ++i) {
      SKIFF_ASSIGN_OR_RETURN(std::string arg, Scalar(ctx, args[i], p + "args[" + std::to_string(i) + "]", true));
      exec.args.push_back(std::move(arg));
    }
  }
  if (const YAML::Node env = node["env"]; env && !env.IsNull()) {
    if (!env.IsSequence()) return ctx.Bad(p + "env", "must be a list of {name, value}");
    for (size_t i = 0; i < env.size(); ++i) {
      const std::string where = p + "env[" + std::to_string(i) + "]";
      if (!env[i].IsMap()) return ctx.Bad(where, "must be a map with name and value");
      SKIFF_ASSIGN_OR_RETURN(std::string name, Scalar(ctx, env[i]["name"], where + ".name", true));
      SKIFF_ASSIGN_OR_RETURN(std::string value, Scalar(ctx, env[i]["value"], where + ".value", false));
      exec.env.emplace_back(std::move(name), std::move(value));
    }
  }
  SKIFF_ASSIGN_OR_RETURN(exec.interactive_mode,
                         Scalar(ctx, node["interactiveMode"], p + "interactiveMode", v1));
  if (exec.interactive_mode.empty()) exec.interactive_mode = "IfAvailable";
  if (exec.interactive_mode == "Always") {
    return ctx.Bad(p + "interactiveMode",
                   "is Always, but skiff runs the plugin without a terminal; use a "
                   "non-interactive login (e.g. kubelogin convert-kubeconfig -l azurecli or -l "
                   "workloadidentity) and interactiveMode: Never");
  }
  if (exec.interactive_mode != "Never" && exec.interactive_mode != "IfAvailable") {
    return ctx.Bad(p + "interactiveMode", "must be Never, IfAvailable or Always");
  }
  SKIFF_ASSIGN_OR_RETURN(std::string provide,
                         Scalar(ctx, node["provideClusterInfo"], p + "provideClusterInfo", false));
  if (provide != "" && provide != "true" && provide != "false") {
    return ctx.Bad(p + "provideClusterInfo", "must be true or false");
  }
  exec.provide_cluster_info = provide == "true";
  SKIFF_ASSIGN_OR_RETURN(exec.install_hint,
                         Scalar(ctx, node["installHint"], p + "installHint", false));
  return exec;
}

StatusOr<Kubeconfig> ParseNode(const YAML::Node& root, const KubeconfigOptions& options,
                               const Ctx& ctx) {
  if (!root.IsMap())
    return ctx.Bad("(document)", "must be a YAML map (apiVersion: v1, kind: Config)");
  SKIFF_ASSIGN_OR_RETURN(std::string kind, Scalar(ctx, root["kind"], "kind", false));
  if (!kind.empty() && kind != "Config") return ctx.Bad("kind", "must be Config, not " + kind);
  Kubeconfig out;
  out.context = options.context;
  if (out.context.empty()) {
    SKIFF_ASSIGN_OR_RETURN(out.context,
                           Scalar(ctx, root["current-context"], "current-context", false));
    if (out.context.empty()) {
      return ctx.Bad("current-context", "is not set; set it or name a context explicitly");
    }
  }
  SKIFF_ASSIGN_OR_RETURN(YAML::Node context, Named(ctx, root, "contexts", "context", out.context));
  const std::string cp = "contexts[name=" + out.context + "].context.";
  SKIFF_ASSIGN_OR_RETURN(std::string cluster_name,
                         Scalar(ctx, context["cluster"], cp + "cluster", true));
  SKIFF_ASSIGN_OR_RETURN(std::string user_name, Scalar(ctx, context["user"], cp + "user", true));
  SKIFF_ASSIGN_OR_RETURN(out.namespace_,
                         Scalar(ctx, context["namespace"], cp + "namespace", false));

  SKIFF_ASSIGN_OR_RETURN(YAML::Node cluster, Named(ctx, root, "clusters", "cluster", cluster_name));
  const std::string kp = "clusters[name=" + cluster_name + "].cluster.";
  SKIFF_ASSIGN_OR_RETURN(out.server, Scalar(ctx, cluster["server"], kp + "server", true));
  if (!ParseUrl(out.server).ok()) {  // the one parser: scheme, host (IPv6 too), port
    return ctx.Bad(kp + "server", "must be an https:// URL, not '" + out.server + "'");
  }
  while (!out.server.empty() && out.server.back() == '/') out.server.pop_back();
  SKIFF_ASSIGN_OR_RETURN(out.ca_pem,
                         Pem(ctx, cluster, kp, "certificate-authority", options.base_dir));
  SKIFF_ASSIGN_OR_RETURN(std::string insecure, Scalar(ctx, cluster["insecure-skip-tls-verify"],
                                                      kp + "insecure-skip-tls-verify", false));
  if (insecure == "true") {
    if (!options.allow_insecure_skip_tls_verify) {
      return ctx.Bad(kp + "insecure-skip-tls-verify",
                     "is true: skiff refuses to talk to a cluster without verifying its "
                     "certificate; set certificate-authority-data instead (or allow insecure "
                     "TLS explicitly)");
    }
    if (!out.ca_pem.empty()) {
      return ctx.Bad(kp + "insecure-skip-tls-verify",
                     "cannot be combined with certificate-authority(-data)");
    }
    out.insecure_skip_tls_verify = true;
  } else if (!insecure.empty() && insecure != "false") {
    return ctx.Bad(kp + "insecure-skip-tls-verify", "must be true or false");
  }

  SKIFF_ASSIGN_OR_RETURN(YAML::Node user, Named(ctx, root, "users", "user", user_name));
  const std::string up = "users[name=" + user_name + "].user.";
  for (const char* unsupported : {"auth-provider", "username", "password"}) {
    if (user[unsupported]) {
      return ctx.Bad(up + unsupported,
                     "is not supported: use a kubeconfig with a client certificate "
                     "(client-certificate-data + client-key-data, as AKS local accounts issue), "
                     "a bearer token or an exec plugin (kubelogin convert-kubeconfig)");
    }
  }
  if (user["exec"]) {
    SKIFF_ASSIGN_OR_RETURN(out.exec, ParseExec(ctx, user["exec"], up + "exec."));
    for (const char* other : {"token", "tokenFile", "client-certificate-data",
                              "client-certificate", "client-key-data", "client-key"}) {
      if (user[other]) {
        return ctx.Bad(up + other, "cannot be combined with exec: the plugin supplies the "
                                   "credentials; keep one of them");
      }
    }
    // client-go: a relative path with a separator is relative to the
    // kubeconfig's folder; a bare name is looked up on PATH when run.
    const std::filesystem::path command(out.exec->command);
    if (command.is_relative() && out.exec->command.find('/') != std::string::npos &&
        !options.base_dir.empty()) {
      out.exec->command = (std::filesystem::path(options.base_dir) / command).string();
    }
    return out;
  }
  SKIFF_ASSIGN_OR_RETURN(out.client_cert_pem,
                         Pem(ctx, user, up, "client-certificate", options.base_dir));
  SKIFF_ASSIGN_OR_RETURN(out.client_key_pem, Pem(ctx, user, up, "client-key", options.base_dir));
  if (out.client_cert_pem.empty() != out.client_key_pem.empty()) {
    return ctx.Bad(
        up + (out.client_cert_pem.empty() ? "client-certificate-data" : "client-key-data"),
        "is missing: a client certificate needs both the certificate and its key");
  }
  SKIFF_ASSIGN_OR_RETURN(out.token, Scalar(ctx, user["token"], up + "token", false));
  SKIFF_ASSIGN_OR_RETURN(std::string token_file,
                         Scalar(ctx, user["tokenFile"], up + "tokenFile", false));
  if (out.token.empty() && !token_file.empty()) {
    SKIFF_ASSIGN_OR_RETURN(out.token,
                           ReadFile(ctx, up + "tokenFile", token_file, options.base_dir));
    while (!out.token.empty() && std::isspace(static_cast<unsigned char>(out.token.back()))) {
      out.token.pop_back();
    }
  }
  if (out.token.find_first_of("\r\n") != std::string::npos) {
    return ctx.Bad(up + "token", "must be one line");
  }
  if (out.token.empty() && out.client_cert_pem.empty()) {
    return ctx.Bad(up.substr(0, up.size() - 1),
                   "has no credentials: set client-certificate-data + client-key-data or token");
  }
  return out;
}

}  // namespace

StatusOr<Kubeconfig> ParseKubeconfig(const std::string& yaml, const KubeconfigOptions& options,
                                     const std::string& origin) {
  const Ctx ctx{origin};
  try {
    return ParseNode(YAML::Load(yaml), options, ctx);
  } catch (const YAML::Exception& e) {
    return InvalidArgument(origin + ": not valid YAML: " + e.what());
  }
}

StatusOr<Kubeconfig> LoadKubeconfig(const std::string& path, KubeconfigOptions options) {
  auto text = ::skiff::ReadFile(path);
  if (!text.ok()) return NotFound("cannot read kubeconfig " + path);
  if (options.base_dir.empty()) {
    options.base_dir = std::filesystem::path(path).parent_path().string();
  }
  return ParseKubeconfig(*text, options, path);
}

}  // namespace skiff::compute_aks::kube
