// SPDX-License-Identifier: Apache-2.0
#include "skiff/dataplane/scoring_pool.h"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <utility>

namespace skiff::dataplane {

using Clock = std::chrono::steady_clock;

namespace {

// Score() must not throw, but a plugin that does must cost only its own
// request (-> 502): an exception escaping a worker thread would terminate
// the whole server. The model stays in service.
StatusOr<std::vector<Tensor>> GuardedScore(LoadedModel& model, const std::vector<Tensor>& inputs) {
  try {
    return model.Score(inputs);
  } catch (const std::exception& e) {
    return Internal(std::string("model threw while scoring: ") + e.what());
  } catch (...) {
    return Internal("model threw a non-standard exception while scoring");
  }
}

}  // namespace
AsyncModel::~AsyncModel() = default;

struct ScoringPool::Job {
  std::vector<Tensor> inputs;
  RequestContext context;  // current while the model scores this job
  std::thread::id submitter;  // async mode: the thread inside Submit
  Done done;
  Clock::time_point enqueued;
  Clock::time_point started;
  std::atomic<bool> finished{false};
  std::shared_ptr<Worker> worker;  // set while running; guarded by pool mu_

  // Calls done once; later calls are no-ops (worker vs deadline race).
  void Finish(ScoreResult result) {
    if (finished.exchange(true)) return;
    Done callback = std::move(done);
    callback(std::move(result));
  }
};

struct ScoringPool::Worker {
  std::shared_ptr<LoadedModel> model;
  bool abandoned = false;  // guarded by pool mu_
  bool retired = false;    // Resize() shrank the pool; guarded by pool mu_
  // Scoring a job: on its own thread, or leased to an inline job (its
  // thread then waits). Guarded by pool mu_.
  bool busy = false;
};

// An inline job as its host holds it. Run() scores it on the host's thread
// with a replica leased for the one job (or hands it to the workers when
// none is free then); destroyed unrun (the host stopped first), it answers
// the job 503.
class ScoringPool::InlineJob : public InlineWork {
 public:
  InlineJob(ScoringPool* pool, InlineHost* host, std::shared_ptr<Job> job)
      : pool_(pool), host_(host), job_(std::move(job)) {}
  ~InlineJob() override {
    if (pool_ != nullptr) {
      pool_->EndInline(job_, nullptr, {Unavailable("the server is shutting down"), {}, 0, 0});
    }
  }

  void Run() override {
    ScoringPool* pool = std::exchange(pool_, nullptr);
    std::shared_ptr<Worker> worker = pool->LeaseForInline(job_);
    if (worker == nullptr) return;  // answered already, or handed to the workers
    ScoreResult result;
    {
      const ScopedRequestContext scope(&job_->context);
      // The job's start, read in LeaseForInline just now, is when the
      // watchdog's stall bound starts too (one clock read for both).
      host_->EnterLongWork(job_->started);
      auto scored = GuardedScore(*worker->model, job_->inputs);
      host_->LeaveLongWork();
      if (scored.ok()) {
        result.outputs = std::move(scored).value();
      } else {
        result.status = scored.status();
      }
    }
    result.queue_seconds = std::chrono::duration<double>(job_->started - job_->enqueued).count();
    result.compute_seconds = std::chrono::duration<double>(Clock::now() - job_->started).count();
    pool->EndInline(job_, worker, std::move(result));
  }

 private:
  ScoringPool* pool_;  // null once Run() began
  InlineHost* const host_;
  const std::shared_ptr<Job> job_;
};

ScoringPool::ScoringPool(const ScoringPoolOptions& options, ModelFactory factory)
    : options_(options), factory_(std::move(factory)) {}

StatusOr<std::unique_ptr<ScoringPool>> ScoringPool::Create(const ScoringPoolOptions& options,
                                                           ModelFactory factory) {
  if (options.workers < 1) return InvalidArgument("a scoring pool needs at least one worker");
  std::unique_ptr<ScoringPool> pool(new ScoringPool(options, std::move(factory)));
  // Load replicas in parallel: start-up time is what a rollout waits for.
  std::vector<std::future<StatusOr<std::shared_ptr<LoadedModel>>>> loads;
  for (int i = 0; i < options.workers; ++i) {
    loads.push_back(std::async(std::launch::async, [&pool]() -> StatusOr<std::shared_ptr<LoadedModel>> {
      SKIFF_ASSIGN_OR_RETURN(std::shared_ptr<LoadedModel> model, pool->factory_());
      SKIFF_RETURN_IF_ERROR(model->Warmup().WithContext("warm-up"));
      return model;
    }));
  }
  std::vector<std::shared_ptr<LoadedModel>> models;
  Status first_error;
  for (auto& load : loads) {
    auto model = load.get();
    if (!model.ok() && first_error.ok()) first_error = model.status();
    if (model.ok()) models.push_back(std::move(model).value());
  }
  if (!first_error.ok()) return first_error;
  pool->signature_ = models.front()->signature();
  pool->platform_ = models.front()->platform();
  std::vector<std::shared_ptr<AsyncModel>> async;
  for (auto& model : models) {
    if (auto a = std::dynamic_pointer_cast<AsyncModel>(model)) async.push_back(std::move(a));
  }
  if (async.size() == models.size()) {
    pool->async_models_ = std::move(async);
  } else {
    for (auto& model : models) SKIFF_RETURN_IF_ERROR(pool->StartWorker(std::move(model)));
  }
  pool->deadline_thread_ = std::thread([p = pool.get()] { p->DeadlineLoop(); });
  return pool;
}

ScoringPool::~ScoringPool() {
  std::deque<std::shared_ptr<Job>> orphaned;
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    orphaned.swap(queue_);
  }
  work_cv_.notify_all();
  deadline_cv_.notify_all();
  for (auto& job : orphaned) job->Finish({Unavailable("the model version is shutting down"), {}, 0, 0});
  if (deadline_thread_.joinable()) deadline_thread_.join();
  // Inline jobs end on their hosts' threads (or as their hosts drop them).
  {
    std::unique_lock<std::mutex> lock(mu_);
    inline_done_cv_.wait(lock, [this] { return inline_jobs_ == 0; });
  }
  // Replacement loads may still add threads; take the list once they cannot.
  {
    std::lock_guard<std::mutex> lock(mu_);
    threads.swap(threads_);
  }
  // After stopping_ no thread is added (StartWorker and Replace refuse).
  // A worker stuck inside a model's Score() delays this join. (A pool has
  // either worker threads or async models, never both.)
  for (auto& t : threads) {
    if (t.joinable()) t.join();
  }
  // No thread can call the factory any more. Release it before the models:
  // a factory may hold a model (a capture), and that model must shut down
  // while the pool can still take its answers, not when members are freed.
  factory_ = nullptr;
  // Async models answer what they still hold (on their own threads, which
  // take mu_) as they shut down; then nothing else can answer.
  async_models_.clear();
  std::vector<std::pair<std::shared_ptr<Job>, ScoreResult>> answered;
  {
    std::lock_guard<std::mutex> lock(mu_);
    answered.swap(answered_);
  }
  for (auto& [job, result] : answered) job->Finish(std::move(result));
}

Status ScoringPool::StartWorker(std::shared_ptr<LoadedModel> model) {
  auto worker = std::make_shared<Worker>();
  worker->model = std::move(model);
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return Unavailable("shutting down");
  workers_.push_back(worker);
  threads_.emplace_back([this, worker] { WorkerLoop(worker); });
  return OkStatus();
}

void ScoringPool::Submit(std::vector<Tensor> inputs, Done done, RequestContext context) {
  auto job = std::make_shared<Job>();
  job->inputs = std::move(inputs);
  job->context = std::move(context);
  job->done = std::move(done);
  job->enqueued = Clock::now();
  if (!async_models_.empty()) return SubmitAsync(std::move(job));
  if (options_.inline_scoring) {
    if (InlineHost* host = InlineHost::Current(); host != nullptr && TryInline(host, job)) return;
  }
  enum class Outcome { kQueued, kRejected, kStopping } outcome;
  bool wake_deadline_thread = false;
  Status refusal = Unavailable("the model version is shutting down");
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || cancelled_) {
      outcome = Outcome::kStopping;
      if (cancelled_) refusal = *cancelled_;
    } else if (queue_.size() < options_.max_queue) {
      queue_.push_back(job);
      outcome = Outcome::kQueued;
      wake_deadline_thread = job->enqueued + options_.max_queue_wait < deadline_wake_;
    } else {
      rejected_.push_back(job);  // answered by the deadline thread, off the caller's thread
      outcome = Outcome::kRejected;
      wake_deadline_thread = true;
    }
  }
  if (outcome == Outcome::kStopping) {
    // Only during destruction or after Cancel(), when no worker is to answer.
    job->Finish({std::move(refusal), {}, 0, 0});
    return;
  }
  if (outcome == Outcome::kQueued) work_cv_.notify_one();
  if (wake_deadline_thread) deadline_cv_.notify_one();
}

void ScoringPool::SubmitAsync(std::shared_ptr<Job> job) {
  job->started = job->enqueued;
  job->submitter = std::this_thread::get_id();
  enum class Outcome { kQueued, kRejected, kStopping } outcome;
  bool wake_deadline_thread = false;
  Status refusal = Unavailable("the model version is shutting down");
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || cancelled_) {
      outcome = Outcome::kStopping;
      if (cancelled_) refusal = *cancelled_;
    } else if (running_.size() >= options_.max_queue) {
      rejected_.push_back(job);  // answered by the deadline thread
      outcome = Outcome::kRejected;
      wake_deadline_thread = true;
    } else {
      running_.push_back(job);  // for scoringTimeoutMs
      outcome = Outcome::kQueued;
      wake_deadline_thread = job->started + options_.scoring_timeout < deadline_wake_;
    }
  }
  if (wake_deadline_thread) deadline_cv_.notify_one();
  if (outcome == Outcome::kStopping) {
    // Only during destruction or after Cancel(), when no model is to answer.
    job->Finish({std::move(refusal), {}, 0, 0});
    return;
  }
  if (outcome == Outcome::kRejected) return;
  AsyncModel& model = *async_models_[next_async_.fetch_add(1) % async_models_.size()];
  model.ScoreAsync(std::move(job->inputs), [this, job](StatusOr<std::vector<Tensor>> scored) {
    AsyncDone(job, std::move(scored));
  });
}

void ScoringPool::AsyncDone(const std::shared_ptr<Job>& job, StatusOr<std::vector<Tensor>> scored) {
  ScoreResult result;
  if (scored.ok()) {
    result.outputs = std::move(scored).value();
  } else {
    result.status = scored.status();
  }
  result.compute_seconds = std::chrono::duration<double>(Clock::now() - job->started).count();
  // `done` must not run on the thread inside Submit (an I/O thread).
  const bool on_submitter = std::this_thread::get_id() == job->submitter;
  {
    std::lock_guard<std::mutex> lock(mu_);
    running_.erase(std::remove(running_.begin(), running_.end(), job), running_.end());
    if (on_submitter) answered_.emplace_back(job, std::move(result));
  }
  if (on_submitter) {
    deadline_cv_.notify_one();
    return;
  }
  job->Finish(std::move(result));
}

void ScoringPool::Cancel(const Status& why) {
  std::deque<std::shared_ptr<Job>> queued;
  std::vector<std::shared_ptr<Job>> running;
  {
    std::lock_guard<std::mutex> lock(mu_);
    cancelled_ = why;
    queued.swap(queue_);
    // Running jobs stay listed: their workers take them off when the model
    // returns, and the deadline thread skips finished ones.
    running = running_;
  }
  for (auto& job : queued) job->Finish({why, {}, 0, 0});
  for (auto& job : running) job->Finish({why, {}, 0, 0});
}

int64_t ScoringPool::in_flight() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int64_t>(queue_.size() + running_.size());
}

int ScoringPool::workers() const {
  if (!async_models_.empty()) return static_cast<int>(async_models_.size());
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(workers_.size()) + growing_;
}

void ScoringPool::Resize(int workers) {
  if (!async_models_.empty() || workers < 1) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return;
  int have = static_cast<int>(workers_.size()) + growing_;
  for (; have < workers; ++have) {
    ++growing_;
    threads_.emplace_back([this] {
      auto model = factory_();
      if (model.ok() && !(*model)->Warmup().ok()) model = Internal("warm-up failed");
      // Joins and stops counting as growing in one step, so workers() never
      // counts it twice.
      std::lock_guard<std::mutex> done(mu_);
      --growing_;
      if (!model.ok() || stopping_) return;
      auto worker = std::make_shared<Worker>();
      worker->model = std::move(model).value();
      workers_.push_back(worker);
      threads_.emplace_back([this, worker] { WorkerLoop(worker); });
    });
  }
  // Idle or not, a retired worker finishes the job it holds, then exits.
  while (have > workers && !workers_.empty()) {
    workers_.back()->retired = true;
    workers_.pop_back();
    --have;
  }
  work_cv_.notify_all();
}

void ScoringPool::WorkerLoop(std::shared_ptr<Worker> worker) {
  // top -H, perf and gdb name the server's threads (docs/architecture.md).
  pthread_setname_np(pthread_self(), "skiff-score");
  for (;;) {
    std::shared_ptr<Job> job;
    bool wake_deadline_thread = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      // A replica leased to an inline job (busy) waits for it to end.
      work_cv_.wait(lock, [&] {
        return worker->abandoned || worker->retired || (stopping_ && queue_.empty()) ||
               (!queue_.empty() && !worker->busy);
      });
      if (worker->abandoned || worker->retired || queue_.empty()) return;
      job = queue_.front();
      queue_.pop_front();
      job->started = Clock::now();
      job->worker = worker;
      worker->busy = true;
      running_.push_back(job);
      wake_deadline_thread = job->started + options_.scoring_timeout < deadline_wake_;
    }
    if (wake_deadline_thread) deadline_cv_.notify_one();
    const double queue_s = std::chrono::duration<double>(job->started - job->enqueued).count();
    ScoreResult result;
    if (job->started - job->enqueued > options_.max_queue_wait) {
      result.status = Unavailable("request waited longer than maxQueueWaitMs (" +
                                  std::to_string(options_.max_queue_wait.count()) + " ms)");
    } else if (!job->finished.load()) {
      const ScopedRequestContext scope(&job->context);
      auto scored = GuardedScore(*worker->model, job->inputs);
      if (scored.ok()) {
        result.outputs = std::move(scored).value();
      } else {
        result.status = scored.status();
      }
    }
    result.queue_seconds = queue_s;
    result.compute_seconds = std::chrono::duration<double>(Clock::now() - job->started).count();
    bool abandoned;
    {
      std::lock_guard<std::mutex> lock(mu_);
      running_.erase(std::remove(running_.begin(), running_.end(), job), running_.end());
      job->worker = nullptr;
      worker->busy = false;
      abandoned = worker->abandoned;
      NoteCompute(result.compute_seconds);
    }
    job->Finish(std::move(result));
    if (abandoned) return;
  }
}

void ScoringPool::DeadlineLoop() {
  pthread_setname_np(pthread_self(), "skiff-deadline");
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    const auto now = Clock::now();
    auto next = now + std::chrono::seconds(1);
    std::vector<std::shared_ptr<Job>> expired_queue, expired_running, rejected;
    std::vector<std::pair<std::shared_ptr<Job>, ScoreResult>> answered;
    rejected.swap(rejected_);
    answered.swap(answered_);
    for (auto it = queue_.begin(); it != queue_.end();) {
      auto deadline = (*it)->enqueued + options_.max_queue_wait;
      if (deadline <= now) {
        expired_queue.push_back(*it);
        it = queue_.erase(it);
      } else {
        next = std::min(next, deadline);
        ++it;
      }
    }
    for (auto& job : running_) {
      if (job->finished.load()) continue;
      auto deadline = job->started + options_.scoring_timeout;
      if (deadline <= now) {
        expired_running.push_back(job);
        if (job->worker && !job->worker->abandoned) {
          job->worker->abandoned = true;
          workers_.erase(std::remove(workers_.begin(), workers_.end(), job->worker),
                         workers_.end());
          ++abandoned_;
          // An inline job's replica has a thread of its own, waiting: it exits.
          work_cv_.notify_all();
        }
      } else {
        next = std::min(next, deadline);
      }
    }
    if (!expired_queue.empty() || !expired_running.empty() || !rejected.empty() ||
        !answered.empty()) {
      const bool replace = !expired_running.empty() && async_models_.empty() &&
                           abandoned_ <= options_.max_abandoned_workers;
      lock.unlock();
      for (auto& [job, result] : answered) job->Finish(std::move(result));
      for (auto& job : rejected) {
        job->Finish({Unavailable("the scoring queue is full (" +
                                 std::to_string(options_.max_queue) + " waiting); retry later"),
                     {}, 0, 0});
      }
      for (auto& job : expired_queue) {
        job->Finish({Unavailable("request waited longer than maxQueueWaitMs (" +
                                 std::to_string(options_.max_queue_wait.count()) + " ms)"),
                     {}, 0, 0});
      }
      for (auto& job : expired_running) {
        job->Finish({DeadlineExceeded("scoring took longer than scoringTimeoutMs (" +
                                      std::to_string(options_.scoring_timeout.count()) + " ms)"),
                     {}, 0, 0});
        if (replace) Replace();
      }
      lock.lock();
      continue;
    }
    deadline_wake_ = next;
    deadline_cv_.wait_until(lock, next);
    deadline_wake_ = Clock::time_point::min();
  }
}

bool ScoringPool::TryInline(InlineHost* host, std::shared_ptr<Job>& job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Queued jobs came first; a streak not made yet means a model not known
    // to be quick (a cold pool, or one that just ran long). A replica is
    // leased when the job runs, not now: jobs the same loop takes one after
    // another all run there, each with the replica the last one gave back.
    if (stopping_ || cancelled_ || !queue_.empty() || fast_streak_ < options_.inline_after_fast) {
      return false;
    }
    ++inline_jobs_;
  }
  host->Post(std::make_unique<InlineJob>(this, host, std::move(job)));
  return true;
}

std::shared_ptr<ScoringPool::Worker> ScoringPool::LeaseForInline(const std::shared_ptr<Job>& job) {
  std::shared_ptr<Worker> worker;
  bool wake_deadline_thread = false;
  Status refusal;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || cancelled_) {
      refusal = cancelled_ ? *cancelled_ : Unavailable("the model version is shutting down");
    } else {
      for (const auto& w : workers_) {
        if (!w->busy) {
          worker = w;
          break;
        }
      }
      if (worker != nullptr) {
        worker->busy = true;
        job->started = Clock::now();
        job->worker = worker;
        running_.push_back(job);  // for scoringTimeoutMs and Cancel()
        wake_deadline_thread = job->started + options_.scoring_timeout < deadline_wake_;
      } else {
        // Every replica is scoring on a worker thread (or leased to another
        // loop): the job queues as any other, ahead of later ones.
        queue_.push_front(job);
        wake_deadline_thread = job->enqueued + options_.max_queue_wait < deadline_wake_;
        work_cv_.notify_all();
      }
    }
    if (wake_deadline_thread) deadline_cv_.notify_one();
    if (worker == nullptr && --inline_jobs_ == 0) inline_done_cv_.notify_all();
  }
  // `this` may be gone from here on unless a replica was leased.
  if (!refusal.ok()) job->Finish({std::move(refusal), {}, 0, 0});
  return worker;
}

void ScoringPool::EndInline(const std::shared_ptr<Job>& job, const std::shared_ptr<Worker>& worker,
                            ScoreResult result) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (worker != nullptr) {
      running_.erase(std::remove(running_.begin(), running_.end(), job), running_.end());
      job->worker = nullptr;
      worker->busy = false;
      inline_scored_.fetch_add(1, std::memory_order_relaxed);
      NoteCompute(result.compute_seconds);
      if (!queue_.empty() && !worker->abandoned) work_cv_.notify_all();
    }
    // Notified under the lock: once inline_jobs_ is 0 the destructor may
    // run, and nothing of `this` may be touched after the unlock.
    if (--inline_jobs_ == 0) inline_done_cv_.notify_all();
  }
  job->Finish(std::move(result));
}

void ScoringPool::NoteCompute(double compute_seconds) {
  const double bound = std::chrono::duration<double>(options_.inline_max_compute).count();
  if (compute_seconds > bound) {
    fast_streak_ = 0;
  } else if (fast_streak_ < options_.inline_after_fast) {
    ++fast_streak_;
  }
}

void ScoringPool::Replace() {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return;
  threads_.emplace_back([this] {
    auto model = factory_();
    if (model.ok() && (*model)->Warmup().ok()) (void)StartWorker(std::move(model).value());
  });
}

}  // namespace skiff::dataplane
