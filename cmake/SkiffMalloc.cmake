# SPDX-License-Identifier: Apache-2.0
# The heap allocator of skiff-server and of the bench floors it is compared
# with (bench/README.md § "Heap allocator").
#
# libtorch allocates and frees a tensor's buffers (and oneDNN its
# descriptors and scratch) on every forward(); glibc's malloc spends a large
# share of a small model's time there, more on a worker thread's arena than
# on the main one. Triton's and TorchServe's performance guides say to
# preload jemalloc or tcmalloc for that reason; skiff links jemalloc
# (Debian's libjemalloc2) so users get it without an LD_PRELOAD line. We use
# the packaged library rather than a pool of our own: the allocations are
# libtorch's, not ours.
#
#   SKIFF_MALLOC=jemalloc (default)  link libjemalloc into the targets given
#                                     to skiff_link_malloc()
#   SKIFF_MALLOC=system               glibc malloc (sanitizer and fuzz builds
#                                     use it: ASan/TSan replace malloc)
set(SKIFF_MALLOC "jemalloc" CACHE STRING "heap allocator of skiff-server: jemalloc or system")
set_property(CACHE SKIFF_MALLOC PROPERTY STRINGS jemalloc system)
if(SKIFF_BUILD_FUZZERS AND SKIFF_MALLOC STREQUAL "jemalloc")
  message(STATUS "SKIFF_MALLOC: system (fuzz builds use ASan's allocator)")
  set(SKIFF_MALLOC "system")
endif()
if(NOT SKIFF_MALLOC MATCHES "^(jemalloc|system)$")
  message(FATAL_ERROR "SKIFF_MALLOC is '${SKIFF_MALLOC}'; it takes jemalloc or system")
endif()

if(SKIFF_MALLOC STREQUAL "jemalloc")
  find_library(SKIFF_JEMALLOC_LIBRARY NAMES jemalloc)
  if(NOT SKIFF_JEMALLOC_LIBRARY)
    message(FATAL_ERROR "SKIFF_MALLOC=jemalloc needs libjemalloc-dev: install it "
                        "(apt-get install libjemalloc-dev; ./scripts/deps does) or configure "
                        "with -DSKIFF_MALLOC=system")
  endif()
endif()

# Links the chosen allocator into an executable. jemalloc comes before libc
# in the executable's needed list (libc is linked last), so libtorch, the
# plugins and every other library resolve malloc to it. (No --no-as-needed
# around it: CMake folds repeated linker flags across targets, which split a
# push-state/pop-state pair; Debian's toolchain does not link --as-needed by
# default. The LoggingProcessTest start-up check would see it dropped.)
function(skiff_link_malloc target)
  if(SKIFF_MALLOC STREQUAL "jemalloc")
    target_link_libraries(${target} PRIVATE ${SKIFF_JEMALLOC_LIBRARY})
    target_compile_definitions(${target} PRIVATE SKIFF_MALLOC_JEMALLOC=1)
  endif()
endfunction()
