// SPDX-License-Identifier: Apache-2.0
#include "signing_key_store.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <vector>

#include "skiff/config/json_reader.h"
#include "skiff/util/atomic_file.h"
#include "skiff/util/file.h"
#include "skiff/util/private_path.h"

namespace skiff::auth {

namespace {

constexpr std::string_view kKeySuffix = ".key.json";
constexpr char kActiveFile[] = "active";
constexpr char kRetiredFile[] = "retired.json";

uint64_t NextGeneration() {
  static std::atomic<uint64_t> last{0};
  return last.fetch_add(1, std::memory_order_relaxed) + 1;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

bool IsValidKid(std::string_view kid) {
  if (kid.empty() || kid.size() > 64) return false;
  for (char c : kid) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string SigningKeyStore::KeyPath(std::string_view kid) const {
  return options_.dir + "/" + std::string(kid) + std::string(kKeySuffix);
}

StatusOr<std::unique_ptr<SigningKeyStore>> SigningKeyStore::Open(Options options) {
  if (options.dir.empty()) return InvalidArgument("keysDir is empty; name a directory for keys");
  if (!options.now) {
    options.now = [] {
      return static_cast<int64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count());
    };
  }
  std::unique_ptr<SigningKeyStore> store(new SigningKeyStore(std::move(options)));
  SKIFF_RETURN_IF_ERROR(EnsurePrivateDirectory(store->options_.dir));
  SKIFF_RETURN_IF_ERROR(store->Load());
  if (store->current_->keys.empty()) {
    auto kid = store->Rotate(store->options_.algorithm);
    if (!kid.ok()) return kid.status();
  }
  return store;
}

Status SigningKeyStore::Load() {
  auto set = std::make_shared<SigningKeySet>();
  DIR* dir = ::opendir(options_.dir.c_str());
  if (dir == nullptr) return Internal("opendir " + options_.dir + ": " + std::strerror(errno));
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(dir)) names.emplace_back(entry->d_name);
  ::closedir(dir);
  for (const std::string& name : names) {
    if (!EndsWith(name, kKeySuffix)) continue;
    const std::string kid = name.substr(0, name.size() - kKeySuffix.size());
    const std::string path = options_.dir + "/" + name;
    if (!IsValidKid(kid)) return DataLoss(path + ": file name is not a valid kid");
    SKIFF_ASSIGN_OR_RETURN(std::string text, ReadPrivateFile(path));
    auto key = SigningKey::FromKeyFileJson(text);
    if (!key.ok()) return key.status().WithContext(path);
    if ((*key)->kid() != kid) return DataLoss(path + ": kid inside differs from the file name");
    set->keys.emplace(kid, std::move(*key));
  }
  auto retired = ReadPrivateFile(options_.dir + "/" + kRetiredFile);
  if (retired.ok()) {
    const std::string path = options_.dir + "/" + kRetiredFile;
    auto doc = config::ParseJsonObject(*retired, "retired keys");
    if (!doc.ok()) return DataLoss(path + ": " + doc.status().message());
    for (const auto& [kid, until] : doc->items()) {
      if (!until.is_number_integer()) {
        return DataLoss(path + ": '" + kid + "' must map to a Unix second (an integer)");
      }
      // A retired key without its file is already gone: nothing to verify.
      if (set->Find(kid) != nullptr) set->verify_until[kid] = until.get<int64_t>();
    }
  } else if (retired.status().code() != StatusCode::kNotFound) {
    return retired.status();
  }
  auto active = ReadPrivateFile(options_.dir + "/" + kActiveFile);
  if (active.ok()) {
    std::string kid = *active;
    while (!kid.empty() && (kid.back() == '\n' || kid.back() == '\r')) kid.pop_back();
    if (set->Find(kid) == nullptr) {
      return DataLoss(options_.dir + "/active names kid '" + kid + "' which has no key file");
    }
    set->active_kid = kid;
  } else if (active.status().code() != StatusCode::kNotFound) {
    return active.status();
  } else if (!set->keys.empty()) {
    return DataLoss(options_.dir + " holds keys but no 'active' file naming the signing kid");
  }
  set->generation = NextGeneration();
  current_ = std::move(set);
  return OkStatus();
}

std::shared_ptr<const SigningKeySet> SigningKeyStore::Snapshot() const {
  std::shared_lock<std::shared_mutex> lock(read_mu_);
  return current_;
}

Status SigningKeyStore::Publish(std::shared_ptr<SigningKeySet> set) {
  set->generation = NextGeneration();
  std::shared_ptr<const SigningKeySet> old = std::move(set);
  std::unique_lock<std::shared_mutex> lock(read_mu_);
  current_.swap(old);
  return OkStatus();
}

StatusOr<std::string> SigningKeyStore::Rotate(JwsAlg alg) {
  std::lock_guard<std::mutex> lock(write_mu_);
  return RotateLocked(alg);
}

StatusOr<std::string> SigningKeyStore::RotateAndRetire(JwsAlg alg, int64_t grace_seconds) {
  if (grace_seconds < 0) {
    return InvalidArgument("the grace period is " + std::to_string(grace_seconds) +
                           " s; give 0 (old tokens stop at once) or more");
  }
  std::lock_guard<std::mutex> lock(write_mu_);
  SKIFF_ASSIGN_OR_RETURN(std::string kid, RotateLocked(alg));
  const int64_t now = options_.now();
  auto set = std::make_shared<SigningKeySet>(*Snapshot());
  std::vector<std::string> doomed;
  nlohmann::json retired = nlohmann::json::object();
  for (const auto& [old_kid, key] : set->keys) {
    if (old_kid == kid) continue;
    int64_t until = now + grace_seconds;
    if (auto it = set->verify_until.find(old_kid); it != set->verify_until.end()) {
      until = std::min(until, it->second);
    }
    if (grace_seconds == 0 || until < now) {
      doomed.push_back(old_kid);
    } else {
      retired[old_kid] = until;
      set->verify_until[old_kid] = until;
    }
  }
  for (const std::string& old_kid : doomed) {
    set->keys.erase(old_kid);
    set->verify_until.erase(old_kid);
  }
  // The deadlines are on disk before the keys go: a crash in between leaves
  // a deleted key's entry (ignored), never a retired key without a deadline.
  SKIFF_RETURN_IF_ERROR(
      WriteFileAtomically(options_.dir + "/" + kRetiredFile, retired.dump() + "\n", 0600));
  SKIFF_RETURN_IF_ERROR(Publish(std::move(set)));
  for (const std::string& old_kid : doomed) {
    if (::unlink(KeyPath(old_kid).c_str()) != 0 && errno != ENOENT) {
      return Internal("unlink " + KeyPath(old_kid) + ": " + std::strerror(errno));
    }
  }
  return kid;
}

StatusOr<std::string> SigningKeyStore::RotateLocked(JwsAlg alg) {
  SKIFF_ASSIGN_OR_RETURN(auto key, SigningKey::Generate(alg, options_.now()));
  SKIFF_ASSIGN_OR_RETURN(std::string text, key->ToKeyFileJson());
  // Key file first, then the active pointer: a crash in between leaves an
  // extra, unused key, never an `active` naming a missing one.
  SKIFF_RETURN_IF_ERROR(WriteFileAtomically(KeyPath(key->kid()), text, 0600));
  SKIFF_RETURN_IF_ERROR(
      WriteFileAtomically(options_.dir + "/" + kActiveFile, key->kid() + "\n", 0600));
  auto set = std::make_shared<SigningKeySet>(*Snapshot());
  set->active_kid = key->kid();
  set->keys[key->kid()] = key;
  SKIFF_RETURN_IF_ERROR(Publish(std::move(set)));
  return key->kid();
}

Status SigningKeyStore::Remove(std::string_view kid) {
  std::lock_guard<std::mutex> lock(write_mu_);
  auto current = Snapshot();
  if (current->Find(kid) == nullptr)
    return NotFound("no signing key with kid '" + std::string(kid) + "'");
  if (current->active_kid == kid) {
    return FailedPrecondition("kid '" + std::string(kid) +
                              "' is the active signing key; Rotate() before removing it");
  }
  auto set = std::make_shared<SigningKeySet>(*current);
  set->keys.erase(set->keys.find(kid));
  SKIFF_RETURN_IF_ERROR(Publish(std::move(set)));
  if (::unlink(KeyPath(kid).c_str()) != 0 && errno != ENOENT) {
    return Internal("unlink " + KeyPath(kid) + ": " + std::strerror(errno));
  }
  return OkStatus();
}

}  // namespace skiff::auth
