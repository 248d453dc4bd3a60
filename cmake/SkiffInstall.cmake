# Installs the public headers, skiff_abi and a CMake package so third-party
# plugins can `find_package(skiff)` and call skiff_add_plugin().
include(CMakePackageConfigHelpers)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/core/include/skiff
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")
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
