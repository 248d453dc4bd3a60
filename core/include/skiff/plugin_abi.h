// SPDX-License-Identifier: Apache-2.0
/* skiff plugin ABI: the one C entry point every plugin exports.
 *
 * A plugin is a shared library named libskiff_<kind>_<name>.so that exports
 * exactly one symbol, `skiff_plugin_init`, returning a versioned descriptor.
 * Everything else a plugin offers is reached through that descriptor.
 *
 * Versioning (checked by host and plugin alike):
 *   - major: must be equal. Bumped whenever an existing C++ interface
 *     (skiff::Accelerator, ...) or this struct changes incompatibly.
 *   - minor: host minor >= plugin minor. Bumped when fields are appended to
 *     the descriptor or new plugin kinds appear; never when a virtual method
 *     is added to an existing interface (that is a major bump).
 * The first four fields of skiff_plugin_descriptor are frozen across all
 * majors so a host can always read a foreign plugin's versions and say why
 * it refuses it.
 *
 * C++ interfaces cross the boundary for ergonomics, so the descriptor also
 * carries a build fingerprint (compiler, libstdc++, _GLIBCXX_USE_CXX11_ABI,
 * ABI major) and the host refuses a mismatch. No exception may escape a
 * descriptor function.
 */
#ifndef SKIFF_PLUGIN_ABI_H_
#define SKIFF_PLUGIN_ABI_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 2: ComputeTarget gained ReviveService/RestartService and ServiceStatus.restarts;
   Authenticator gained RotateSigningKey.
   3: ComputeTarget gained Describe/Refresh; ServiceSpec lost the fields no
   plugin read (models, inference_config_json, endpoint_json).
   4: ServiceStatus gained metrics_uri (issue 19.3).
   5: LoadedModel gained platform(), the OIP platform name (issue 20.4);
   ServiceStatus gained grpc_uri (issue 20.3), replicas_ready/replicas_total,
   load and load_note; ComputeTarget gained GetDetailedState (issue 23.2);
   RolloutPolicy::NextAction takes a RolloutInput (version states, the
   progressive plan and step, per-version measurements, the clock) and
   RolloutAction gained hold/set-traffic/roll-back/succeed, ComputeTarget
   gained ReadMetrics (issue 22.1); ComputeTarget gained FollowLogs (issue
   23.3).
   6: ComputeTarget gained ReadExposureLog and ExposureLogSink (issue 22.4;
   5.0 had shipped, so a new virtual is a new major). */
#define SKIFF_PLUGIN_ABI_MAJOR 6
#define SKIFF_PLUGIN_ABI_MINOR 0

/* Name of the exported entry point. */
#define SKIFF_PLUGIN_ENTRY_SYMBOL "skiff_plugin_init"

typedef enum skiff_plugin_kind {
  SKIFF_PLUGIN_KIND_COMPUTE = 1,     /* skiff::ComputeTarget */
  SKIFF_PLUGIN_KIND_ACCELERATOR = 2, /* skiff::Accelerator */
  SKIFF_PLUGIN_KIND_AUTH = 3,        /* skiff::Authenticator */
  SKIFF_PLUGIN_KIND_ROLLOUT = 4      /* skiff::RolloutPolicy */
} skiff_plugin_kind;

/* An error crossing the boundary. NULL means success.
 * OWNERSHIP: allocated by the plugin; the host releases it with the
 * descriptor's error_delete, never with free(). */
typedef struct skiff_error {
  int32_t code;  /* a skiff::StatusCode value */
  char* message; /* OWNERSHIP: owned by the skiff_error */
} skiff_error;

typedef struct skiff_plugin_descriptor {
  /* --- frozen across all ABI majors --- */
  uint32_t struct_size; /* sizeof(skiff_plugin_descriptor) at the plugin's build */
  uint32_t abi_major;   /* the plugin's SKIFF_PLUGIN_ABI_MAJOR */
  uint32_t abi_minor;   /* the plugin's SKIFF_PLUGIN_ABI_MINOR */
  uint32_t accepts_host; /* non-zero when the plugin accepts the host ABI it was asked about */
  /* --- ABI 1.0 --- */
  uint32_t kind;           /* a skiff_plugin_kind */
  const char* name;        /* OWNERSHIP: static storage in the plugin. [a-z0-9-]+ */
  const char* version;     /* OWNERSHIP: static. The plugin's own version, e.g. "1.2.0" */
  const char* fingerprint; /* OWNERSHIP: static. SKIFF_BUILD_FINGERPRINT at the plugin's build */
  const char* description; /* OWNERSHIP: static. One line for `skiff plugins list` */

  /* Creates the kind's C++ object from JSON options. On success stores the
   * object (a pointer to the kind's interface, e.g. skiff::Accelerator*,
   * converted to void*) in *out and returns NULL.
   * OWNERSHIP: *out belongs to the caller, who releases it with destroy().
   * A returned skiff_error belongs to the caller (release with error_delete).
   * Threading: may be called concurrently. */
  skiff_error* (*create)(const char* options_json, void** out);
  /* Destroys an object made by create(). OWNERSHIP: takes `object`. */
  void (*destroy)(void* object);
  /* Releases an error returned by create(). OWNERSHIP: takes `error`. */
  void (*error_delete)(skiff_error* error);
  /* Grow only here, bumping SKIFF_PLUGIN_ABI_MINOR. */
} skiff_plugin_descriptor;

/* The entry point. Returns the plugin's static descriptor (never NULL) with
 * accepts_host set by the plugin's own check of the host's ABI version.
 * OWNERSHIP: the descriptor lives as long as the library stays loaded.
 * Threading: the host calls it once per load, under its loader mutex. */
typedef const skiff_plugin_descriptor* (*skiff_plugin_init_fn)(uint32_t host_abi_major,
                                                              uint32_t host_abi_minor);

#ifdef __cplusplus
}
#endif

#endif /* SKIFF_PLUGIN_ABI_H_ */
