// SPDX-License-Identifier: Apache-2.0
// Plain records the workspace store reads and writes. They carry no
// behaviour; JSON-valued fields hold serialized JSON text, validated by the
// caller (config schemas live in skiff_config, not here).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace skiff::store {

using StringMap = std::map<std::string, std::string>;

// What a registered model is: one file, or a folder (stored as a manifest).
enum class ModelKind { kFile, kFolder };
const char* ModelKindName(ModelKind kind);  // "file" | "folder"

// What RegisterModel() needs. `path` is a file or a folder on local disk.
struct RegisterModelRequest {
  std::string name;
  std::string path;
  std::string description;
  StringMap tags;
  StringMap properties;
};

// One registered model version ("name:version").
struct ModelRecord {
  std::string name;
  int64_t version = 0;
  // File: SHA-256 of the bytes. Folder: SHA-256 of the manifest.
  std::string sha256;
  ModelKind kind = ModelKind::kFile;
  int64_t size_bytes = 0;  // sum of file sizes for a folder
  std::string file_name;   // basename of the registered path (used by downloads)
  std::string description;
  StringMap tags;
  StringMap properties;
  std::string created_time;  // ISO-8601 UTC, "2024-05-01T12:00:00Z"

  std::string id() const { return name + ":" + std::to_string(version); }
};

// A compute target row (see skiff::ComputeSpec for what plugins see).
struct ComputeTargetRecord {
  std::string name;
  std::string type;                // "local", "aks", ...
  std::string config_json = "{}";  // plugin-specific
  std::string state;               // "Succeeded", "Creating", "Failed", ...
  std::string created_time;        // set by the store
  std::string updated_time;        // set by the store
};

// A model a service or endpoint version serves.
struct ModelVersionRef {
  std::string name;
  int64_t version = 0;
};

// A web service row plus the models it serves.
struct ServiceRecord {
  std::string name;
  std::string compute_target;  // must name an existing compute target
  std::string state;           // "Transitioning", "Healthy", ...
  std::string deployment_config_json = "{}";
  std::string inference_config_json = "{}";
  std::string scoring_uri;
  std::vector<ModelVersionRef> models;  // kept in service_models; blocks DeleteModel
  std::string operation;                // in-progress operation, empty when none
  std::string operation_started_time;   // when `operation` began
  std::string created_time;
  std::string updated_time;
};

// An endpoint (a service with several versions and a traffic split).
struct EndpointRecord {
  std::string name;
  std::string compute_target;
  std::string state;
  std::string config_json = "{}";  // auth, autoscale, ... for the endpoint as a whole
  std::string scoring_uri;
  std::string created_time;
  std::string updated_time;
};

// One version behind an endpoint.
struct EndpointVersionRecord {
  std::string endpoint;
  std::string version_name;
  int32_t traffic_percentile = 0;  // 0..100
  bool is_default = false;
  bool is_control = false;
  // 0..100: the share of live requests copied to this version, whose answers
  // are compared and never returned (docs/rollout.md#shadow-traffic).
  int32_t shadow_percentile = 0;
  std::vector<ModelVersionRef> models;  // blocks DeleteModel like a service's
  std::string deployment_config_json = "{}";
  std::string inference_config_json = "{}";
  std::string state;
  std::string created_time;
  std::string updated_time;
};

// An endpoint's progressive rollout (at most one row per endpoint; the last
// one stays after it ended, for `rollout status`).
struct RolloutRecord {
  std::string endpoint;
  std::string status;      // "Running", "Paused", ... (skiff::RolloutStatusName)
  std::string state_json;  // skiff::RolloutState (skiff/rollout/rollout_state.h)
  int64_t revision = 0;    // bumped by every UpdateRollout; compare-and-set on it
  // The controller holding the lease (a process identity, process_identity.h)
  // and until when (ms since the Unix epoch); "" when none.
  std::string owner;
  int64_t lease_expires_ms = 0;
  std::string updated_time;
};

}  // namespace skiff::store
