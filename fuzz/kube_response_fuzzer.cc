// SPDX-License-Identifier: Apache-2.0
// Kubernetes API replies as the client reads them: a metav1.Status error
// body (ParseApiStatus / ApiError), a Deployment with its status and a
// PodList (EvaluateRollout), a matchLabels selector. The input is one JSON
// document used in every role; none may crash or throw, and a rollout judged
// complete must satisfy the completion rule.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "kube/api_error.h"
#include "kube/kube_client.h"
#include "kube/rollout_status.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace kube = skiff::compute_aks::kube;
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (int code : {404, 409, 422, 429, 500}) (void)kube::ApiError(code, text, "fuzz");
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return 0;
  // As a Deployment, as a PodList, and as a {deployment, pods} pair.
  const auto check = [](const kube::RolloutStatus& s) {
    if (s.phase == kube::RolloutPhase::kComplete &&
        (s.observed_generation < s.generation || s.updated != s.replicas ||
         s.available != s.replicas)) {
      __builtin_trap();
    }
    (void)kube::ProgressText(s);
  };
  check(kube::EvaluateRollout(j, j));
  if (j.is_object() && j.contains("deployment") && j.contains("pods")) {
    check(kube::EvaluateRollout(j["deployment"], j["pods"]));
  }
  if (j.is_object() && j.contains("selector")) (void)kube::SelectorFromMatchLabels(j["selector"]);
  return 0;
}
