// SPDX-License-Identifier: Apache-2.0
// FollowPodLogs: `kubectl logs -f --prefix -l SELECTOR -c CONTAINER` for a
// few (selector, container) sources at once, as `skiff service get-logs
// --follow` needs it on Kubernetes (the router pods and the version pods).
//
//  - Streaming, not polling: one reader thread per pod and container holds
//    GET .../pods/POD/log?follow=true&timestamps=true open (the core HTTP
//    client's Stream(), chunks as they arrive) and splits them into whole
//    lines, each prefixed "[pod/NAME/CONTAINER] " as GetLogs does. The
//    lines reach the sink through one bounded queue, on the caller's thread
//    only (LogSink is single-threaded).
//  - Pods come and go: the sources are listed again every relist_interval;
//    a new pod is followed from its start, a vanished one is dropped
//    without an error. A stream that ends while its pod is still listed (a
//    container restart, the API server closing it) is opened again from
//    the last line's second (sinceTime) and the lines already shown are
//    skipped by their timestamp, so a restart neither repeats nor loses.
//  - A dead connection is not waited on forever: the streams have TCP
//    keepalive on (net::StreamOptions::Keepalive: a peer gone without a
//    FIN or RST fails the read after about 60 s), and a stream that
//    delivers no byte for read_idle_limit (a stalled proxy that keeps
//    ACKing) is ended and opened again as above.
//  - Stops within a tick once the sink returns false, also when no line
//    comes (the sink hears "" every tick). Memory is bounded: a line over
//    max_line_bytes is cut with a marker, the queue holds at most
//    max_queued_bytes (a reader waits while it is full).
//  - Rights: `list` on pods and `get` on pods/log in the namespace; a 401
//    or 403 ends the follow with that error (other failures are retried).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "kube_client.h"
#include "skiff/compute_target.h"
#include "skiff/status.h"

namespace skiff::compute_aks::kube {

struct PodLogSource {
  std::string label_selector;  // the pods: "skiff.io/service=x,app.kubernetes.io/component=router"
  std::string container;       // the container of each whose log is read
};

struct PodLogFollowOptions {
  // How often the pods are listed again (new pods picked up, gone ones dropped).
  std::chrono::milliseconds relist_interval{3000};
  // How often the sink hears "" while nothing comes, and how soon a stop
  // reaches the readers.
  std::chrono::milliseconds tick{200};
  // A longer line is cut there, marked " [skiff: line cut at N bytes]".
  std::size_t max_line_bytes = 16 * 1024;
  // Lines waiting for the sink, at most (their bytes).
  std::size_t max_queued_bytes = 1 << 20;
  // A stream that ended is opened again after 0.5 s, doubling to this
  // while it keeps ending without a line (a container waiting to start).
  std::chrono::milliseconds max_resume_backoff{5000};
  // A stream that delivered no byte for this long is ended and opened again
  // from the last line's second. Keepalive already finds a vanished peer in
  // about a minute; this is for a path that stays up but passes nothing (a
  // stalled proxy that keeps ACKing), which only the silence shows. A quiet
  // pod is normal, so the limit is long: a pod silent for 5 minutes costs
  // one reopen (one GET whose repeated lines, those of the last line's
  // second, are skipped), and a stalled stream resumes within 5 minutes.
  // 0: never (the stream waits for as long as the connection lives).
  std::chrono::milliseconds read_idle_limit{std::chrono::minutes(5)};
};

// Hands `sink` the last `tail_lines` lines (all when < 0) of each container
// of the pods listed at the start, then every new line of every pod the
// sources match over time, until `sink` returns false (OK). Errors: the
// first listing's, or a 401/403 on a later list or log stream.
// Threading: blocks the calling thread; `sink` is called on it only.
Status FollowPodLogs(KubeClient& client, const std::string& namespace_,
                     const std::vector<PodLogSource>& sources, int tail_lines, LogSink* sink,
                     const PodLogFollowOptions& options = {});

// The sort key of a log line's RFC 3339 timestamp ("2026-12-06T17:02:11.318Z"
// -> "2026-12-06T17:02:11.318000000"), "" when `line` does not start with
// one followed by a space; `*text` gets the rest of the line. Exposed for tests.
std::string TimestampKey(const std::string& line, std::string* text);

}  // namespace skiff::compute_aks::kube
