# SPDX-License-Identifier: Apache-2.0
# skiff_add_plugin(<target> KIND <compute|accelerator|auth|rollout> NAME <name>
#                  SOURCES <src>... [LINK <lib>...] [NO_INSTALL])
#
# Builds libskiff_<kind>_<name>.so as a MODULE with hidden visibility that
# exports only `skiff_plugin_init` (linker version script), so no C++ symbol
# of a plugin can collide with the host's or another plugin's.
# Used in-tree and, through find_package(skiff), by third-party plugins.
set(_SKIFF_PLUGIN_MAP "${CMAKE_CURRENT_LIST_DIR}/skiff_plugin.map" CACHE INTERNAL "")

function(skiff_add_plugin target)
  cmake_parse_arguments(P "NO_INSTALL" "KIND;NAME" "SOURCES;LINK" ${ARGN})
  if(NOT P_KIND OR NOT P_NAME)
    message(FATAL_ERROR "skiff_add_plugin(${target}): KIND and NAME are required")
  endif()
  add_library(${target} MODULE ${P_SOURCES})
  set_target_properties(${target} PROPERTIES
    OUTPUT_NAME "skiff_${P_KIND}_${P_NAME}"
    PREFIX "lib"
    CXX_VISIBILITY_PRESET hidden
    C_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(DEFINED SKIFF_PLUGIN_OUTPUT_DIR)
    # In-tree: build/lib/skiff/plugins, installed to <libdir>/skiff/plugins.
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${SKIFF_PLUGIN_OUTPUT_DIR}")
    if(NOT P_NO_INSTALL)
      install(TARGETS ${target} LIBRARY DESTINATION ${SKIFF_PLUGIN_INSTALL_DIR})
    endif()
  endif()
  target_link_options(${target} PRIVATE "LINKER:--version-script=${_SKIFF_PLUGIN_MAP}")
  if(NOT SKIFF_PLUGIN_ALLOW_UNDEFINED)  # set by skiff's own fuzz build only
    target_link_options(${target} PRIVATE "LINKER:--no-undefined")
  endif()
  if(TARGET skiff_abi)
    target_link_libraries(${target} PRIVATE skiff_abi)
  else()
    target_link_libraries(${target} PRIVATE skiff::abi)
  endif()
  if(P_LINK)
    target_link_libraries(${target} PRIVATE ${P_LINK})
  endif()
endfunction()
