# SPDX-License-Identifier: Apache-2.0
# skiff_bench_accel_floor: the torch accelerator's compute floor. Included by
# bench/CMakeLists.txt and by bench/gpu/CMakeLists.txt (standalone), so it
# needs only libtorch, skiff_batching and skiff_accel_gpu_impl.
find_package(Torch REQUIRED)
add_executable(skiff_bench_accel_floor ${CMAKE_CURRENT_LIST_DIR}/accel_gpu_floor.cc)
target_link_libraries(skiff_bench_accel_floor PRIVATE skiff_accel_gpu_impl skiff_batching)
# Same allocator as skiff-server (cmake/SkiffMalloc.cmake); the standalone GPU
# build (bench/gpu) has no such function and keeps the system one.
if(COMMAND skiff_link_malloc)
  skiff_link_malloc(skiff_bench_accel_floor)
endif()
get_filename_component(_SKIFF_BENCH_FIXTURES "${CMAKE_CURRENT_LIST_DIR}/../tests/fixtures/models"
                       ABSOLUTE)
target_compile_definitions(skiff_bench_accel_floor PRIVATE
  SKIFF_BENCH_FIXTURE_DIR="${_SKIFF_BENCH_FIXTURES}")
