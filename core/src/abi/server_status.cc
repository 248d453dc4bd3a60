// SPDX-License-Identifier: Apache-2.0
#include "skiff/server_status.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "skiff/util/atomic_file.h"

namespace skiff {
namespace {

// A refusal can quote a multi-line message; the format is one line each.
std::string OneLine(const std::string& text) {
  std::string out = text;
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

bool ParseInt(const std::string& text, int64_t* out) {
  if (text.empty()) return false;
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || end == text.c_str() || *end != '\0') return false;
  *out = v;
  return true;
}

}  // namespace

std::string SerializeServerStatus(const ServerStatus& status) {
  return "applied " + std::to_string(status.applied_generation) + "\nrefused " +
         std::to_string(status.refused_generation) + "\nrefusal " + OneLine(status.refusal) + "\n";
}

StatusOr<ServerStatus> ParseServerStatus(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::string applied, refused, refusal;
  ServerStatus status;
  const bool ok = std::getline(in, applied) && std::getline(in, refused) &&
                  std::getline(in, refusal) && applied.rfind("applied ", 0) == 0 &&
                  refused.rfind("refused ", 0) == 0 && refusal.rfind("refusal ", 0) == 0 &&
                  ParseInt(applied.substr(8), &status.applied_generation) &&
                  ParseInt(refused.substr(8), &status.refused_generation);
  if (!ok) {
    return DataLoss(
        "server status is not \"applied <n>\\nrefused <n>\\nrefusal <text>\\n\" (written by "
        "skiff-server; it rewrites the file on its next start or reload)");
  }
  status.refusal = refusal.substr(8);
  return status;
}

Status WriteServerStatus(const std::string& path, const ServerStatus& status) {
  return WriteFileAtomically(path, SerializeServerStatus(status), 0600);
}

StatusOr<ServerStatus> ReadServerStatus(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return NotFound(path + " does not exist");
    return Unavailable("cannot read " + path + ": " + std::strerror(errno));
  }
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = ParseServerStatus(text.str());
  if (!parsed.ok()) return parsed.status().WithContext(path);
  return parsed;
}

}  // namespace skiff
