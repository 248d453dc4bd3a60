// SPDX-License-Identifier: Apache-2.0
// libskiff_sdk.so has no code of its own: it is the skiff_sdk archive linked
// whole (sdk/CMakeLists.txt). CMake wants one source file for a library.
