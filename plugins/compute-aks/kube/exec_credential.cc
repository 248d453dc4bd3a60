// SPDX-License-Identifier: Apache-2.0
#include "exec_credential.h"

#include <ctime>
#include <nlohmann/json.hpp>

#include "skiff/util/base64.h"
#include "skiff/util/debug_log.h"
#include "skiff/util/program.h"

namespace skiff::compute_aks::kube {
namespace {

using nlohmann::json;

std::string ExecInfo(const ExecConfig& exec, const ExecClusterInfo& cluster) {
  json spec = {{"interactive", false}};
  if (exec.provide_cluster_info) {
    json c = {{"server", cluster.server}};
    if (!cluster.ca_pem.empty()) {
      c["certificate-authority-data"] = Base64Encode(cluster.ca_pem, Base64Alphabet::kStandard);
    }
    if (cluster.insecure_skip_tls_verify) c["insecure-skip-tls-verify"] = true;
    spec["cluster"] = c;
  }
  return json{{"apiVersion", exec.api_version}, {"kind", "ExecCredential"}, {"spec", spec}}.dump();
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> ParseRfc3339(const std::string& text) {
  std::tm tm{};
  const char* rest = ::strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (rest == nullptr) return std::nullopt;
  if (*rest == '.') {
    ++rest;
    while (*rest >= '0' && *rest <= '9') ++rest;
  }
  int offset_seconds = 0;
  if (*rest == 'Z' || *rest == 'z') {
    ++rest;
  } else if (*rest == '+' || *rest == '-') {
    int hh = 0, mm = 0;
    if (std::sscanf(rest + 1, "%2d:%2d", &hh, &mm) != 2) return std::nullopt;
    offset_seconds = (hh * 3600 + mm * 60) * (*rest == '+' ? 1 : -1);
    rest += 6;
  } else {
    return std::nullopt;
  }
  if (*rest != '\0') return std::nullopt;
  const std::time_t utc = ::timegm(&tm) - offset_seconds;
  return std::chrono::system_clock::from_time_t(utc);
}

StatusOr<ExecCredential> ParseExecCredential(const std::string& text,
                                             const std::string& api_version) {
  const json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return InvalidArgument("its output is not a JSON ExecCredential");
  if (j.value("kind", "") != "ExecCredential") {
    return InvalidArgument("kind: must be ExecCredential");
  }
  if (j.value("apiVersion", "") != api_version) {
    return InvalidArgument("apiVersion: '" + j.value("apiVersion", "") +
                           "' does not match the kubeconfig's exec.apiVersion " + api_version);
  }
  const json status = j.value("status", json());
  if (!status.is_object()) return InvalidArgument("status: is missing");
  ExecCredential out;
  const auto text_field = [&status](const char* key) -> StatusOr<std::string> {
    if (!status.contains(key) || status[key].is_null()) return std::string();
    if (!status[key].is_string()) {
      return InvalidArgument(std::string("status.") + key + ": must be a string");
    }
    return status[key].get<std::string>();
  };
  SKIFF_ASSIGN_OR_RETURN(out.token, text_field("token"));
  SKIFF_ASSIGN_OR_RETURN(out.client_cert_pem, text_field("clientCertificateData"));
  SKIFF_ASSIGN_OR_RETURN(out.client_key_pem, text_field("clientKeyData"));
  if (out.client_cert_pem.empty() != out.client_key_pem.empty()) {
    return InvalidArgument(
        "status.clientCertificateData and status.clientKeyData: give both or neither");
  }
  if (out.token.empty() && out.client_cert_pem.empty()) {
    return InvalidArgument("status: has neither token nor clientCertificateData/clientKeyData");
  }
  if (out.token.find_first_of("\r\n") != std::string::npos) {
    return InvalidArgument("status.token: must be one line");
  }
  SKIFF_ASSIGN_OR_RETURN(std::string expiry, text_field("expirationTimestamp"));
  if (!expiry.empty()) {
    out.expires_at = ParseRfc3339(expiry);
    if (!out.expires_at) {
      return InvalidArgument("status.expirationTimestamp: '" + expiry + "' is not RFC 3339");
    }
  }
  return out;
}

ExecCredentialSource::ExecCredentialSource(ExecConfig exec, ExecClusterInfo cluster,
                                           std::shared_ptr<Clock> clock)
    : exec_(std::move(exec)), cluster_(std::move(cluster)), clock_(std::move(clock)) {}

int ExecCredentialSource::runs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return runs_;
}

StatusOr<ExecCredential> ExecCredentialSource::Get() {
  std::lock_guard<std::mutex> lock(mu_);
  if (cached_ && (!cached_->expires_at || clock_->Now() < *cached_->expires_at)) return *cached_;
  cached_.reset();
  SKIFF_ASSIGN_OR_RETURN(ExecCredential fresh, Run());
  cached_ = fresh;
  return fresh;
}

void ExecCredentialSource::Invalidate(const ExecCredential& used) {
  std::lock_guard<std::mutex> lock(mu_);
  if (cached_ && cached_->token == used.token && cached_->client_cert_pem == used.client_cert_pem) {
    cached_.reset();
  }
}

StatusOr<ExecCredential> ExecCredentialSource::Run() {
  ++runs_;
  ProgramRun run;
  run.argv.push_back(exec_.command);
  run.argv.insert(run.argv.end(), exec_.args.begin(), exec_.args.end());
  run.env = exec_.env;
  run.env.emplace_back("KUBERNETES_EXEC_INFO", ExecInfo(exec_, cluster_));
  const std::string what = "kubeconfig exec plugin `" + exec_.command + "`";
  DebugLog("running " + what + " (" + exec_.api_version + ")");
  auto result = RunProgram(run);
  if (!result.ok()) {
    return Unauthenticated(
        what + ": " + result.status().message() +
        (exec_.install_hint.empty() ? "" : "; " + FirstLine(exec_.install_hint)));
  }
  if (result->exit_code != 0) {
    const std::string why = FirstLine(result->err);
    return Unauthenticated(what + " failed (exit " + std::to_string(result->exit_code) + ")" +
                           (why.empty() ? "" : ": " + why));
  }
  auto credential = ParseExecCredential(result->out, exec_.api_version);
  if (!credential.ok()) {
    return Unauthenticated(what +
                           " printed no usable ExecCredential: " + credential.status().message());
  }
  return credential;
}

}  // namespace skiff::compute_aks::kube
