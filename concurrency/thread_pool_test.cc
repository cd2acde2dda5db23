#include "concurrency/thread_pool.h"

#include <atomic>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "concurrency/event.h"
#include "concurrency/process.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/testing/status_matchers.h"

namespace concurrency {
namespace {

using ::testing::AnyOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing_util::IsOk;
using ::testing_util::StatusIs;

// Long enough never to expire on a loaded machine; expiring means a bug.
constexpr absl::Duration kForever = absl::Seconds(60);

int Multiply(int a, int b) { return a * b; }

TEST(ThreadPoolTest, SubmitReturnsTheResult) {
  ThreadPool pool(3);
  absl::StatusOr<std::future<int>> product = pool.Submit(Multiply, 2, 3);
  ASSERT_THAT(product, IsOk());
  EXPECT_EQ(product->get(), 6);
}

TEST(ThreadPoolTest, SubmitTakesMoveOnlyArgumentsAndVoidTasks) {
  ThreadPool pool(1);
  auto doubled = pool.Submit([](std::unique_ptr<int> p) { return *p * 2; },
                             std::make_unique<int>(21));
  ASSERT_THAT(doubled, IsOk());
  EXPECT_EQ(doubled->get(), 42);
  int ran = 0;
  auto done = pool.Submit([&ran] { ran = 1; });
  ASSERT_THAT(done, IsOk());
  done->get();
  EXPECT_EQ(ran, 1);
}

TEST(ThreadPoolTest, ExceptionReachesTheWaiter) {
  ThreadPool pool(2);
  auto failing = pool.Submit([]() -> int { throw std::runtime_error("boom"); });
  ASSERT_THAT(failing, IsOk());
  std::string message;
  try {
    failing->get();
    ADD_FAILURE() << "get() did not rethrow";
  } catch (const std::runtime_error& e) {
    // The worker may still hold the exception: libstdc++ shares it between
    // threads with reference counts that ThreadSanitizer cannot see, so read
    // it only once the workers are joined (see thread_pool.h).
    pool.Shutdown();
    message = e.what();
  }
  EXPECT_EQ(message, "boom");
}

TEST(ThreadPoolTest, WorkerSurvivesAnException) {
  ThreadPool pool(1);
  auto failing = pool.Submit([]() -> int { throw std::logic_error("bad"); });
  ASSERT_THAT(failing, IsOk());
  EXPECT_THROW(failing->get(), std::logic_error);
  auto next = pool.Submit(Multiply, 4, 5);
  ASSERT_THAT(next, IsOk());
  EXPECT_EQ(next->get(), 20);
}

TEST(ThreadPoolTest, ScheduleRunsEveryTaskWithoutFutures) {
  ThreadPool pool(2);
  constexpr int kTasks = 1000;
  absl::BlockingCounter done(kTasks);
  std::atomic<int> sum{0};
  for (int i = 1; i <= kTasks; ++i) {
    ASSERT_THAT(pool.Schedule([&, i] {
      sum += i;
      done.DecrementCount();
    }),
                IsOk());
  }
  done.Wait();
  EXPECT_EQ(sum.load(), kTasks * (kTasks + 1) / 2);
  pool.Shutdown();
  bool ran = false;
  EXPECT_THAT(pool.Schedule([&] { ran = true; }),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("after Shutdown")));
  EXPECT_FALSE(ran);
}

TEST(ThreadPoolTest, AScheduledTasksExceptionReachesTheHandler) {
  ThreadPool pool(1, "handled");
  absl::Mutex mu;
  std::vector<std::string> seen;
  absl::Notification two;
  pool.SetExceptionHandler([&](std::exception_ptr e) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      absl::MutexLock l(&mu);
      seen.push_back(
          absl::StrCat(ThreadPool::CurrentWorkerName(), ": ", ex.what()));
      if (seen.size() == 2) two.Notify();
    }
  });
  ASSERT_THAT(pool.Schedule([] { throw std::runtime_error("first"); }), IsOk());
  ASSERT_THAT(pool.Schedule([] { throw std::logic_error("second"); }), IsOk());
  ASSERT_TRUE(two.WaitForNotificationWithTimeout(absl::Seconds(30)));
  // The worker survived both and still runs tasks.
  auto next = pool.Submit(Multiply, 6, 7);
  ASSERT_THAT(next, IsOk());
  EXPECT_EQ(next->get(), 42);
  absl::MutexLock l(&mu);
  EXPECT_THAT(seen, ElementsAre("handled_0: first", "handled_0: second"));
}

TEST(ThreadPoolTest, AnUnhandledScheduledExceptionIsNeverSilent) {
  // With no handler, the process ends (std::terminate -> SIGABRT), as with
  // an exception escaping a std::thread. Run in a child to watch it die.
  absl::StatusOr<ProcessResult<int>> child = RunInProcess([]() -> int {
    ThreadPool pool(1);
    (void)pool.Schedule([] { throw std::runtime_error("nobody listens"); });
    pool.Shutdown();
    return 0;  // not reached
  });
  ASSERT_THAT(child, IsOk());
  EXPECT_THAT(child->Get(),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("signal 6")));
}

TEST(ThreadPoolTest, StatusResultReachesTheWaiter) {
  ThreadPool pool(1);
  auto status = pool.Submit([] { return absl::NotFoundError("page 15"); });
  ASSERT_THAT(status, IsOk());
  EXPECT_THAT(status->get(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("page 15")));
}

TEST(ThreadPoolTest, MapKeepsInputOrderAndStopsAtTheShortest) {
  ThreadPool pool(3);
  // The tutorial: executor.map(f, range(1, 6), range(2, 7)).
  auto products = pool.Map(Multiply, std::vector<int>{1, 2, 3, 4, 5},
                           std::vector<int>{2, 3, 4, 5, 6, 7, 8});
  ASSERT_THAT(products, IsOk());
  EXPECT_THAT(*products, ElementsAre(2, 6, 12, 20, 30));
}

TEST(ThreadPoolTest, MapOverOneRangeAndAnEmptyRange) {
  ThreadPool pool(2);
  auto lengths = pool.Map([](const std::string& s) { return s.size(); },
                          std::vector<std::string>{"a", "bcd", ""});
  ASSERT_THAT(lengths, IsOk());
  EXPECT_THAT(*lengths, ElementsAre(1u, 3u, 0u));
  auto none = pool.Map([](int x) { return x; }, std::vector<int>{});
  ASSERT_THAT(none, IsOk());
  EXPECT_TRUE(none->empty());
}

TEST(ThreadPoolTest, MapRethrowsAnExceptionFromAnyCall) {
  ThreadPool pool(2);
  auto f = [](int x) {
    if (x == 3) {
      throw std::invalid_argument("three");
    }
    return x;
  };
  EXPECT_THROW((void)pool.Map(f, std::vector<int>{1, 2, 3, 4}),
               std::invalid_argument);
}

TEST(ThreadPoolTest, SubmitAndMapAfterShutdownAreErrors) {
  ThreadPool pool(2, "closed");
  pool.Shutdown();
  EXPECT_THAT(pool.Submit(Multiply, 1, 2),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("'closed': Submit after Shutdown")));
  EXPECT_THAT(pool.Map(Multiply, std::vector<int>{1}, std::vector<int>{2}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_TRUE(pool.Shutdown());  // Idempotent.
}

TEST(ThreadPoolTest, ShutdownRunsTheQueuedWork) {
  ThreadPool pool(1);
  Event started, release;
  ASSERT_THAT(pool.Submit([&] {
    started.Set();
    release.Wait();
  }),
              IsOk());
  ASSERT_TRUE(started.WaitFor(kForever));
  std::atomic<int> ran{0};
  for (int i = 0; i < 10; ++i) {
    ASSERT_THAT(pool.Submit([&ran] { ++ran; }), IsOk());
  }
  pool.Shutdown(/*wait=*/false);  // Refuses new work, keeps the queue.
  EXPECT_THAT(pool.Submit([] {}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(pool.pending(), 10u);
  release.Set();
  EXPECT_TRUE(pool.Shutdown(/*wait=*/true));
  EXPECT_EQ(ran.load(), 10);
  EXPECT_EQ(pool.pending(), 0u);
}

TEST(ThreadPoolTest, CancelPendingBreaksThePromisesOfDroppedTasks) {
  ThreadPool pool(1);
  Event started, release;
  auto running = pool.Submit([&] {
    started.Set();
    release.Wait();
    return 1;
  });
  ASSERT_THAT(running, IsOk());
  ASSERT_TRUE(started.WaitFor(kForever));
  std::vector<std::future<int>> dropped;
  for (int i = 0; i < 5; ++i) {
    auto f = pool.Submit([] { return 2; });
    ASSERT_THAT(f, IsOk());
    dropped.push_back(*std::move(f));
  }
  EXPECT_EQ(pool.CancelPending(), 5u);
  release.Set();
  EXPECT_EQ(running->get(), 1);  // The running task was not touched.
  for (std::future<int>& f : dropped) {
    try {
      f.get();
      ADD_FAILURE() << "a dropped task produced a result";
    } catch (const std::future_error& e) {
      EXPECT_EQ(e.code(), std::future_errc::broken_promise);
    }
  }
}

TEST(ThreadPoolTest, DestructorRunsQueuedWorkAndJoins) {
  std::atomic<int> ran{0};
  {
    ThreadPool pool(2);
    for (int i = 0; i < 100; ++i) {
      ASSERT_THAT(pool.Submit([&ran] { ++ran; }), IsOk());
    }
  }
  EXPECT_EQ(ran.load(), 100);
}

TEST(ThreadPoolTest, WorkersHaveReadableNames) {
  ThreadPool pool(2, "pool");
  EXPECT_EQ(ThreadPool::CurrentWorkerName(), "");
  auto name =
      pool.Submit([] { return std::string(ThreadPool::CurrentWorkerName()); });
  ASSERT_THAT(name, IsOk());
  EXPECT_THAT(name->get(), AnyOf("pool_0", "pool_1"));
}

TEST(ThreadPoolTest, RunsTasksConcurrently) {
  ThreadPool pool(2);
  Event first_running;
  // The second task can only finish if the first runs at the same time.
  auto waiter = pool.Submit([&] { return first_running.WaitFor(kForever); });
  auto setter = pool.Submit([&] { first_running.Set(); });
  ASSERT_THAT(waiter, IsOk());
  ASSERT_THAT(setter, IsOk());
  setter->get();
  EXPECT_TRUE(waiter->get());
}

TEST(ThreadPoolTest, ShutdownFromItsOwnWorkerDoesNotWait) {
  ThreadPool pool(1);
  auto result = pool.Submit([&pool] { return pool.Shutdown(/*wait=*/true); });
  ASSERT_THAT(result, IsOk());
  EXPECT_FALSE(result->get());
}

TEST(ThreadPoolTest, ManyThreadsSubmittingAtOnce) {
  ThreadPool pool(2);
  std::atomic<long> sum{0};
  std::vector<std::thread> submitters;
  for (int t = 0; t < 4; ++t) {
    submitters.emplace_back([&] {
      for (int i = 1; i <= 1000; ++i) {
        ASSERT_THAT(pool.Submit([&sum, i] { sum += i; }), IsOk());
      }
    });
  }
  for (std::thread& t : submitters) {
    t.join();
  }
  pool.Shutdown();
  EXPECT_EQ(sum.load(), 4 * 500500L);
}

}  // namespace
}  // namespace concurrency
