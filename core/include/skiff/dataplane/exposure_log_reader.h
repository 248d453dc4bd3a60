// SPDX-License-Identifier: Apache-2.0
// ExposureLogReader: reads the exposure log (server.json
// `routing.exposureLog`, docs/rollout.md "The exposure log") and its rotated
// files a page at a time, oldest line first, for GET /exposure on the
// metrics listener (metrics_endpoint.h). A reader that cannot open the
// router's disk (the AKS plugin, through the Kubernetes API's pod proxy)
// pages through the whole log without a copy, and the server never holds
// more than one page of it in memory.
//
// A cursor names a file by its inode and a byte offset in it, so it stays
// valid while the writer rotates (a rename keeps the inode): `path` becomes
// `path.1`, and the next page goes on from the same place. A hash of the
// bytes before the offset tells a deleted file's inode reused by a newer
// file apart.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "skiff/status.h"

namespace skiff::dataplane {

struct ExposurePage {
  std::string lines;  // whole lines, each ending in '\n'; at most the page's bytes
  std::string next;   // the cursor to ask with for the lines after these
  // Nothing is written past `next` yet: the reader has all there is.
  bool end = false;
  // The cursor's file was rotated away (deleted as the oldest) since: reading
  // went on at the oldest file still there, and what that file held past
  // the cursor, if anything, is lost to this reader.
  bool lost = false;
  // Lines left out because a single one is longer than the page may be
  // (never a line skiff-server writes: those are ~150 bytes).
  int64_t skipped = 0;
};

class ExposureLogReader {
 public:
  // A page when the request names no size, and the most it may name: a
  // page is held in memory while it is sent, on a listener that takes at
  // most 32 connections (so at most 32 MiB at once).
  static constexpr size_t kDefaultPageBytes = 256 * 1024;
  static constexpr size_t kMaxPageBytes = 1024 * 1024;
  static constexpr size_t kMinPageBytes = 1024;

  // The log to serve ("" = none); its rotated files path.1 ... path.100 are
  // found beside it. Called at start and after each reload. Threading: any
  // thread.
  void SetLog(std::string path);
  bool has_log() const;

  // The lines after `cursor` ("" = from the oldest line of the oldest
  // file), at most `max_bytes` of them (clamped to kMinPageBytes..
  // kMaxPageBytes), whole lines only. kInvalidArgument for a cursor this
  // reader did not make; kNotFound when no log is configured; kUnavailable
  // when a file cannot be read. Threading: concurrent.
  StatusOr<ExposurePage> Read(std::string_view cursor, size_t max_bytes) const;

 private:
  mutable std::mutex mu_;  // guards path_
  std::string path_;
};

}  // namespace skiff::dataplane
