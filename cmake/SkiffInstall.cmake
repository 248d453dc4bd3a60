# SPDX-License-Identifier: Apache-2.0
# Installs the public headers, skiff_abi and a CMake package so third-party
# plugins can `find_package(skiff)` and call skiff_add_plugin() (component
# `core`), and the C++ SDK for applications: `find_package(skiff REQUIRED
# COMPONENTS sdk)` or `pkg-config skiff` (component `sdk`, docs/sdk.md).
include(CMakePackageConfigHelpers)
# Only what a third-party plugin can use: the ABI, the interfaces and what
# skiff_abi defines (the rest of core/include is the host's, and its
# libraries are not installed). The list is docs/writing-a-plugin.md's;
# tests/examples/hello_accelerator_test.sh checks the two agree.
set(SKIFF_INSTALLED_HEADERS
  plugin_abi.h plugin_export.h build_fingerprint.h status.h tensor.h
  accelerator.h authenticator.h compute_target.h rollout_policy.h
  server_status.h signature_check.h version_load.h
  util/atomic_file.h util/base64.h util/file.h util/private_path.h util/service_name.h
  util/url.h)
foreach(header IN LISTS SKIFF_INSTALLED_HEADERS)
  get_filename_component(subdir ${header} DIRECTORY)
  install(FILES ${PROJECT_SOURCE_DIR}/core/include/skiff/${header}
          DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/skiff/${subdir})
endforeach()
install(TARGETS skiff_abi EXPORT skiffTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
set(SKIFF_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/skiff)
install(EXPORT skiffTargets NAMESPACE skiff:: DESTINATION ${SKIFF_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/skiffConfig.cmake.in
  ${PROJECT_BINARY_DIR}/skiffConfig.cmake INSTALL_DESTINATION ${SKIFF_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/skiffConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/skiffConfig.cmake ${PROJECT_BINARY_DIR}/skiffConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/cmake/SkiffPlugin.cmake ${PROJECT_SOURCE_DIR}/cmake/skiff_plugin.map
  DESTINATION ${SKIFF_CMAKE_DIR})

# The SDK: libskiff_sdk.so (sdk/CMakeLists.txt), the headers its headers
# include (and nothing more: each compiles alone from the prefix, which
# tests/examples/sdk_app_test.sh checks), the CMake target skiff::sdk and
# skiff.pc. The package files go in this component too, so it installs alone.
set(SKIFF_SDK_HEADERS
  sdk/compute_target.h sdk/inference_config_builder.h sdk/model.h sdk/plugins.h
  sdk/report.h sdk/rollout.h sdk/shadow_figures.h sdk/webservice.h sdk/workspace.h)
set(SKIFF_SDK_CORE_HEADERS
  authenticator.h compute_target.h plugin_abi.h status.h status_print.h tensor.h version_load.h
  config/deployment_config.h config/inference_config.h
  plugin_host/loaded_plugin.h plugin_host/plugin_host.h rollout/rollout_event.h
  rollout_policy.h rollout/rollout_state.h rollout/version_metrics.h
  store/records.h store/workspace_store.h util/log.h)
foreach(header IN LISTS SKIFF_SDK_HEADERS)
  install(FILES ${PROJECT_SOURCE_DIR}/sdk/include/skiff/${header}
          DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/skiff/sdk COMPONENT sdk)
endforeach()
foreach(header IN LISTS SKIFF_SDK_CORE_HEADERS)
  get_filename_component(subdir ${header} DIRECTORY)
  install(FILES ${PROJECT_SOURCE_DIR}/core/include/skiff/${header}
          DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/skiff/${subdir} COMPONENT sdk)
endforeach()
install(TARGETS skiff_sdk_shared EXPORT skiffSdkTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT sdk NAMELINK_COMPONENT sdk)
install(EXPORT skiffSdkTargets NAMESPACE skiff:: DESTINATION ${SKIFF_CMAKE_DIR} COMPONENT sdk)
install(FILES ${PROJECT_BINARY_DIR}/skiffConfig.cmake ${PROJECT_BINARY_DIR}/skiffConfigVersion.cmake
  DESTINATION ${SKIFF_CMAKE_DIR} COMPONENT sdk)
# skiff.pc finds the prefix from its own place (${pcfiledir}), so the
# installed tree can move; nothing of the build tree is written into it.
set(SKIFF_PC_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
file(RELATIVE_PATH SKIFF_PC_TO_PREFIX /${SKIFF_PC_DIR} /)
configure_file(${PROJECT_SOURCE_DIR}/cmake/skiff.pc.in ${PROJECT_BINARY_DIR}/skiff.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/skiff.pc DESTINATION ${SKIFF_PC_DIR} COMPONENT sdk)
