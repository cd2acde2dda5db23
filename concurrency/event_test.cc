#include "concurrency/event.h"

#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace concurrency {
namespace {

TEST(EventTest, StartsCleared) {
  Event event;
  EXPECT_FALSE(event.IsSet());
  EXPECT_FALSE(event.WaitFor(absl::ZeroDuration()));
}

TEST(EventTest, SetIsSeenByIsSetAndWait) {
  Event event;
  event.Set();
  EXPECT_TRUE(event.IsSet());
  event.Wait();  // Returns at once.
  EXPECT_TRUE(event.WaitFor(absl::ZeroDuration()));
}

TEST(EventTest, ClearMakesItReusable) {
  Event event;
  event.Set();
  event.Clear();
  EXPECT_FALSE(event.IsSet());
  EXPECT_FALSE(event.WaitFor(absl::Milliseconds(1)));
  event.Set();
  EXPECT_TRUE(event.IsSet());
}

TEST(EventTest, WaitForTimesOutWhenNeverSet) {
  Event event;
  EXPECT_FALSE(event.WaitFor(absl::Milliseconds(5)));
  EXPECT_FALSE(event.WaitUntil(absl::Now() + absl::Milliseconds(5)));
  EXPECT_FALSE(event.WaitFor(-absl::Seconds(1)));
}

TEST(EventTest, SetWakesEveryWaiter) {
  Event event;
  constexpr int kWaiters = 8;
  std::vector<int> woke(kWaiters, 0);
  std::vector<std::thread> waiters;
  for (int i = 0; i < kWaiters; ++i) {
    waiters.emplace_back([&event, &woke, i] {
      if (i % 2 == 0) {
        event.Wait();
      } else {
        EXPECT_TRUE(event.WaitFor(absl::InfiniteDuration()));
      }
      woke[i] = 1;
    });
  }
  // Every thread is blocked in a wait before the flag is raised, so the
  // test sees Set() wake waiters, not threads that found the flag up.
  ASSERT_TRUE(event.AwaitWaiters(kWaiters, absl::Seconds(60)));
  event.Set();
  for (std::thread& t : waiters) {
    t.join();
  }
  EXPECT_EQ(woke, std::vector<int>(kWaiters, 1));
}

TEST(EventTest, AThreadThatFindsTheFlagRaisedIsNoWaiter) {
  Event event;
  EXPECT_FALSE(event.AwaitWaiters(1, absl::ZeroDuration()));
  event.Set();
  std::thread t([&event] { event.Wait(); });
  t.join();
  EXPECT_FALSE(event.AwaitWaiters(1, absl::ZeroDuration()));
}

TEST(EventTest, WaitForReturnsTrueWhenSetFromAnotherThread) {
  Event event;
  bool result = false;
  absl::Notification done;
  std::thread waiter([&] {
    result = event.WaitFor(absl::InfiniteDuration());
    done.Notify();
  });
  event.Set();
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(30)));
  waiter.join();
  EXPECT_TRUE(result);
}

// The tutorial's convert and tar threads hand work back and forth with two
// events that each side clears after waking: a ping-pong.
TEST(EventTest, TwoEventsPingPong) {
  Event ping, pong;
  constexpr int kRounds = 200;
  int rounds_seen = 0;
  std::thread ponger([&] {
    for (int i = 0; i < kRounds; ++i) {
      ping.Wait();
      ping.Clear();
      ++rounds_seen;
      pong.Set();
    }
  });
  for (int i = 0; i < kRounds; ++i) {
    ping.Set();
    pong.Wait();
    pong.Clear();
  }
  ponger.join();
  EXPECT_EQ(rounds_seen, kRounds);
}

}  // namespace
}  // namespace concurrency
