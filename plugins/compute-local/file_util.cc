// SPDX-License-Identifier: Apache-2.0
#include "file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace skiff::compute_local {

std::string AbsolutePath(const std::string& path) {
  if (path.empty()) return path;
  std::error_code ec;
  std::filesystem::path p = std::filesystem::absolute(path, ec);
  if (ec) return path;
  std::string out = p.lexically_normal().string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

std::string AbsolutePathList(const std::string& list) {
  std::string out;
  std::istringstream entries(list);
  std::string entry;
  while (std::getline(entries, entry, ':')) {
    if (entry.empty()) continue;
    out += (out.empty() ? "" : ":") + AbsolutePath(entry);
  }
  return out;
}

std::string TailLines(const std::string& text, int num_lines) {
  if (num_lines <= 0 || text.empty()) return text;
  size_t pos = text.size();
  if (text.back() == '\n') --pos;  // the final newline does not start a line
  int seen = 0;
  while (pos > 0) {
    if (text[pos - 1] == '\n' && ++seen == num_lines) return text.substr(pos);
    --pos;
  }
  return text;
}

}  // namespace skiff::compute_local
