// SPDX-License-Identifier: Apache-2.0
// RolloutPolicy: controlled rollout as a pure function (TensorFlow Serving's
// AspiredVersionPolicy shape). The router feeds it the states of all versions
// of an endpoint and applies what it returns: a routing table for requests
// and the next lifecycle action (load, drain, unload).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "skiff/plugin_abi.h"
#include "skiff/status.h"

namespace skiff {

// Azure ML's version types.
enum class VersionType : int32_t { kTreatment = 0, kControl = 1 };

// What the user asked for one endpoint version.
struct VersionSpec {
  std::string name;
  int32_t traffic_percentile = 0;  // 0-100; the sum over versions is at most 100
  bool is_default = false;         // receives unallocated traffic; exactly one
  VersionType type = VersionType::kTreatment;  // at most one control
};

// Where a version is in its life on the data plane.
enum class VersionState : int32_t {
  kAbsent = 0,    // wanted but nothing loaded yet
  kLoading = 1,   // being loaded and warmed
  kReady = 2,
  kDraining = 3,  // no new requests; finishing in-flight ones
  kFailed = 4,
};

struct VersionStatus {
  VersionSpec spec;
  VersionState state = VersionState::kAbsent;
  bool wanted = true;       // false once deleted from the endpoint's config
  int64_t in_flight = 0;    // requests currently being served
  // False while the version cannot be reached: on a router, its upstream
  // server did not answer the readiness probe. Loaded and ready, but it
  // takes no drawn traffic until it answers again.
  bool reachable = true;
};

// Requests are routed by drawing u in [0, 100) and taking the first entry
// whose cumulative upper bound exceeds u.
struct RoutingTable {
  struct Entry {
    std::string version;
    double upper = 0;  // cumulative percentage, last entry is 100
  };
  std::vector<Entry> entries;
  std::string default_version;

  // The version for a draw u in [0, 100). Empty when the table is empty.
  const std::string& Pick(double u) const;
};

struct RolloutAction {
  enum class Kind : int32_t { kNone = 0, kLoad = 1, kDrain = 2, kUnload = 3 };
  Kind kind = Kind::kNone;
  std::string version;
};

class RolloutPolicy {
 public:
  static constexpr uint32_t kPluginKind = SKIFF_PLUGIN_KIND_ROLLOUT;

  virtual ~RolloutPolicy();

  // Checks a desired set of versions (count, percentages, default, control).
  // Threading: pure; may be called concurrently.
  virtual Status Validate(const std::vector<VersionSpec>& versions) const = 0;

  // Routing decisions for the current states. Traffic meant for a version
  // that is not Ready or not reachable goes to the default (or, when that is
  // the one that cannot serve, the others' shares scale up); kUnavailable if
  // no version can serve. Threading: pure; may be called concurrently.
  virtual StatusOr<RoutingTable> Route(const std::vector<VersionStatus>& versions) const = 0;

  // The next lifecycle step, or kNone when the endpoint is where it should be.
  // Threading: pure; may be called concurrently.
  virtual RolloutAction NextAction(const std::vector<VersionStatus>& versions) const = 0;
};

}  // namespace skiff
