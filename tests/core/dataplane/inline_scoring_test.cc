// SPDX-License-Identifier: Apache-2.0
// Run to completion (ScoringPoolOptions::inline_scoring, inline_host.h):
// which jobs a pool scores on the submitting loop's thread, that every
// guarantee of a worker's job holds for them (one Score per model at a
// time, scoringTimeoutMs, Cancel, replacement of a stuck replica, an answer
// for work the host drops), and that HttpServer's loop keeps serving other
// connections while inline work holds its only I/O thread.
#include <gtest/gtest.h>

#include "gate.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>

#include "raw_client.h"
#include "skiff/dataplane/http_server.h"
#include "skiff/dataplane/inline_host.h"
#include "skiff/dataplane/scoring_pool.h"

namespace skiff::dataplane {
namespace {

using skiff::testing::Gate;
using skiff::testing::WaitFor;

using Clock = std::chrono::steady_clock;


struct Shared {
  std::atomic<int> loads{0};
  std::atomic<int> entered{0};
  std::atomic<bool> block{false};       // Score waits for the gate
  std::atomic<int> sleep_ms{0};         // Score takes this long (a slow model)
  Gate gate;
  std::mutex mu;
  std::vector<std::thread::id> scored_on;  // mu
};

class FakeModel : public LoadedModel {
 public:
  explicit FakeModel(Shared* shared) : shared_(shared) {
    sig_.inputs.push_back({"x", DataType::kFp32, {-1}});
    sig_.outputs.push_back({"y", DataType::kFp32, {-1}});
  }
  const Signature& signature() const override { return sig_; }
  Status Warmup() override { return OkStatus(); }
  StatusOr<std::vector<Tensor>> Score(const std::vector<Tensor>& inputs) override {
    EXPECT_FALSE(busy_.exchange(true)) << "Score() entered concurrently on one model";
    {
      std::lock_guard<std::mutex> l(shared_->mu);
      shared_->scored_on.push_back(std::this_thread::get_id());
    }
    ++shared_->entered;
    if (shared_->block) shared_->gate.Wait();
    // The model's own cost, as a slow model has it (not a synchronisation).
    if (int ms = shared_->sleep_ms.load()) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    busy_ = false;
    Tensor y = inputs[0];
    y.name = "y";
    return std::vector<Tensor>{y};
  }

 private:
  Shared* shared_;
  Signature sig_;
  std::atomic<bool> busy_{false};
};

ScoringPool::ModelFactory Factory(Shared* shared) {
  return [shared]() -> StatusOr<std::shared_ptr<LoadedModel>> {
    ++shared->loads;
    return std::shared_ptr<LoadedModel>(new FakeModel(shared));
  };
}

std::vector<Tensor> Input() { return {Tensor{"x", DataType::kFp32, {1}, {1, 0, 0, 0}}}; }

std::future<ScoreResult> Submit(ScoringPool& pool) {
  auto p = std::make_shared<std::promise<ScoreResult>>();
  auto f = p->get_future();
  pool.Submit(Input(), [p](ScoreResult r) { p->set_value(std::move(r)); });
  return f;
}


// An InlineHost whose loop is one thread of its own: Do() runs a function
// there (Current() is this host), then whatever was posted meanwhile, in
// order, as an I/O loop runs the handlers posted during a handler.
class TestLoop : public InlineHost {
 public:
  TestLoop() : thread_([this] { Loop(); }) {}
  ~TestLoop() override {
    {
      std::lock_guard<std::mutex> l(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
    posted_.clear();  // work never run: InlineWork answers for itself
  }

  // Runs `fn` on the loop and returns at once.
  void Do(std::function<void()> fn) {
    {
      std::lock_guard<std::mutex> l(mu_);
      tasks_.push_back(std::move(fn));
    }
    cv_.notify_all();
  }
  // Runs `fn` on the loop and waits for it (not for the work it posts).
  void DoAndWait(std::function<void()> fn) {
    std::promise<void> done;
    Do([&] {
      fn();
      done.set_value();
    });
    done.get_future().get();
  }
  // Posted work is held, not run, until Release() (a stopped loop's).
  void Hold() { hold_ = true; }
  void DropHeld() {
    std::lock_guard<std::mutex> l(mu_);
    held_.clear();
  }

  std::thread::id id() const { return thread_.get_id(); }
  int long_work() const { return long_work_.load(); }

  void Post(std::unique_ptr<InlineWork> work) override {
    if (hold_) {
      held_.push_back(std::move(work));  // on the loop thread
      return;
    }
    posted_.push_back(std::move(work));
  }
  void EnterLongWork(std::chrono::steady_clock::time_point) override { ++long_work_; }
  void LeaveLongWork() override {}

 private:
  void Loop() {
    SetCurrent(this);
    std::unique_lock<std::mutex> l(mu_);
    for (;;) {
      cv_.wait(l, [&] { return stop_ || !tasks_.empty(); });
      if (tasks_.empty()) return;
      auto fn = std::move(tasks_.front());
      tasks_.pop_front();
      l.unlock();
      fn();
      while (!posted_.empty()) {
        auto work = std::move(posted_.front());
        posted_.pop_front();
        work->Run();
      }
      l.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;  // mu_
  bool stop_ = false;                        // mu_
  std::deque<std::unique_ptr<InlineWork>> posted_;  // loop thread
  std::vector<std::unique_ptr<InlineWork>> held_;   // loop thread, then DropHeld
  std::atomic<bool> hold_{false};
  std::atomic<int> long_work_{0};
  std::thread thread_;
};

ScoringPoolOptions InlineOptions() {
  ScoringPoolOptions options;
  options.inline_scoring = true;
  options.inline_after_fast = 3;
  options.inline_max_compute = std::chrono::milliseconds(50);
  return options;
}

// The streak: `n` quick jobs from the test thread (scored by a worker).
void MakeStreak(ScoringPool& pool, int n) {
  for (int i = 0; i < n; ++i) ASSERT_TRUE(Submit(pool).get().status.ok());
}

std::thread::id LastScoredOn(Shared& shared) {
  std::lock_guard<std::mutex> l(shared.mu);
  return shared.scored_on.back();
}

TEST(InlineScoringTest, AQuickModelIsScoredOnTheLoopThatSubmittedOnceItsStreakIsMade) {
  Shared shared;
  auto pool = ScoringPool::Create(InlineOptions(), Factory(&shared));
  ASSERT_TRUE(pool.ok());
  TestLoop loop;
  // Before the streak: a worker scores it, even when submitted on the loop.
  std::future<ScoreResult> cold;
  loop.DoAndWait([&] { cold = Submit(**pool); });
  ASSERT_TRUE(cold.get().status.ok());
  EXPECT_NE(LastScoredOn(shared), loop.id());
  MakeStreak(**pool, 3);
  EXPECT_EQ((*pool)->inline_scored(), 0);

  std::future<ScoreResult> hot;
  bool answered_inside_submit = true;
  loop.DoAndWait([&] {
    hot = Submit(**pool);
    answered_inside_submit =
        hot.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
  });
  EXPECT_FALSE(answered_inside_submit) << "done ran inside Submit";
  ScoreResult r = hot.get();
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.outputs.at(0).name, "y");
  EXPECT_EQ(LastScoredOn(shared), loop.id());
  EXPECT_EQ((*pool)->inline_scored(), 1);
  EXPECT_EQ(loop.long_work(), 1) << "the model's Score is bracketed as long work";
  // Not on a loop: a worker, as ever.
  ASSERT_TRUE(Submit(**pool).get().status.ok());
  EXPECT_NE(LastScoredOn(shared), loop.id());
}

TEST(InlineScoringTest, OffByDefault) {
  Shared shared;
  ScoringPoolOptions options = InlineOptions();
  options.inline_scoring = false;
  auto pool = ScoringPool::Create(options, Factory(&shared));
  ASSERT_TRUE(pool.ok());
  TestLoop loop;
  MakeStreak(**pool, 5);
  std::future<ScoreResult> f;
  loop.DoAndWait([&] { f = Submit(**pool); });
  ASSERT_TRUE(f.get().status.ok());
  EXPECT_NE(LastScoredOn(shared), loop.id());
  EXPECT_EQ((*pool)->inline_scored(), 0);
}

TEST(InlineScoringTest, ASlowScoreEndsTheStreakAndTheNextJobsGoToTheWorkers) {
  Shared shared;
  auto pool = ScoringPool::Create(InlineOptions(), Factory(&shared));
  ASSERT_TRUE(pool.ok());
  TestLoop loop;
  MakeStreak(**pool, 3);
  shared.sleep_ms = 80;  // over inline_max_compute (50 ms)
  std::future<ScoreResult> slow;
  loop.DoAndWait([&] { slow = Submit(**pool); });
  ASSERT_TRUE(slow.get().status.ok());
  EXPECT_EQ(LastScoredOn(shared), loop.id()) << "the streak was made: it ran inline";
  shared.sleep_ms = 0;
  for (int i = 0; i < 3; ++i) {
    std::future<ScoreResult> next;
    loop.DoAndWait([&] { next = Submit(**pool); });
    ASSERT_TRUE(next.get().status.ok());
    EXPECT_NE(LastScoredOn(shared), loop.id()) << "job " << i << " after the slow one";
  }
  // Three quick ones made the streak again.
  std::future<ScoreResult> again;
  loop.DoAndWait([&] { again = Submit(**pool); });
  ASSERT_TRUE(again.get().status.ok());
  EXPECT_EQ(LastScoredOn(shared), loop.id());
}

TEST(InlineScoringTest, AJobWhoseReplicaIsScoringOnAWorkerIsHandedToTheWorkers) {
  Shared shared;
  auto pool = ScoringPool::Create(InlineOptions(), Factory(&shared));  // one replica
  ASSERT_TRUE(pool.ok());
  TestLoop loop;
  MakeStreak(**pool, 3);
  shared.block = true;
  auto busy = Submit(**pool);  // the worker thread holds the only replica
  WaitFor([&] { return shared.entered.load() == 4; });
  std::future<ScoreResult> second;
  loop.DoAndWait([&] { second = Submit(**pool); });
  // The loop did not wait for the replica: it is free for other work.
  bool loop_free = false;
  loop.DoAndWait([&] { loop_free = true; });
  EXPECT_TRUE(loop_free);
  EXPECT_EQ(second.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
  shared.gate.Open();
  ASSERT_TRUE(busy.get().status.ok());
  ASSERT_TRUE(second.get().status.ok());
  EXPECT_NE(LastScoredOn(shared), loop.id()) << "scored by the worker once it was free";
  EXPECT_EQ((*pool)->inline_scored(), 0);
}

TEST(InlineScoringTest, WorkTheHostDropsUnrunIsAnswered503AndFreesThePool) {
  Shared shared;
  auto pool = ScoringPool::Create(InlineOptions(), Factory(&shared));
  ASSERT_TRUE(pool.ok());
  TestLoop loop;
  MakeStreak(**pool, 3);
  loop.Hold();
  std::future<ScoreResult> dropped;
  loop.DoAndWait([&] { dropped = Submit(**pool); });
  EXPECT_EQ((*pool)->in_flight(), 0) << "not leased before it runs";
  loop.DoAndWait([&] { loop.DropHeld(); });
  ScoreResult r = dropped.get();
  EXPECT_EQ(r.status.code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status.message().find("shutting down"), std::string::npos) << r.status.message();
  // The replica was never taken: the pool scores on, and is destroyed
  // without waiting (the destructor waits for inline work it counts).
  ASSERT_TRUE(Submit(**pool).get().status.ok());
  pool->reset();
}

TEST(InlineScoringTest, PastScoringTimeoutAnInlineJobIs504AndItsStuckReplicaIsReplaced) {
  Shared shared;
  ScoringPoolOptions options = InlineOptions();
  options.scoring_timeout = std::chrono::milliseconds(200);
  auto pool = ScoringPool::Create(options, Factory(&shared));
  ASSERT_TRUE(pool.ok());
  TestLoop loop;
  MakeStreak(**pool, 3);
  shared.block = true;
  std::future<ScoreResult> stuck;
  loop.Do([&] { stuck = Submit(**pool); });
  WaitFor([&] { return shared.entered.load() == 4; });
  // Answered by the deadline thread while the model still holds the loop.
  ScoreResult r = stuck.get();
  EXPECT_EQ(r.status.code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(r.status.message().find("scoringTimeoutMs (200 ms)"), std::string::npos);
  EXPECT_EQ(shared.entered.load(), 4) << "the model is still in Score";
  WaitFor([&] { return shared.loads.load() == 2; });  // a replacement replica
  shared.block = false;
  auto fresh = Submit(**pool);  // from the test thread: the new replica's worker
  ASSERT_TRUE(fresh.get().status.ok());
  shared.gate.Open();
  loop.DoAndWait([] {});  // the stuck Score returned; its answer is dropped
  EXPECT_EQ((*pool)->in_flight(), 0);
}

TEST(InlineScoringTest, CancelAnswersAnInlineJobStillInItsModel) {
  Shared shared;
  auto pool = ScoringPool::Create(InlineOptions(), Factory(&shared));
  ASSERT_TRUE(pool.ok());
  TestLoop loop;
  MakeStreak(**pool, 3);
  shared.block = true;
  std::future<ScoreResult> running;
  loop.Do([&] { running = Submit(**pool); });
  WaitFor([&] { return shared.entered.load() == 4; });
  (*pool)->Cancel(Unavailable("the server is shutting down; retry shortly"));
  ScoreResult r = running.get();
  EXPECT_EQ(r.status.code(), StatusCode::kUnavailable);
  std::future<ScoreResult> later;
  shared.gate.Open();
  loop.DoAndWait([&] { later = Submit(**pool); });
  EXPECT_EQ(later.get().status.code(), StatusCode::kUnavailable) << "after Cancel, at once";
}

// --- HttpServer as the host ------------------------------------------------

// GET /block posts work to the loop that waits for the gate; GET /quick is
// answered at once. Both note whether they met an InlineHost.
class InlineHandler : public HttpHandler {
 public:
  uint64_t BodyLimit(const http::request_header<>&) const override { return 1024; }
  void Handle(HttpRequest request, const std::string&,
              std::function<void(HttpResponse)> respond) override {
    InlineHost* host = InlineHost::Current();
    saw_host = host != nullptr;
    if (request.target() != "/block" || host == nullptr) {
      return respond(MakeResponse(http::status::ok, "quick", "text/plain"));
    }
    struct Blocking : InlineWork {
      InlineHandler* self;
      InlineHost* host;
      std::function<void(HttpResponse)> respond;
      void Run() override {
        host->EnterLongWork(std::chrono::steady_clock::now());
        ++self->blocked;
        self->gate.Wait();
        host->LeaveLongWork();
        respond(MakeResponse(http::status::ok, "blocked", "text/plain"));
        respond = nullptr;
      }
      ~Blocking() override {
        if (respond) respond(MakeResponse(http::status::service_unavailable, "dropped", "text/plain"));
      }
    };
    auto work = std::make_unique<Blocking>();
    work->self = this;
    work->host = host;
    work->respond = std::move(respond);
    host->Post(std::move(work));
  }
  std::atomic<bool> saw_host{false};
  std::atomic<int> blocked{0};
  Gate gate;
};

using skiff::testing::RawClient;

TEST(InlineScoringTest, WhileInlineWorkHoldsTheOnlyIoThreadARescueThreadServesTheOthers) {
  InlineHandler handler;
  HttpServerOptions options;
  options.io_threads = 1;
  options.inline_work = true;
  options.inline_stall = std::chrono::milliseconds(20);
  auto server = HttpServer::Start(options, &handler);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  const uint16_t port = (*server)->port();

  RawClient holder(port);
  holder.Send("GET /block HTTP/1.1\r\nHost: x\r\n\r\n");
  WaitFor([&] { return handler.blocked.load() == 1; });
  // The only I/O thread is inside the work; other connections are served.
  for (int i = 0; i < 3; ++i) {
    RawClient other(port);
    other.Send("GET /quick HTTP/1.1\r\nHost: x\r\n\r\n");
    const std::string answer = other.ReadResponse();  // 5 s receive timeout
    EXPECT_NE(answer.find("200 OK"), std::string::npos) << "request " << i << ": " << answer;
    EXPECT_NE(answer.find("quick"), std::string::npos);
  }
  EXPECT_EQ((*server)->inline_rescues(), 1);
  handler.gate.Open();
  const std::string held = holder.ReadResponse();
  EXPECT_NE(held.find("blocked"), std::string::npos) << held;
  // The rescue ends with the work; the loop's own thread serves again.
  RawClient after(port);
  after.Send("GET /quick HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(after.ReadResponse().find("200 OK"), std::string::npos);
}

TEST(InlineScoringTest, AnHttpServerOffersItsThreadsOnlyWhenAsked) {
  InlineHandler handler;
  HttpServerOptions options;
  options.io_threads = 1;
  auto server = HttpServer::Start(options, &handler);
  ASSERT_TRUE(server.ok());
  RawClient client((*server)->port());
  client.Send("GET /quick HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_NE(client.ReadResponse().find("200 OK"), std::string::npos);
  EXPECT_FALSE(handler.saw_host.load());

  InlineHandler inline_handler;
  options.inline_work = true;
  auto inline_server = HttpServer::Start(options, &inline_handler);
  ASSERT_TRUE(inline_server.ok());
  RawClient inline_client((*inline_server)->port());
  inline_client.Send("GET /quick HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_NE(inline_client.ReadResponse().find("200 OK"), std::string::npos);
  EXPECT_TRUE(inline_handler.saw_host.load());
}

}  // namespace
}  // namespace skiff::dataplane
