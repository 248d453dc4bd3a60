// SPDX-License-Identifier: Apache-2.0
#include "skiff/dataplane/fd_limit.h"

#include <sys/resource.h>

#include <algorithm>

namespace skiff::dataplane {

OpenFileLimit RaiseOpenFileLimit(uint64_t wanted) {
  OpenFileLimit result;
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return result;
  result.before = result.after = limit.rlim_cur;
  if (limit.rlim_cur == RLIM_INFINITY) return result;
  const uint64_t target =
      limit.rlim_max == RLIM_INFINITY ? wanted : std::min<uint64_t>(limit.rlim_max, wanted);
  if (target <= limit.rlim_cur) return result;
  limit.rlim_cur = target;
  if (::setrlimit(RLIMIT_NOFILE, &limit) == 0) result.after = target;
  return result;
}

}  // namespace skiff::dataplane
