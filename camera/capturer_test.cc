#include "camera/capturer.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "camera/frame_hub.h"
#include "camera/frame_source.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "opencv2/imgcodecs.hpp"
#include "tools/testing/status_matchers.h"

namespace camera {
namespace {

using ::testing::HasSubstr;
using ::testing_util::IsOk;

std::unique_ptr<FrameSource> TestPattern() {
  absl::StatusOr<std::unique_ptr<FrameSource>> source =
      MakeFrameSource("test", {.width = 320, .height = 240, .fps = 200});
  EXPECT_THAT(source.status(), IsOk());
  return *std::move(source);
}

// The test pattern, except that read number `bad` gives a picture no JPEG
// encoder takes (16 bits a channel). Up to that read, each read waits until
// the frame before it is out of `hub`: the encoders are then idle when the
// bad picture comes, so it is encoded (and refused) rather than dropped as
// one too many for busy encoders, which a slow machine would otherwise make
// it now and then.
class OneBadFrame : public FrameSource {
 public:
  OneBadFrame(int bad, FrameHub& hub)
      : inner_(TestPattern()), bad_(bad), hub_(hub) {}
  absl::StatusOr<cv::Mat> Next() override {
    absl::StatusOr<cv::Mat> frame = inner_->Next();
    ++reads_;
    if (reads_ <= bad_) WaitForFrame(reads_ - 1);
    if (reads_ == bad_) return cv::Mat(240, 320, CV_16UC3, cv::Scalar(1));
    return frame;
  }
  std::string Describe() const override { return "one bad frame"; }

 private:
  void WaitForFrame(int64_t number) {
    int64_t last = 0;
    while (last < number) {
      std::shared_ptr<const Frame> f = hub_.WaitNewer(last, absl::Seconds(20));
      if (f == nullptr) return;  // the test's own wait then fails
      last = f->number;
    }
  }

  std::unique_ptr<FrameSource> inner_;
  const int bad_;
  FrameHub& hub_;
  int reads_ = 0;
};

// The test pattern, with every other picture made slow to encode: a large
// one of noise with the pattern in its top-left corner (where its frame
// number is). Encoders working side by side then finish out of order.
class SlowAndFastFrames : public FrameSource {
 public:
  SlowAndFastFrames() : inner_(TestPattern()) {}
  absl::StatusOr<cv::Mat> Next() override {
    absl::StatusOr<cv::Mat> frame = inner_->Next();
    if (!frame.ok() || ++reads_ % 2 == 0) return frame;
    cv::Mat slow(720, 1280, CV_8UC3);
    cv::randu(slow, cv::Scalar::all(0), cv::Scalar::all(256));
    frame->copyTo(slow(cv::Rect(0, 0, frame->cols, frame->rows)));
    return slow;
  }
  std::string Describe() const override { return "slow and fast frames"; }

 private:
  std::unique_ptr<FrameSource> inner_;
  int reads_ = 0;
};

// What the hub received, in publishing order.
class Published {
 public:
  explicit Published(FrameHub& hub) : hub_(hub) {}
  Capturer::OnPublish Recorder() {
    return [this](absl::Time) {
      std::shared_ptr<const Frame> f = hub_.Latest();
      absl::MutexLock l(&mu_);
      frames_.push_back(f);
    };
  }
  std::vector<std::shared_ptr<const Frame>> frames() const {
    absl::MutexLock l(&mu_);
    return frames_;
  }

 private:
  FrameHub& hub_;
  mutable absl::Mutex mu_;
  std::vector<std::shared_ptr<const Frame>> frames_ ABSL_GUARDED_BY(mu_);
};

// Waits, as a client does, until a frame numbered past `number` is out.
bool WaitForFramePast(FrameHub& hub, int64_t number) {
  int64_t last = 0;
  while (last <= number) {
    std::shared_ptr<const Frame> f = hub.WaitNewer(last, absl::Seconds(20));
    if (f == nullptr) return false;
    last = f->number;
  }
  return true;
}

class CapturerTest : public ::testing::TestWithParam<int> {};

INSTANTIATE_TEST_SUITE_P(Encoders, CapturerTest, ::testing::Values(1, 2, 4),
                         [](const auto& info) {
                           return absl::StrCat(info.param, "Encoders");
                         });

// Frames go out in capture order, whatever order the encoders finish in, and
// each carries the picture its number says: the test pattern draws its own
// read count into the picture, and with nothing gated the capturer numbers
// every read, so the two agree.
TEST_P(CapturerTest, FramesGoOutInCaptureOrderEachWithItsOwnPicture) {
  FrameHub hub;
  Published published(hub);
  Capturer capturer(std::make_unique<SlowAndFastFrames>(),
                    {.fps = 200, .encoders = GetParam()}, hub,
                    published.Recorder());
  hub.AddSubscriber();
  capturer.Start();
  ASSERT_TRUE(WaitForFramePast(hub, 60));
  capturer.Stop();
  const std::vector<std::shared_ptr<const Frame>> frames = published.frames();
  ASSERT_GE(frames.size(), 2u);
  int64_t previous = 0;
  for (const std::shared_ptr<const Frame>& f : frames) {
    EXPECT_GT(f->number, previous);
    previous = f->number;
    cv::Mat picture =
        cv::imdecode(cv::Mat(1, static_cast<int>(f->jpeg.size()), CV_8UC1,
                             const_cast<char*>(f->jpeg.data())),
                     cv::IMREAD_COLOR);
    ASSERT_FALSE(picture.empty()) << f->number;
    EXPECT_EQ(ReadFrameNumber(picture), f->number);
  }
  const CaptureState state = capturer.State();
  EXPECT_EQ(state.encoders, GetParam());
  EXPECT_EQ(state.encode_failures, 0);
  if (GetParam() == 1) {
    EXPECT_EQ(state.skipped_late, 0);  // no encoder to pass another
  }
  // Every captured frame is published, or dropped and counted.
  EXPECT_EQ(static_cast<int64_t>(frames.size()) + state.skipped_busy +
                state.skipped_late,
            state.frames_captured);
}

TEST_P(CapturerTest, AFrameThatCannotBeEncodedIsCountedAndTheStreamGoesOn) {
  FrameHub hub;
  Published published(hub);
  // A read that waits for the encoders is not a lost source.
  Capturer capturer(
      std::make_unique<OneBadFrame>(5, hub),
      {.fps = 200, .device_timeout = absl::Minutes(1), .encoders = GetParam()},
      hub, published.Recorder());
  hub.AddSubscriber();
  capturer.Start();
  ASSERT_TRUE(WaitForFramePast(hub, 20));
  capturer.Stop();
  const CaptureState state = capturer.State();
  EXPECT_EQ(state.encode_failures, 1);
  EXPECT_THAT(state.last_error, HasSubstr("frame 5 (320x240"));
  for (const std::shared_ptr<const Frame>& f : published.frames()) {
    EXPECT_NE(f->number, 5);
  }
}

// Fewer than one encoder (a flag of 0) is one: frames still go out.
TEST(CapturerEncodersTest, ZeroEncodersMeansOne) {
  FrameHub hub;
  Capturer capturer(TestPattern(), {.fps = 200, .encoders = 0}, hub, nullptr);
  hub.AddSubscriber();
  capturer.Start();
  EXPECT_TRUE(WaitForFramePast(hub, 3));
  capturer.Stop();
  EXPECT_EQ(capturer.State().encoders, 1);
}

// A source that never gives a frame: no camera at the device.
class NeverASource : public FrameSource {
 public:
  absl::StatusOr<cv::Mat> Next() override {
    return absl::UnavailableError("no device at /dev/video9");
  }
  absl::Status Reopen() override {
    return absl::UnavailableError("still no device at /dev/video9");
  }
  std::string Describe() const override { return "never a source"; }
};

// The test pattern, read by read as the test says: the second read waits
// for `second`, the fourth announces itself on `fourth` and waits for
// `go_on`.
class SteppedSource : public FrameSource {
 public:
  SteppedSource(absl::Notification& second, absl::Notification& fourth,
                absl::Notification& go_on)
      : inner_(TestPattern()),
        second_(second),
        fourth_(fourth),
        go_on_(go_on) {}
  absl::StatusOr<cv::Mat> Next() override {
    ++reads_;
    if (reads_ == 2) second_.WaitForNotification();
    if (reads_ == 4) {
      fourth_.Notify();
      go_on_.WaitForNotification();
    }
    return inner_->Next();
  }
  std::string Describe() const override { return "stepped test pattern"; }

 private:
  std::unique_ptr<FrameSource> inner_;
  absl::Notification& second_;
  absl::Notification& fourth_;
  absl::Notification& go_on_;
  int reads_ = 0;
};

// With its one encoder busy, the capturer keeps one frame waiting for it and
// drops the next (skipped_busy), as a driver drops what nobody reads.
TEST(CapturerBusyTest, OneBusyEncoderKeepsOneFrameWaitingAndDropsTheNext) {
  FrameHub hub;
  absl::Notification encoding, fourth_read, go_on;
  Capturer capturer(
      std::make_unique<SteppedSource>(encoding, fourth_read, go_on),
      {.fps = 1000, .device_timeout = absl::Hours(1), .encoders = 1}, hub,
      [&](absl::Time) {
        if (encoding.HasBeenNotified()) return;
        encoding.Notify();  // frame 1: the encoder stays busy with it
        go_on.WaitForNotification();
      });
  hub.AddSubscriber();
  capturer.Start();
  fourth_read.WaitForNotification();  // frames 2 and 3 were handled
  const CaptureState state = capturer.State();
  go_on.Notify();
  capturer.Stop();
  EXPECT_EQ(state.frames_captured, 3);
  EXPECT_EQ(state.skipped_busy, 1);
}

// A source that never gave a frame has no size to keep: viewers get NO
// SIGNAL at 640x480, mid-grey, and the state says why.
TEST(CapturerNoSignalTest, ASourceThatNeverGaveAFrameShowsNoSignalAt640x480) {
  FrameHub hub;
  Capturer capturer(std::make_unique<NeverASource>(), {.fps = 200}, hub,
                    [](absl::Time) {});
  hub.AddSubscriber();
  capturer.Start();
  std::shared_ptr<const Frame> f = hub.WaitNewer(0, absl::Seconds(20));
  capturer.Stop();
  ASSERT_NE(f, nullptr);
  cv::Mat picture =
      cv::imdecode(cv::Mat(1, static_cast<int>(f->jpeg.size()), CV_8UC1,
                           const_cast<char*>(f->jpeg.data())),
                   cv::IMREAD_COLOR);
  ASSERT_FALSE(picture.empty());
  EXPECT_EQ(picture.cols, 640);
  EXPECT_EQ(picture.rows, 480);
  const cv::Vec3b corner = picture.at<cv::Vec3b>(5, 5);
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(corner[c], 96, 4);
  EXPECT_EQ(ReadFrameNumber(picture), -1);  // not the test pattern
  EXPECT_THAT(capturer.State().last_error, HasSubstr("/dev/video9"));
}

// The defaults: the tutorial's 30 fps at JPEG quality 40, every frame,
// NO SIGNAL after a second without one, one encoder.
TEST(CaptureOptionsTest, DefaultsAreTheDocumentedOnes) {
  const CaptureOptions o;
  EXPECT_EQ(o.fps, 30);
  EXPECT_EQ(o.jpeg_quality, 40);
  EXPECT_EQ(o.desired_fps, 0);
  EXPECT_EQ(o.drop_same_frames, 0);
  EXPECT_EQ(o.device_timeout, absl::Seconds(1));
  EXPECT_EQ(o.encoders, 1);
}

}  // namespace
}  // namespace camera
