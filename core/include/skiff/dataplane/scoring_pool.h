// SPDX-License-Identifier: Apache-2.0
// ScoringPool: the workers of one model version. Each worker owns one
// LoadedModel (so Score() is never concurrent on a model) and takes jobs from
// one bounded queue. Azure ML's limits live here:
//   - maxConcurrentRequestsPerContainer -> number of workers,
//   - a full queue, or a job that waited longer than maxQueueWaitMs -> 503,
//   - a job still scoring after scoringTimeoutMs -> 504; its worker is
//     abandoned (it exits when Score() returns) and a replacement worker with
//     a freshly loaded model takes its slot.
// Submit() never blocks, so an I/O thread never waits on a model. With
// `inline_scoring`, a job submitted on an I/O thread that offers it
// (InlineHost) may be scored there instead, once the handler that submitted
// it has returned: run to completion, no hand-off (inline_host.h).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "skiff/accelerator.h"
#include "skiff/dataplane/inline_host.h"
#include "skiff/dataplane/request_context.h"
#include "skiff/status.h"

namespace skiff::dataplane {

struct ScoringPoolOptions {
  int workers = 1;                                   // maxConcurrentRequestsPerContainer
  size_t max_queue = 256;  // jobs waiting; more -> 503 at once (skiff-server sets 4,096: version_builder.cc)
  std::chrono::milliseconds max_queue_wait{500};     // maxQueueWaitMs
  std::chrono::milliseconds scoring_timeout{60000};  // scoringTimeoutMs
  int max_abandoned_workers = 4;  // stuck workers tolerated before no more replacements
  // Run to completion: a job submitted on an InlineHost's thread is scored
  // there (the host's loop, off the connection's strand) instead of by a
  // worker thread, when all of these hold: nothing is queued, a replica is
  // free (it is leased to that thread for the one job, so Score() is still
  // never concurrent on a model), and the last `inline_after_fast` jobs of
  // this pool each took at most `inline_max_compute` in the model. A longer
  // job ends the streak, and jobs go to the workers until the streak is
  // made again: a slow model is never run on an I/O thread on purpose, and
  // one that turns slow or hangs costs the host's stall bound once
  // (inline_host.h). scoringTimeoutMs, Cancel() and replacement of a stuck
  // replica work as for a worker's job. skiff-server turns this on when the
  // process has one CPU (server_config.h, inlineScoring).
  bool inline_scoring = false;
  std::chrono::microseconds inline_max_compute{2000};
  int inline_after_fast = 8;
};

// How a job ended. `status` codes: OK, kUnavailable (queue full / waited too
// long / shutting down -> 503), kDeadlineExceeded (-> 504), kInvalidArgument
// (-> 400), anything else from the model (-> 502).
struct ScoreResult {
  Status status;
  std::vector<Tensor> outputs;
  double queue_seconds = 0;
  double compute_seconds = 0;
};

// A model that queues work itself and calls back when it is done: the
// dynamic batcher's face (core/src/dataplane/batched_model.h). A pool of
// these runs no worker threads: Submit hands each job straight to a model
// (round robin) and the model's own thread scores it and calls back, so a
// request costs no worker hand-off. maxQueueWaitMs is then not applied on
// its own (the model's queue is not the pool's); scoringTimeoutMs bounds
// queueing plus scoring, and a timed-out job's model is not replaced.
class AsyncModel : public LoadedModel {
 public:
  using Callback = std::function<void(StatusOr<std::vector<Tensor>>)>;
  ~AsyncModel() override;
  // Calls `done` exactly once, on any thread, possibly before returning.
  // Threading: may be called concurrently from any thread.
  virtual void ScoreAsync(std::vector<Tensor> inputs, Callback done) = 0;
};

class ScoringPool {
 public:
  // Makes a model for a worker; called on the worker's own thread.
  using ModelFactory = std::function<StatusOr<std::shared_ptr<LoadedModel>>()>;
  using Done = std::function<void(ScoreResult)>;

  // Loads and warms one model per worker (in parallel) and starts them.
  // Fails if any model fails to load or warm up.
  static StatusOr<std::unique_ptr<ScoringPool>> Create(const ScoringPoolOptions& options,
                                                       ModelFactory factory);
  // Fails queued jobs with kUnavailable, waits for running ones, joins.
  ~ScoringPool();

  // Queues a job. `done` is called exactly once, on a worker or the deadline
  // thread, or (inline_scoring) on the caller's InlineHost loop after the
  // caller has returned; never inside Submit. `context` is current on the
  // thread that scores the job while the model scores it
  // (CurrentRequestContext; thread-pool mode). An inline job holds a
  // pointer to this pool until it ends: `done` must keep the pool alive
  // (DataPlane's does: it holds the version) or the host must be stopped
  // first. Threading: may be called concurrently from any thread.
  void Submit(std::vector<Tensor> inputs, Done done, RequestContext context = {});

  // Shutdown's cancel step: answers every queued and running job with `why`
  // now, and every job submitted afterwards at once, without waiting for a
  // model. A running job's model finishes on its worker, which drops that
  // answer (Job::Finish runs once). `done` runs on this thread for the jobs
  // answered here, and on the submitter's for later ones. The workers stay
  // until the destructor joins them. Threading: any thread; idempotent.
  void Cancel(const Status& why);

  // Jobs queued or running.
  int64_t in_flight() const;

  // Jobs scored inline on an InlineHost's thread so far (inline_scoring).
  int64_t inline_scored() const { return inline_scored_.load(std::memory_order_relaxed); }

  // Workers serving or loading (thread pools), or async models. The
  // autoscaler's measure and knob (autoscaler.h).
  int workers() const;
  // Moves towards `workers` (>= 1): new workers load and warm in the
  // background and join when ready; surplus ones finish their job and
  // exit. A pool of async models (dynamic batching) keeps its size.
  // Threading: any thread.
  void Resize(int workers);

  // The signature of the loaded model.
  const Signature& signature() const { return signature_; }
  // Its OIP platform (LoadedModel::platform; "" when the plugin names none).
  const std::string& platform() const { return platform_; }

 private:
  struct Job;
  struct Worker;
  class InlineJob;

  ScoringPool(const ScoringPoolOptions& options, ModelFactory factory);
  Status StartWorker(std::shared_ptr<LoadedModel> model);  // mu_ not held
  void SubmitAsync(std::shared_ptr<Job> job);              // async_models_ mode
  void AsyncDone(const std::shared_ptr<Job>& job, StatusOr<std::vector<Tensor>> scored);
  void WorkerLoop(std::shared_ptr<Worker> worker);
  void DeadlineLoop();
  void Replace();  // loads a replacement worker in the background
  // Inline scoring (options_.inline_scoring): posts `job` to `host`;
  // false when it may not (the caller queues the job as usual).
  bool TryInline(InlineHost* host, std::shared_ptr<Job>& job);
  // When an inline job runs: a free replica, leased to it; null when the
  // job was answered here (shutting down, cancelled) or queued for the
  // workers (no replica free). `this` is not used after a null return.
  std::shared_ptr<Worker> LeaseForInline(const std::shared_ptr<Job>& job);
  // Gives back the lease (`worker`; null: none was taken) and answers the
  // job with `result` (a no-op if it was answered already). `this` is not
  // used after the lease is given back: the destructor may run from then on.
  void EndInline(const std::shared_ptr<Job>& job, const std::shared_ptr<Worker>& worker,
                 ScoreResult result);
  // Counts a finished score towards the inline streak. mu_ held.
  void NoteCompute(double compute_seconds);

  const ScoringPoolOptions options_;
  ModelFactory factory_;  // released by the destructor once no thread can call it
  Signature signature_;
  std::string platform_;  // set by Create, read-only afterwards

  mutable std::mutex mu_;
  std::condition_variable work_cv_;      // workers wait for jobs
  std::condition_variable deadline_cv_;  // deadline thread waits for the next deadline
  std::deque<std::shared_ptr<Job>> queue_;            // guarded by mu_
  std::vector<std::shared_ptr<Job>> running_;         // guarded by mu_
  std::vector<std::shared_ptr<Job>> rejected_;        // queue full; guarded by mu_
  // Async jobs an AsyncModel answered inside Submit (on the caller's
  // thread): the deadline thread delivers them. Guarded by mu_.
  std::vector<std::pair<std::shared_ptr<Job>, ScoreResult>> answered_;
  // Set by Create when every model is an AsyncModel (no worker threads);
  // read-only afterwards until the destructor.
  std::vector<std::shared_ptr<AsyncModel>> async_models_;
  std::atomic<size_t> next_async_{0};
  std::vector<std::shared_ptr<Worker>> workers_;      // guarded by mu_
  std::vector<std::thread> threads_;                  // guarded by mu_
  int abandoned_ = 0;                                 // guarded by mu_
  // Consecutive scores that took at most inline_max_compute; guarded by mu_.
  int fast_streak_ = 0;
  // Inline jobs leased and not yet ended (posted or running): the
  // destructor waits for them (inline_done_cv_). Guarded by mu_.
  int inline_jobs_ = 0;
  std::condition_variable inline_done_cv_;
  std::atomic<int64_t> inline_scored_{0};
  int growing_ = 0;  // workers loading for Resize(); guarded by mu_
  bool stopping_ = false;                             // guarded by mu_
  // Set by Cancel(): what every job is answered from then on. Guarded by mu_.
  std::optional<Status> cancelled_;
  // When the deadline thread will next look, if it is asleep; min() while it
  // is awake (it rescans before sleeping). A new deadline wakes it only if
  // earlier than this, not on every request. Guarded by mu_.
  std::chrono::steady_clock::time_point deadline_wake_ =
      std::chrono::steady_clock::time_point::min();
  std::thread deadline_thread_;
};

}  // namespace skiff::dataplane
