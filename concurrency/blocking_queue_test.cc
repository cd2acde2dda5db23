#include "concurrency/blocking_queue.h"

#include <algorithm>
#include <memory>
#include <numeric>
#include <optional>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/testing/status_matchers.h"

namespace concurrency {
namespace {

using ::testing::HasSubstr;
using ::testing::Optional;
using ::testing_util::IsOk;
using ::testing_util::StatusIs;

TEST(BlockingQueueTest, PopsInFifoOrder) {
  BlockingQueue<int> queue;
  for (int i = 1; i <= 3; ++i) {
    ASSERT_THAT(queue.Push(i), IsOk());
  }
  EXPECT_EQ(queue.size(), 3u);
  EXPECT_THAT(queue.Pop(), Optional(1));
  EXPECT_THAT(queue.TryPop(), Optional(2));
  absl::StatusOr<int> third = queue.PopFor(absl::ZeroDuration());
  ASSERT_THAT(third, IsOk());
  EXPECT_EQ(*third, 3);
  EXPECT_EQ(queue.TryPop(), std::nullopt);
}

TEST(BlockingQueueTest, PopForTakesTheOldestFirst) {
  BlockingQueue<int> queue;
  for (int i = 1; i <= 3; ++i) ASSERT_THAT(queue.Push(i), IsOk());
  for (int want = 1; want <= 3; ++want) {
    absl::StatusOr<int> got = queue.PopFor(absl::Seconds(1));
    ASSERT_THAT(got, IsOk());
    EXPECT_EQ(*got, want);
  }
}

TEST(BlockingQueueTest, CarriesMoveOnlyValues) {
  BlockingQueue<std::unique_ptr<int>> queue;
  ASSERT_THAT(queue.Push(std::make_unique<int>(7)), IsOk());
  std::optional<std::unique_ptr<int>> value = queue.Pop();
  ASSERT_TRUE(value.has_value());
  EXPECT_EQ(**value, 7);
}

TEST(BlockingQueueTest, TryPushOnFullQueueIsResourceExhausted) {
  BlockingQueue<int> queue(/*capacity=*/1);
  ASSERT_THAT(queue.TryPush(1), IsOk());
  EXPECT_THAT(queue.TryPush(2), StatusIs(absl::StatusCode::kResourceExhausted,
                                         HasSubstr("capacity 1")));
  EXPECT_EQ(queue.size(), 1u);
  // Closed wins over full: the caller learns that no push will ever succeed.
  queue.Close();
  EXPECT_THAT(queue.TryPush(3), StatusIs(absl::StatusCode::kFailedPrecondition,
                                         HasSubstr("closed")));
  EXPECT_THAT(queue.Pop(), Optional(1));
}

TEST(BlockingQueueTest, PushToClosedQueueFailsAndLeavesTheValue) {
  BlockingQueue<std::unique_ptr<int>> queue;
  queue.Close();
  auto value = std::make_unique<int>(5);
  EXPECT_THAT(
      queue.Push(std::move(value)),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("closed")));
  ASSERT_NE(value, nullptr);  // The caller still owns it: nothing is lost.
  EXPECT_EQ(*value, 5);
  EXPECT_THAT(queue.TryPush(std::move(value)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_NE(value, nullptr);
}

TEST(BlockingQueueTest, ConsumersDrainThenSeeTheEnd) {
  BlockingQueue<int> queue;
  ASSERT_THAT(queue.Push(1), IsOk());
  ASSERT_THAT(queue.Push(2), IsOk());
  queue.Close();
  EXPECT_TRUE(queue.closed());
  EXPECT_THAT(queue.Pop(), Optional(1));
  EXPECT_THAT(queue.PopFor(absl::Seconds(1)), IsOk());
  EXPECT_EQ(queue.Pop(), std::nullopt);
  EXPECT_THAT(queue.PopFor(absl::Seconds(1)),
              StatusIs(absl::StatusCode::kOutOfRange));
}

TEST(BlockingQueueTest, PopForTimesOutOnEmptyOpenQueue) {
  BlockingQueue<int> queue;
  EXPECT_THAT(queue.PopFor(absl::Milliseconds(5)),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("5ms")));
}

TEST(BlockingQueueTest, CloseWakesBlockedConsumers) {
  BlockingQueue<int> queue;
  constexpr int kConsumers = 4;
  std::vector<std::optional<int>> results(kConsumers, 0);
  std::vector<std::thread> consumers;
  for (int i = 0; i < kConsumers; ++i) {
    consumers.emplace_back([&, i] { results[i] = queue.Pop(); });
  }
  // Every consumer is really blocked in Pop before the queue closes.
  ASSERT_TRUE(queue.AwaitWaiters(kConsumers, absl::Seconds(30)));
  queue.Close();
  for (std::thread& t : consumers) {
    t.join();
  }
  EXPECT_THAT(results, ::testing::Each(std::nullopt));
}

TEST(BlockingQueueTest, CloseWakesBlockedProducerWithAnError) {
  BlockingQueue<int> queue(/*capacity=*/1);
  ASSERT_THAT(queue.Push(1), IsOk());
  absl::Status blocked_push;
  std::thread producer([&] { blocked_push = queue.Push(2); });
  ASSERT_TRUE(queue.AwaitWaiters(1, absl::Seconds(30)));  // blocked: full
  queue.Close();
  producer.join();
  EXPECT_THAT(blocked_push, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(queue.Pop(), Optional(1));  // What was queued is still there.
  EXPECT_EQ(queue.Pop(), std::nullopt);
}

TEST(BlockingQueueTest, BoundedQueueBlocksProducerUntilConsumerPops) {
  BlockingQueue<int> queue(/*capacity=*/2);
  absl::Notification producer_done;
  std::thread producer([&] {
    for (int i = 0; i < 10; ++i) {
      ASSERT_THAT(queue.Push(i), IsOk());
      EXPECT_LE(queue.size(), 2u);
    }
    producer_done.Notify();
  });
  // The producer fills the queue and blocks: it cannot be done yet.
  ASSERT_TRUE(queue.AwaitWaiters(1, absl::Seconds(30)));
  EXPECT_EQ(queue.size(), 2u);
  EXPECT_FALSE(producer_done.HasBeenNotified());
  std::vector<int> popped;
  for (int i = 0; i < 10; ++i) {
    std::optional<int> value = queue.Pop();
    ASSERT_TRUE(value.has_value());
    popped.push_back(*value);
  }
  EXPECT_TRUE(producer_done.WaitForNotificationWithTimeout(absl::Seconds(30)));
  producer.join();
  std::vector<int> expected(10);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(popped, expected);
}

// Many producers and consumers on a small bounded queue: every value arrives
// exactly once, and each producer's values arrive in the order it pushed them.
TEST(BlockingQueueTest, ManyProducersManyConsumersLoseNothing) {
  constexpr int kProducers = 4, kConsumers = 3, kPerProducer = 2000;
  BlockingQueue<int> queue(/*capacity=*/16);
  std::vector<std::thread> producers, consumers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&queue, p] {
      for (int i = 0; i < kPerProducer; ++i) {
        ASSERT_THAT(queue.Push(p * kPerProducer + i), IsOk());
      }
    });
  }
  std::vector<std::vector<int>> seen(kConsumers);
  for (int c = 0; c < kConsumers; ++c) {
    consumers.emplace_back([&queue, &seen, c] {
      while (std::optional<int> value = queue.Pop()) {
        seen[c].push_back(*value);
      }
    });
  }
  for (std::thread& t : producers) {
    t.join();
  }
  queue.Close();
  for (std::thread& t : consumers) {
    t.join();
  }
  std::vector<int> all;
  for (const std::vector<int>& values : seen) {
    // Within one consumer, values of one producer keep their order.
    std::vector<int> last(kProducers, -1);
    for (int v : values) {
      EXPECT_GT(v, last[v / kPerProducer]);
      last[v / kPerProducer] = v;
    }
    all.insert(all.end(), values.begin(), values.end());
  }
  std::sort(all.begin(), all.end());
  std::vector<int> expected(kProducers * kPerProducer);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(all, expected);
}

}  // namespace
}  // namespace concurrency
