// SPDX-License-Identifier: Apache-2.0
#include "pod_log_follower.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string_view>
#include <thread>

#include "skiff/util/debug_log.h"

namespace skiff::compute_aks::kube {
namespace {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

// Retries of one pod listing, all together: a relist must not keep the
// sink (and so the user's Ctrl-C) waiting for long.
constexpr std::chrono::milliseconds kListBudget{5000};
constexpr std::chrono::milliseconds kFirstResume{500};

// The lines on their way from the readers to the caller's thread, bounded
// by their bytes; also the readers' stop signal and the first fatal error.
class LineQueue {
 public:
  explicit LineQueue(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  // Waits while the queue is full; false once stopped (the reader ends).
  bool Push(std::string line) {
    std::unique_lock<std::mutex> lock(mu_);
    changed_.wait(lock, [&] { return stopped_ || bytes_ < max_bytes_; });
    if (stopped_) return false;
    bytes_ += line.size();
    lines_.push_back(std::move(line));
    changed_.notify_all();
    return true;
  }
  // Everything queued, as one text, waiting up to `wait` for a first line.
  std::string Take(std::chrono::milliseconds wait) {
    std::unique_lock<std::mutex> lock(mu_);
    changed_.wait_for(lock, wait, [&] { return stopped_ || !lines_.empty() || !error_.ok(); });
    std::string out;
    for (const auto& line : lines_) out += line;
    lines_.clear();
    bytes_ = 0;
    changed_.notify_all();
    return out;
  }
  // Sleeps up to `d`, less when stopped or woken; true when stopped.
  bool Sleep(std::chrono::milliseconds d) {
    std::unique_lock<std::mutex> lock(mu_);
    const uint64_t seen = wakes_;
    changed_.wait_for(lock, d, [&] { return stopped_ || wakes_ != seen; });
    return stopped_;
  }
  void Wake() {
    std::lock_guard<std::mutex> lock(mu_);
    ++wakes_;
    changed_.notify_all();
  }
  void Stop() {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
    changed_.notify_all();
  }
  bool stopped() {
    std::lock_guard<std::mutex> lock(mu_);
    return stopped_;
  }
  // Keeps the first error; the caller's thread ends the follow with it.
  void Fail(Status error) {
    std::lock_guard<std::mutex> lock(mu_);
    if (error_.ok()) error_ = std::move(error);
    changed_.notify_all();
  }
  Status error() {
    std::lock_guard<std::mutex> lock(mu_);
    return error_;
  }

 private:
  const std::size_t max_bytes_;
  std::mutex mu_;                    // guards everything below
  std::condition_variable changed_;  // any change below
  std::deque<std::string> lines_;
  std::size_t bytes_ = 0;  // of lines_
  bool stopped_ = false;
  uint64_t wakes_ = 0;
  Status error_;
};

// One container of one pod, read on a thread of its own.
struct Reader {
  std::size_t source = 0;  // index into the sources
  std::string pod, container;
  int tail_lines = -1;            // on the first stream (until a line was shown)
  std::atomic<bool> gone{false};  // set by the caller's thread: no longer listed
  std::atomic<bool> done{false};  // set by the reader as it ends
  std::thread thread;
};

bool Fatal(const Status& s) {
  return s.code() == StatusCode::kUnauthenticated || s.code() == StatusCode::kPermissionDenied;
}

void ReadPod(KubeClient& client, const std::string& ns, Reader& r, LineQueue& queue,
             const PodLogFollowOptions& o) {
  const std::string prefix = "[pod/" + r.pod + "/" + r.container + "] ";
  const std::string where = "pod/" + r.pod + "/" + r.container;
  std::string last_key;      // the newest line shown, by its timestamp
  std::string resume_after;  // while a reopened stream repeats: the last key shown before
  std::string partial;       // the bytes after the last newline
  bool cutting = false;      // dropping the rest of a line that was cut
  const auto keep_going = [&] { return !r.gone && !queue.stopped(); };
  const auto emit = [&](const std::string& line) {
    std::string text;
    const std::string key = TimestampKey(line, &text);
    if (!key.empty()) {
      // Shown before the stream was opened again from that second. Only
      // then: within one stream two lines may carry the same time.
      if (!resume_after.empty()) {
        if (key <= resume_after) return true;
        resume_after.clear();
      }
      last_key = std::max(last_key, key);
    }
    return queue.Push(prefix + text + "\n");
  };
  const auto on_data = [&](std::string_view piece) {
    std::size_t i = 0;
    while (i < piece.size()) {
      const std::size_t newline = piece.find('\n', i);
      const std::size_t end = newline == std::string_view::npos ? piece.size() : newline;
      if (!cutting) {
        const std::size_t room = o.max_line_bytes - partial.size();
        partial.append(piece.data() + i, std::min(end - i, room));
        if (end - i > room) {
          if (!emit(partial + " [skiff: line cut at " + std::to_string(o.max_line_bytes) +
                    " bytes]")) {
            return false;
          }
          cutting = true;
        }
      }
      if (newline == std::string_view::npos) break;
      if (!cutting && !emit(partial)) return false;
      partial.clear();
      cutting = false;
      i = newline + 1;
    }
    return keep_going();
  };

  net::StreamOptions stream;
  stream.idle_tick = o.tick;
  stream.read_idle_limit = o.read_idle_limit;
  auto backoff = kFirstResume;
  while (keep_going()) {
    PodLogQuery query;
    query.container = r.container;
    if (last_key.empty()) {
      query.tail_lines = r.tail_lines;
    } else {
      query.since_time = last_key.substr(0, 19) + "Z";  // the API takes whole seconds
    }
    const std::string before = last_key;
    resume_after = last_key;
    const Status s = client.StreamPodLog(ns, r.pod, query, on_data, stream);
    // A last line without its newline (the container stopped mid-line) is
    // shown; should the stream resume, it comes again and is skipped.
    if (!partial.empty() && !cutting && keep_going()) emit(partial);
    partial.clear();
    cutting = false;
    if (!keep_going()) break;
    if (s.code() == StatusCode::kNotFound) break;  // the pod went: nothing more to read
    if (Fatal(s)) {
      queue.Fail(s.WithContext("following the logs needs `get` on pods/log"));
      break;
    }
    DebugLog("log stream of " + where + (s.ok() ? " ended" : ": " + s.message()) +
             "; opening it again" + (last_key.empty() ? "" : " from " + query.since_time));
    // A stream ended for its silence was no stream ending at once (the
    // container waiting to start): it is opened again without growing waits.
    const bool idle = s.code() == StatusCode::kDeadlineExceeded;
    backoff =
        last_key != before || idle ? kFirstResume : std::min(backoff * 2, o.max_resume_backoff);
    if (queue.Sleep(backoff)) break;
  }
  r.done = true;
}

// The readers, stopped and joined however the follow ends.
class Readers {
 public:
  explicit Readers(LineQueue& queue) : queue_(queue) {}
  ~Readers() {
    queue_.Stop();
    for (auto& [key, r] : map_) {
      if (r->thread.joinable()) r->thread.join();
    }
  }
  std::map<std::string, std::unique_ptr<Reader>>& map() { return map_; }

 private:
  LineQueue& queue_;
  std::map<std::string, std::unique_ptr<Reader>> map_;  // key: "pod/container"
};

bool Digits(const std::string& s, std::size_t from, std::size_t n) {
  if (s.size() < from + n) return false;
  for (std::size_t i = from; i < from + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

}  // namespace

std::string TimestampKey(const std::string& line, std::string* text) {
  *text = line;
  // YYYY-MM-DDTHH:MM:SS[.fraction]Z, as the kubelet writes it (UTC).
  if (!(Digits(line, 0, 4) && line.size() > 19 && line[4] == '-' && Digits(line, 5, 2) &&
        line[7] == '-' && Digits(line, 8, 2) && line[10] == 'T' && Digits(line, 11, 2) &&
        line[13] == ':' && Digits(line, 14, 2) && line[16] == ':' && Digits(line, 17, 2))) {
    return "";
  }
  std::size_t i = 19;
  std::string fraction;
  if (line[i] == '.') {
    ++i;
    while (i < line.size() && std::isdigit(static_cast<unsigned char>(line[i]))) {
      if (fraction.size() < 9) fraction.push_back(line[i]);
      ++i;
    }
    if (fraction.empty()) return "";
  }
  if (i >= line.size() || line[i] != 'Z') return "";
  ++i;
  if (i < line.size() && line[i] != ' ') return "";
  fraction.resize(9, '0');
  *text = i < line.size() ? line.substr(i + 1) : "";
  return line.substr(0, 19) + "." + fraction;
}

Status FollowPodLogs(KubeClient& client, const std::string& namespace_,
                     const std::vector<PodLogSource>& sources, int tail_lines, LogSink* sink,
                     const PodLogFollowOptions& options) {
  LineQueue queue(options.max_queued_bytes);
  Readers readers(queue);
  auto& map = readers.map();
  // Readers that ended while their pod was still listed (it went between
  // two listings): not started again while it stays listed.
  std::map<std::string, std::size_t> ended;  // key -> its source
  bool first = true;
  auto next_list = SteadyClock::now();
  for (;;) {
    if (SteadyClock::now() >= next_list) {
      for (std::size_t s = 0; s < sources.size(); ++s) {
        const PodLogSource& source = sources[s];
        auto pods = client.List("v1", "Pod", namespace_, source.label_selector, kListBudget);
        if (!pods.ok()) {
          if (Fatal(pods.status())) {
            return pods.status().WithContext("following the logs needs `list` on pods");
          }
          if (first) return pods.status();
          DebugLog("listing the pods " + source.label_selector + ": " + pods.status().message() +
                   "; trying again");
          continue;
        }
        std::set<std::string> listed;
        for (const json& pod : *pods) {
          const std::string name = pod.value("metadata", json::object()).value("name", "");
          if (name.empty()) continue;
          const std::string key = name + "/" + source.container;
          listed.insert(key);
          if (map.count(key) > 0 || ended.count(key) > 0) continue;
          auto r = std::make_unique<Reader>();
          r->source = s;
          r->pod = name;
          r->container = source.container;
          // Pods there at the start: their tail; later ones from their start.
          r->tail_lines = first ? tail_lines : -1;
          Reader* raw = r.get();
          DebugLog("following pod/" + key + (first ? "" : " (new) from its start"));
          map.emplace(key, std::move(r));
          raw->thread = std::thread([&client, &namespace_, raw, &queue, &options] {
            ReadPod(client, namespace_, *raw, queue, options);
          });
        }
        for (auto& [key, r] : map) {
          if (r->source == s && listed.count(key) == 0 && !r->gone) {
            DebugLog("pod/" + key + " is gone; no longer followed");
            r->gone = true;
          }
        }
        for (auto it = ended.begin(); it != ended.end();) {
          it = it->second == s && listed.count(it->first) == 0 ? ended.erase(it) : std::next(it);
        }
      }
      queue.Wake();  // readers of gone pods end now, not after their backoff
      first = false;
      next_list = SteadyClock::now() + options.relist_interval;
    }
    for (auto it = map.begin(); it != map.end();) {
      if (!it->second->done) {
        ++it;
        continue;
      }
      it->second->thread.join();
      if (!it->second->gone) ended.emplace(it->first, it->second->source);
      it = map.erase(it);
    }
    const std::string text = queue.Take(options.tick);
    if (Status failed = queue.error(); !failed.ok()) return failed;
    if (!sink->Write(text)) return OkStatus();
  }
}

}  // namespace skiff::compute_aks::kube
