// SPDX-License-Identifier: Apache-2.0
// Autoscaler: Azure ML's `autoScaler` for one skiff-server. Each version's
// scoring pool runs replicas × maxConcurrentRequestsPerContainer workers;
// every refreshPeriodInSeconds the measured utilisation (requests queued or
// running per worker, sampled 20 times a period) sets the replica count
// between minReplicas and maxReplicas, as Kubernetes' HPA does for pods.
// The worker count shows in /metrics as skiff_scoring_workers{version}.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "skiff/config/deployment_config.h"
#include "skiff/dataplane/endpoint.h"

namespace skiff::dataplane {

// The policy, a pure function: the replicas to run given the current ones
// and the utilisation in percent. ceil(current × utilisation / target),
// held within [minReplicas, maxReplicas]; within 10% of the target nothing
// changes (so a steady load does not flap).
int DesiredReplicas(int current, double utilisation_percent, const config::AutoScaler& scaler);

class Autoscaler {
 public:
  using Versions = std::function<std::vector<std::shared_ptr<ModelVersion>>()>;
  // Called after each decision with every version's worker count.
  using Report = std::function<void(const std::string& version, int workers)>;

  // Starts the thread. `versions` lists the live versions (called on the
  // autoscaler's thread); `per_replica` is maxConcurrentRequestsPerContainer.
  Autoscaler(const config::AutoScaler& scaler, int per_replica, Versions versions, Report report);
  // Stops and joins the thread; pools keep their current size.
  ~Autoscaler();

 private:
  void Loop();
  void Decide();

  const config::AutoScaler scaler_;
  const int per_replica_;
  const Versions versions_;
  const Report report_;
  // Per version: the sum of sampled in-flight/worker ratios and the number
  // of samples this period. Only the autoscaler's thread touches it.
  std::map<std::string, std::pair<double, int>> samples_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace skiff::dataplane
