// SPDX-License-Identifier: Apache-2.0
// Paths inside the skiff server container: where the pod finds its config,
// keys and model, and where it may write (the root filesystem is read-only).
// The image (deploy/Dockerfile) and the rendered objects agree on these.
#pragma once

namespace skiff::compute_aks::k8s {

inline constexpr const char* kServerBinary = "/opt/skiff/bin/skiff-server";
// The Secret's server-<version>.json, mounted with items: -> server.json.
inline constexpr const char* kServerConfigDir = "/etc/skiff/server";
inline constexpr const char* kServerConfigPath = "/etc/skiff/server/server.json";
// The Secret's signing-key files as Kubernetes mounts them (symlinks,
// group-readable); an init container copies them to kSigningKeysDir 0600.
inline constexpr const char* kSigningKeysSourceDir = "/etc/skiff/signing-keys";
inline constexpr const char* kRuntimeDir = "/var/run/skiff";  // emptyDir
inline constexpr const char* kSigningKeysDir = "/var/run/skiff/signing-keys";
// The model claim (a copy of the workspace's artifacts/ folder), read-only.
inline constexpr const char* kModelsDir = "/var/lib/skiff/models";
// Request log and data collection (emptyDir).
inline constexpr const char* kDataDir = "/var/lib/skiff/data";
inline constexpr const char* kTmpDir = "/tmp";
// The router's server.json (from the Secret).
inline constexpr const char* kRouterConfigDir = "/etc/skiff/router";
// The router's certificate and key (the kubernetes.io/tls Secret: tls.crt,
// tls.key), re-read by skiff-server when the Secret changes.
inline constexpr const char* kRouterTlsDir = "/etc/skiff/tls";

// Container ports.
inline constexpr int kServerPort = 8080;
inline constexpr int kRouterPort = 8080;
// The router's https port in the container: the pod runs as a non-root user
// with every capability dropped, so it cannot bind 443; the Service maps
// 443 to it.
inline constexpr int kRouterTlsPort = 8443;
// GET /metrics (the server's metrics listener, `metricsPort`), in every
// skiff-server container; named "metrics". Never in the LoadBalancer Service.
inline constexpr int kMetricsPort = 9090;
// The router's KServe v2 gRPC listener (deployment config `grpc`), named
// "grpc"; the LoadBalancer Service maps kGrpcServicePort (Triton's gRPC
// port) to it. Version pods have none: the router's upstream hop is HTTP
// with binary tensors either way.
inline constexpr int kGrpcPort = 8081;
inline constexpr int kGrpcServicePort = 8001;
// The non-root user and group of the image.
inline constexpr int kRunAsUser = 10001;

}  // namespace skiff::compute_aks::k8s
