// SPDX-License-Identifier: Apache-2.0
// The build fingerprint a plugin and the host must share for C++ interfaces
// to cross the plugin boundary safely: compiler family and major version,
// libstdc++ release, the std::string/std::list ABI and the skiff ABI major.
//
// Boost's version is deliberately absent: no Boost type crosses the ABI, and
// accelerator plugins (accel-gpu) must build without Boost at all.
#pragma once

#include <cstddef>  // defines _GLIBCXX_RELEASE / _GLIBCXX_USE_CXX11_ABI

#include "skiff/plugin_abi.h"

#define SKIFF_FP_STR2_(x) #x
#define SKIFF_FP_STR_(x) SKIFF_FP_STR2_(x)

#if defined(__clang__)
#define SKIFF_FP_COMPILER_ "clang-" SKIFF_FP_STR_(__clang_major__)
#elif defined(__GNUC__)
#define SKIFF_FP_COMPILER_ "gcc-" SKIFF_FP_STR_(__GNUC__)
#else
#define SKIFF_FP_COMPILER_ "unknown"
#endif

#if defined(_GLIBCXX_RELEASE)
#define SKIFF_FP_STDLIB_ "libstdc++-" SKIFF_FP_STR_(_GLIBCXX_RELEASE)
#elif defined(_LIBCPP_VERSION)
#define SKIFF_FP_STDLIB_ "libc++-" SKIFF_FP_STR_(_LIBCPP_VERSION)
#else
#define SKIFF_FP_STDLIB_ "stdlib-unknown"
#endif

#if defined(_GLIBCXX_USE_CXX11_ABI)
#define SKIFF_FP_CXX11ABI_ "cxx11abi-" SKIFF_FP_STR_(_GLIBCXX_USE_CXX11_ABI)
#else
#define SKIFF_FP_CXX11ABI_ "cxx11abi-na"
#endif

// Plugins may override it only to test the host's refusal.
#ifndef SKIFF_BUILD_FINGERPRINT
#define SKIFF_BUILD_FINGERPRINT                                                        \
  "skiff-abi-" SKIFF_FP_STR_(SKIFF_PLUGIN_ABI_MAJOR) ";" SKIFF_FP_COMPILER_ ";" \
      SKIFF_FP_STDLIB_ ";" SKIFF_FP_CXX11ABI_
#endif
