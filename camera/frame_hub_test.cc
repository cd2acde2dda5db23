#include "camera/frame_hub.h"

#include <memory>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "camera/thread_subscription.h"
#include "gtest/gtest.h"
#include "tools/testing/status_matchers.h"

namespace camera {
namespace {

using ::testing_util::IsOk;
using ::testing_util::StatusIs;

std::shared_ptr<const Frame> MakeFrame(int64_t n, size_t bytes = 10) {
  auto f = std::make_shared<Frame>();
  f->number = n;
  f->jpeg.assign(bytes, 'x');
  return f;
}

TEST(FrameHubTest, SubscriberGetsTheNewestAndCountsSkips) {
  FrameHub hub;
  absl::StatusOr<ThreadSubscription> sub = ThreadSubscription::Open(hub);
  ASSERT_THAT(sub.status(), IsOk());
  EXPECT_EQ(hub.subscribers(), 1);
  hub.Publish(MakeFrame(1));
  EXPECT_EQ(sub->Next(absl::Seconds(5))->number, 1);
  for (int n = 2; n <= 5; ++n) hub.Publish(MakeFrame(n));  // a slow reader
  EXPECT_EQ(sub->Next(absl::Seconds(5))->number, 5);       // skips 2, 3, 4
  EXPECT_EQ(sub->delivered(), 2);
  EXPECT_EQ(sub->skipped(), 3);
  EXPECT_EQ(sub->Next(absl::Milliseconds(10)), nullptr);  // nothing newer
}

TEST(FrameHubTest, MemoryDoesNotGrowWithHowFarBehindAClientIs) {
  FrameHub hub;
  std::weak_ptr<const Frame> first;
  {
    auto f = MakeFrame(1, 1 << 20);
    first = f;
    hub.Publish(std::move(f));
  }
  for (int n = 2; n <= 1000; ++n) hub.Publish(MakeFrame(n, 1 << 20));
  // Nobody read anything: the hub holds one frame, the newest.
  EXPECT_TRUE(first.expired());
  EXPECT_EQ(hub.Latest().use_count(), 2);  // the hub's and this copy
  EXPECT_EQ(hub.Latest()->number, 1000);
}

TEST(FrameHubTest, WaiterWakesOnPublishFromAnotherThread) {
  FrameHub hub;
  absl::Notification waiting;
  std::shared_ptr<const Frame> got;
  std::thread reader([&] {
    absl::StatusOr<ThreadSubscription> sub = ThreadSubscription::Open(hub);
    waiting.Notify();
    got = sub->Next(absl::Seconds(30));
  });
  waiting.WaitForNotification();
  hub.Publish(MakeFrame(7));
  reader.join();
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(got->number, 7);
}

TEST(FrameHubTest, CloseWakesEveryWaiter) {
  FrameHub hub;
  std::vector<std::thread> readers;
  for (int i = 0; i < 4; ++i) {
    readers.emplace_back([&] {
      absl::StatusOr<ThreadSubscription> sub = ThreadSubscription::Open(hub);
      EXPECT_EQ(sub->Next(absl::Hours(1)), nullptr);
    });
  }
  // Every reader is really blocked in Next before the hub closes.
  ASSERT_TRUE(hub.AwaitWaiters(4, absl::Seconds(30)));
  hub.Close();
  for (auto& t : readers) t.join();
  EXPECT_EQ(hub.subscribers(), 0);
  EXPECT_FALSE(hub.WaitForSubscribers(absl::Milliseconds(1)));
}

TEST(FrameHubTest, AClosedHubHandsOutNothingEvenANewerFrame) {
  FrameHub hub;
  hub.Publish(MakeFrame(1));
  hub.Close();
  hub.Publish(MakeFrame(2));  // a capture thread's last frame, racing Close
  // Returns at once (the hour is never waited) and with nothing.
  EXPECT_EQ(hub.WaitNewer(0, absl::Hours(1)), nullptr);
  EXPECT_EQ(hub.WaitNewer(1, absl::Hours(1)), nullptr);
  EXPECT_TRUE(hub.closed());
}

TEST(ThreadSubscriptionTest, OnePerThreadLikeTheTutorialsRuntimeError) {
  FrameHub hub;
  {
    absl::StatusOr<ThreadSubscription> a = ThreadSubscription::Open(hub);
    ASSERT_THAT(a.status(), IsOk());
    EXPECT_TRUE(ThreadSubscription::ThreadHasOne());
    EXPECT_THAT(ThreadSubscription::Open(hub).status(),
                StatusIs(absl::StatusCode::kFailedPrecondition));
    // Another thread is independent.
    std::thread other([&] {
      EXPECT_FALSE(ThreadSubscription::ThreadHasOne());
      EXPECT_THAT(ThreadSubscription::Open(hub).status(), IsOk());
    });
    other.join();
  }
  EXPECT_FALSE(ThreadSubscription::ThreadHasOne());
  EXPECT_THAT(ThreadSubscription::Open(hub).status(), IsOk());  // released
  EXPECT_EQ(hub.subscribers(), 0);
}

}  // namespace
}  // namespace camera
