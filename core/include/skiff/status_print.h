// SPDX-License-Identifier: Apache-2.0
// `std::cout << status` and `std::cout << status_or` for applications and
// tests. Apart from status.h, which every plugin and core file includes, so
// that they do not all pay for <ostream>; the SDK headers include it.
#pragma once

#include <ostream>
#include <type_traits>
#include <utility>

#include "skiff/status.h"

namespace skiff {

// Prints ToString(): "NOT_FOUND: model 'x:3' is not registered", or "OK".
inline std::ostream& operator<<(std::ostream& os, const Status& status) {
  return os << status.ToString();
}

namespace status_print_internal {
template <typename T, typename = void>
struct IsStreamable : std::false_type {};
template <typename T>
struct IsStreamable<T,
                    std::void_t<decltype(std::declval<std::ostream&>() << std::declval<const T&>())>>
    : std::true_type {};
}  // namespace status_print_internal

// An error prints as its Status; a value prints itself where it can be
// streamed, else "OK".
template <typename T>
std::ostream& operator<<(std::ostream& os, const StatusOr<T>& result) {
  if (!result.ok()) return os << result.status();
  if constexpr (status_print_internal::IsStreamable<T>::value) {
    return os << result.value();
  } else {
    return os << "OK";
  }
}

}  // namespace skiff
