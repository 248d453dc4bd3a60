// SPDX-License-Identifier: Apache-2.0
// The labels every rendered object carries: the app.kubernetes.io/*
// recommended set plus `skiff.io/service`, which delete selects on so it
// removes exactly what skiff created for a service.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace skiff::compute_aks::k8s {

inline constexpr const char* kServiceLabel = "skiff.io/service";

// The configuration generation (ServerConfig::generation) a Deployment was
// rendered for: on every Deployment's metadata, and on the router's pod
// template, so that the router's completed rollout means its pods loaded
// that generation (version pods roll anyway: their server.json carries it).
// GetState reads it to report the applied or refused generation.
inline constexpr const char* kGenerationAnnotation = "skiff.io/generation";

// Components (app.kubernetes.io/component).
inline constexpr const char* kComponentRouter = "router";
inline constexpr const char* kComponentModelVersion = "model-version";
inline constexpr const char* kComponentConfig = "config";
inline constexpr const char* kComponentMetrics = "metrics";  // metrics Service, ServiceMonitor

struct LabelSet {
  std::string service;    // the skiff service/endpoint name
  std::string component;  // one of kComponent*
  std::string version;    // the endpoint version's k8s name; empty: not version-specific
};

// app.kubernetes.io/{name,instance,version,component,part-of,managed-by} and
// skiff.io/service (+ skiff.io/version for version objects).
// app.kubernetes.io/version is the skiff version (the image's).
nlohmann::json Labels(const LabelSet& set);

// The subset that selects pods: instance, component and skiff.io/version.
// Stable across skiff upgrades, as Deployment selectors are immutable.
nlohmann::json SelectorLabels(const LabelSet& set);

}  // namespace skiff::compute_aks::k8s
