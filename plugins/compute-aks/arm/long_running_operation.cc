// SPDX-License-Identifier: Apache-2.0
#include "arm/long_running_operation.h"

#include <nlohmann/json.hpp>

#include "transport/retry_after.h"

namespace skiff::compute_aks {
namespace {

using nlohmann::json;

std::string StringAt(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

std::string ProvisioningState(const std::string& body) {
  auto j = json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("properties")) return "";
  return StringAt(j["properties"], "provisioningState");
}

bool IsTerminal(const std::string& state) {
  return state == "Succeeded" || state == "Failed" || state == "Canceled";
}

Status TerminalError(const std::string& what, const std::string& state, const std::string& body) {
  std::string detail;
  auto j = json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_object()) {
    const std::string code = StringAt(j["error"], "code");
    const std::string message = StringAt(j["error"], "message");
    detail = code.empty() ? message : code + (message.empty() ? "" : ": " + message);
  }
  const std::string text = what + " ended " + state + (detail.empty() ? "" : ": " + detail);
  return state == "Canceled" ? Status(StatusCode::kCancelled, text) : Aborted(text);
}

class Poller {
 public:
  Poller(ArmClient& arm, const std::string& what, const LroOptions& options,
         const ProgressFn& progress)
      : arm_(arm),
        what_(what),
        options_(options),
        progress_(progress),
        deadline_(arm.clock().Now() + options.timeout) {}

  // Waits before the next poll; kDeadlineExceeded once the time is up.
  Status Wait(const HttpResponse& last, const std::string& state) {
    auto delay = ParseRetryAfter(last.headers, arm_.clock().Now());
    const auto interval = delay ? *delay : options_.default_interval;
    if (arm_.clock().Now() + interval > deadline_) {
      return DeadlineExceeded(what_ + " is still " + (state.empty() ? "running" : state) +
                              " after " + std::to_string(options_.timeout.count() / 60000) +
                              " min; it continues in Azure");
    }
    arm_.clock().Sleep(interval);
    return OkStatus();
  }

  void Report(const std::string& state) {
    if (progress_) progress_(what_ + ": " + state);
  }

  StatusOr<HttpResponse> Get(const std::string& url) {
    SKIFF_ASSIGN_OR_RETURN(HttpResponse r, arm_.Call("GET", url));
    return r;
  }

 private:
  ArmClient& arm_;
  const std::string what_;
  const LroOptions options_;
  const ProgressFn& progress_;
  const std::chrono::system_clock::time_point deadline_;
};

}  // namespace

StatusOr<HttpResponse> FollowOperation(ArmClient& arm, const std::string& method,
                                       const std::string& resource_path,
                                       const HttpResponse& initial, const LroOptions& options,
                                       const ProgressFn& progress) {
  const std::string what = method + " " + resource_path.substr(0, resource_path.find('?'));
  Poller poller(arm, what, options, progress);
  const std::string async_url = initial.header("azure-asyncoperation");
  const std::string location = initial.header("location");

  if (!async_url.empty()) {
    HttpResponse last = initial;
    std::string state = "Accepted";
    for (;;) {
      SKIFF_RETURN_IF_ERROR(poller.Wait(last, state));
      SKIFF_ASSIGN_OR_RETURN(last, poller.Get(async_url));
      if (last.status != 200) return ArmError(last, what + " (polling the operation)");
      auto j = json::parse(last.body, nullptr, false);
      state = StringAt(j, "status");
      if (state.empty()) return DataLoss(what + ": the operation status has no `status` field");
      poller.Report(state);
      if (state == "Succeeded") break;
      if (state == "Failed" || state == "Canceled") return TerminalError(what, state, last.body);
    }
    if (method != "PUT") return last;
    SKIFF_ASSIGN_OR_RETURN(HttpResponse final_state, arm.Call("GET", resource_path));
    if (final_state.status != 200) return ArmError(final_state, what + " (reading the result)");
    return final_state;
  }

  if (!location.empty()) {
    HttpResponse last = initial;
    for (;;) {
      SKIFF_RETURN_IF_ERROR(poller.Wait(last, "InProgress"));
      SKIFF_ASSIGN_OR_RETURN(last, poller.Get(location));
      if (last.status == 202) {
        poller.Report("InProgress");
        continue;
      }
      if (last.status >= 200 && last.status < 300) {
        poller.Report("Succeeded");
        if (method == "PUT" && last.body.empty()) {
          SKIFF_ASSIGN_OR_RETURN(last, arm.Call("GET", resource_path));
          if (last.status != 200) return ArmError(last, what + " (reading the result)");
        }
        return last;
      }
      return ArmError(last, what + " (polling the operation)");
    }
  }

  // No operation URL: a PUT is followed through the resource itself.
  if (method != "PUT" || initial.status == 200) return initial;
  HttpResponse last = initial;
  std::string state = ProvisioningState(initial.body);
  while (!IsTerminal(state)) {
    SKIFF_RETURN_IF_ERROR(poller.Wait(last, state));
    SKIFF_ASSIGN_OR_RETURN(last, poller.Get(resource_path));
    if (last.status != 200) return ArmError(last, what);
    state = ProvisioningState(last.body);
    poller.Report(state.empty() ? "Unknown" : state);
    if (state.empty()) return DataLoss(what + ": the resource has no properties.provisioningState");
  }
  if (state != "Succeeded") return TerminalError(what, state, last.body);
  return last;
}

}  // namespace skiff::compute_aks
