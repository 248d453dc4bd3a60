// SPDX-License-Identifier: Apache-2.0
#include "options.h"

#include <arpa/inet.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "executable_finder.h"
#include "file_util.h"
#include "skiff/compute_target.h"
#include "skiff/config/json_reader.h"

namespace skiff::compute_local {
namespace {

using nlohmann::json;

// A misspelt key is reported as such before the key it was meant to be is
// missed. Without the key the target finds the program itself.
std::string Required(const std::optional<std::string>& value, const char* key, const char* program,
                     const char* env_override) {
  if (value) return *value;
  std::vector<std::string> looked_in;
  std::string found = FindExecutable(program, ProcessExecutableSearch(env_override), &looked_in);
  if (found.empty()) {
    std::string where;
    for (const auto& c : looked_in) where += (where.empty() ? "" : ", ") + c;
    config::Fail(std::string("`") + key + "` is required when " + program +
                 " cannot be found (looked in: " + (where.empty() ? "nowhere" : where) +
                 "); install skiff, or set " + env_override + " to its path");
  }
  return found;
}

Status CheckExecutable(const char* field, const std::string& path) {
  struct stat st {};
  if (path.empty() || ::stat(path.c_str(), &st) != 0) {
    return InvalidArgument(std::string("compute local options: `") + field + "` '" + path +
                           "' does not exist");
  }
  if (!S_ISREG(st.st_mode) || ::access(path.c_str(), X_OK) != 0) {
    return InvalidArgument(std::string("compute local options: `") + field + "` '" + path +
                           "' is not an executable file");
  }
  return OkStatus();
}

// `address` must be something to bind: an IPv4 or IPv6 literal, not a name
// (a name could resolve differently at each restart).
std::string CheckedAddress(const std::optional<std::string>& value) {
  if (!value) return "127.0.0.1";
  in6_addr any{};
  if (::inet_pton(AF_INET, value->c_str(), &any) == 1 ||
      ::inet_pton(AF_INET6, value->c_str(), &any) == 1) {
    return *value;
  }
  config::Fail("`address` '" + *value +
               "' is not an IPv4 or IPv6 address; give a literal such as 127.0.0.1, 0.0.0.0 "
               "(every interface) or ::1");
}

// The ssl* keys: a certificate and its key together, each an existing
// file, the key private to its owner (it would be a secret in a
// world-readable file otherwise); a CNAME only with them. The files are
// checked at create (`check_files`); later commands leave a changed file to
// the server, which refuses it and keeps the pair it has.
std::optional<LocalTlsOptions> ReadTls(config::ObjectReader& r, bool check_files) {
  const auto cert = r.String("sslCertPemFile");
  const auto key = r.String("sslKeyPemFile");
  const auto cname = r.String("sslCname");
  if (!cert && !key) {
    if (cname) {
      config::Fail(
          "`sslCname` needs `sslCertPemFile` and `sslKeyPemFile` (--ssl-cert-file, "
          "--ssl-key-file): the certificate for that name");
    }
    return std::nullopt;
  }
  if (!cert || !key) {
    config::Fail(std::string("`") + (cert ? "sslKeyPemFile" : "sslCertPemFile") +
                 "` is required with `" + (cert ? "sslCertPemFile" : "sslKeyPemFile") +
                 "`: give both --ssl-cert-file and --ssl-key-file");
  }
  LocalTlsOptions tls{AbsolutePath(*cert), AbsolutePath(*key), cname.value_or("")};
  if (!check_files) return tls;
  struct stat st {};
  const std::pair<const char*, std::string> files[] = {{"sslCertPemFile", tls.cert_file},
                                                       {"sslKeyPemFile", tls.key_file}};
  for (const auto& [field, path] : files) {
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || ::access(path.c_str(), R_OK)) {
      config::Fail(std::string("`") + field + "` '" + path + "' is not a readable file");
    }
  }
  ::stat(tls.key_file.c_str(), &st);
  if ((st.st_mode & 077) != 0) {
    config::Fail("`sslKeyPemFile` '" + tls.key_file +
                 "' may be read by other users; `chmod 600` it (it is the server's secret)");
  }
  return tls;
}

}  // namespace

StatusOr<std::string> ParseTargetAddress(const std::string& config_json) {
  return config::ReadConfig("local compute target config", [&] {
    const json j = config::ParseJsonText(config_json.empty() ? "{}" : config_json);
    config::ObjectReader r(j, config::kOptionsRoot);
    std::string address = CheckedAddress(r.String("address"));
    (void)ReadTls(r, /*check_files=*/true);
    r.RejectUnknownKeys();
    return address;
  });
}

StatusOr<LocalComputeOptions> ParseOptions(const std::string& options_json) {
  SKIFF_ASSIGN_OR_RETURN(
      LocalComputeOptions o, config::ReadConfig("compute local options", [&] {
        const json j = config::ParseJsonText(options_json.empty() ? "{}" : options_json);
        config::ObjectReader r(j, config::kOptionsRoot);
        const auto server = r.String("serverBinary");
        const auto supervisor = r.String("supervisorBinary");
        LocalComputeOptions read;
        const auto plugin_path = r.String("pluginPath");
        read.workspace_dir = r.String(kComputeOptionWorkspaceDir).value_or("");
        (void)r.String(kComputeOptionTargetName);  // the host's; the local target needs no name
        read.address = CheckedAddress(r.String("address"));
        read.tls = ReadTls(r, /*check_files=*/false);
        r.RejectUnknownKeys();
        read.server_binary =
            Required(server, "serverBinary", "skiff-server", "SKIFF_SERVER_BINARY");
        read.supervisor_binary =
            Required(supervisor, "supervisorBinary", "skiff-supervisor", "SKIFF_SUPERVISOR_BINARY");
        // The servers this target starts find the plugins this process finds.
        const char* env_path = std::getenv("SKIFF_PLUGIN_PATH");
        read.plugin_path = plugin_path.value_or(env_path != nullptr ? env_path : "");
        return read;
      }));
  // The supervisor and its server run from /, so relative paths would not
  // mean there what they meant to the caller.
  o.server_binary = AbsolutePath(o.server_binary);
  o.supervisor_binary = AbsolutePath(o.supervisor_binary);
  o.plugin_path = AbsolutePathList(o.plugin_path);
  o.workspace_dir = AbsolutePath(o.workspace_dir);
  SKIFF_RETURN_IF_ERROR(CheckExecutable("serverBinary", o.server_binary));
  SKIFF_RETURN_IF_ERROR(CheckExecutable("supervisorBinary", o.supervisor_binary));
  return o;
}

}  // namespace skiff::compute_local
