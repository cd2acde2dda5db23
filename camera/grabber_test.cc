#include "camera/grabber.h"

#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/testing/status_matchers.h"

namespace camera {
namespace {

using ::testing::HasSubstr;
using ::testing_util::IsOk;
using ::testing_util::StatusIs;

// A source whose calls can be held (a camera that stops delivering without
// failing) and which records how its calls overlapped.
class HeldSource : public FrameSource {
 public:
  absl::StatusOr<cv::Mat> Next() override {
    Enter();
    absl::MutexLock l(&mu_);
    ++nexts_;
    mu_.Await(absl::Condition(
        +[](bool* held) { return !*held; }, &held_));
    --in_flight_;
    return cv::Mat(4, 4, CV_8UC3, cv::Scalar(nexts_, 0, 0));
  }
  absl::Status Reopen() override {
    Enter();
    absl::MutexLock l(&mu_);
    ++reopens_;
    --in_flight_;
    return fail_reopen_ ? absl::UnavailableError("still unplugged")
                        : absl::OkStatus();
  }
  std::string Describe() const override { return "held camera"; }

  void Hold(bool held) {
    absl::MutexLock l(&mu_);
    held_ = held;
  }
  void FailReopen(bool fail) {
    absl::MutexLock l(&mu_);
    fail_reopen_ = fail;
  }
  // Blocks until a Next() is waiting to be released.
  void AwaitHeldNext() {
    absl::MutexLock l(&mu_);
    mu_.Await(absl::Condition(
        +[](HeldSource* s)
             ABSL_NO_THREAD_SAFETY_ANALYSIS { return s->in_flight_ > 0; },
        this));
  }
  int nexts() {
    absl::MutexLock l(&mu_);
    return nexts_;
  }
  int reopens() {
    absl::MutexLock l(&mu_);
    return reopens_;
  }
  bool overlapped() {
    absl::MutexLock l(&mu_);
    return overlapped_;
  }
  int in_flight() {
    absl::MutexLock l(&mu_);
    return in_flight_;
  }

 private:
  void Enter() {
    absl::MutexLock l(&mu_);
    if (in_flight_ > 0) overlapped_ = true;
    ++in_flight_;
  }

  absl::Mutex mu_;
  bool held_ ABSL_GUARDED_BY(mu_) = false;
  bool fail_reopen_ ABSL_GUARDED_BY(mu_) = false;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  bool overlapped_ ABSL_GUARDED_BY(mu_) = false;
  int nexts_ ABSL_GUARDED_BY(mu_) = 0;
  int reopens_ ABSL_GUARDED_BY(mu_) = 0;
};

int Tag(const absl::StatusOr<cv::Mat>& frame) {
  return frame.ok() ? frame->at<cv::Vec3b>(0, 0)[0] : -1;
}

TEST(GrabberTest, ReturnsEachCallsFrame) {
  HeldSource source;
  Grabber grabber(source);
  for (int i = 1; i <= 3; ++i) {
    absl::StatusOr<cv::Mat> frame =
        grabber.Grab(Grabber::Call::kNext, absl::InfiniteDuration());
    ASSERT_THAT(frame.status(), IsOk());
    EXPECT_EQ(Tag(frame), i);
  }
  EXPECT_EQ(source.nexts(), 3);
  EXPECT_FALSE(grabber.busy());
}

TEST(GrabberTest, AHangingCallTimesOutAndItsLateFrameIsNotLost) {
  HeldSource source;
  Grabber grabber(source);
  source.Hold(true);
  absl::StatusOr<cv::Mat> frame =
      grabber.Grab(Grabber::Call::kNext, absl::Milliseconds(50));
  EXPECT_THAT(frame.status(), StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_THAT(frame.status().message(), HasSubstr("held camera"));
  EXPECT_THAT(frame.status().message(), HasSubstr("no frame within 50ms"));
  source.AwaitHeldNext();
  EXPECT_TRUE(grabber.busy());

  // Asking again, even to reopen, waits for the same call: no second call
  // reaches the source while one hangs.
  frame = grabber.Grab(Grabber::Call::kReopenThenNext, absl::Milliseconds(50));
  EXPECT_THAT(frame.status(), StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_EQ(source.nexts(), 1);
  EXPECT_EQ(source.reopens(), 0);

  source.Hold(false);
  frame =
      grabber.Grab(Grabber::Call::kReopenThenNext, absl::InfiniteDuration());
  ASSERT_THAT(frame.status(), IsOk());
  EXPECT_EQ(Tag(frame), 1);  // the late frame of the first call
  EXPECT_EQ(source.reopens(), 0);

  frame = grabber.Grab(Grabber::Call::kNext, absl::InfiniteDuration());
  EXPECT_EQ(Tag(frame), 2);
  EXPECT_FALSE(source.overlapped());
}

TEST(GrabberTest, ReopenThenNextReopensFirstAndStopsAtItsError) {
  HeldSource source;
  Grabber grabber(source);
  source.FailReopen(true);
  absl::StatusOr<cv::Mat> frame =
      grabber.Grab(Grabber::Call::kReopenThenNext, absl::InfiniteDuration());
  EXPECT_THAT(frame.status(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(source.nexts(), 0);
  source.FailReopen(false);
  frame =
      grabber.Grab(Grabber::Call::kReopenThenNext, absl::InfiniteDuration());
  ASSERT_THAT(frame.status(), IsOk());
  EXPECT_EQ(source.reopens(), 2);
  EXPECT_EQ(source.nexts(), 1);
}

TEST(GrabberTest, DestructionWaitsForTheCallInFlight) {
  HeldSource source;
  auto grabber = std::make_unique<Grabber>(source);
  source.Hold(true);
  EXPECT_THAT(
      grabber->Grab(Grabber::Call::kNext, absl::Milliseconds(1)).status(),
      StatusIs(absl::StatusCode::kDeadlineExceeded));
  source.AwaitHeldNext();
  std::thread release([&source] { source.Hold(false); });
  grabber.reset();  // returns once the held Next() has
  EXPECT_EQ(source.in_flight(), 0);
  release.join();
  EXPECT_EQ(source.nexts(), 1);
  EXPECT_FALSE(source.overlapped());
}

}  // namespace
}  // namespace camera
