# Installs the public headers, skiff_abi and a CMake package so third-party
# plugins can `find_package(skiff)` and call skiff_add_plugin().
include(CMakePackageConfigHelpers)
# Only what a third-party plugin can use: the ABI, the interfaces and what
# skiff_abi defines (the rest of core/include is the host's, and its
# libraries are not installed). The list is docs/writing-a-plugin.md's;
# tests/examples/hello_accelerator_test.sh checks the two agree.
set(SKIFF_INSTALLED_HEADERS
  plugin_abi.h plugin_export.h build_fingerprint.h status.h tensor.h
  accelerator.h authenticator.h compute_target.h rollout_policy.h
  server_status.h signature_check.h
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
