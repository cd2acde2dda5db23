#include "camera/rate_window.h"

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace camera {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1000);

// A 30 fps source, frame k at k/30 s, sampled as it goes.
TEST(RateWindowTest, ReadsTheSourceRateFromTheFirstFramesOn) {
  RateWindow w;
  w.Start(kT0);
  for (int k = 1; k <= 300; ++k) {
    const absl::Time t = kT0 + absl::Seconds(k / 30.0);
    w.Sample(t, k);
    if (k == 3 || k == 30 || k == 45 || k == 300) {
      EXPECT_NEAR(w.Rate(t), 30.0, 3.0) << "after " << k << " frames";
    }
  }
}

TEST(RateWindowTest, ForgetsWhatLeftTheWindow) {
  RateWindow w(absl::Seconds(3));
  w.Start(kT0);
  int64_t total = 0;
  absl::Time t = kT0;
  for (int k = 0; k < 300; ++k) {  // 10 s at 30 fps
    t += absl::Seconds(1 / 30.0);
    w.Sample(t, ++total);
  }
  for (int k = 0; k < 40; ++k) {  // then 4 s at 10 fps
    t += absl::Seconds(0.1);
    w.Sample(t, ++total);
  }
  EXPECT_NEAR(w.Rate(t), 10.0, 1.0);
  EXPECT_EQ(w.Rate(t + absl::Seconds(100)) < 1.0, true);  // it stopped
}

// By default samples are kept at most every 100 ms, and the rate counts
// from the last one kept at or before the start of a 3 s window.
TEST(RateWindowTest, DefaultsKeepASampleEvery100MsOverThreeSeconds) {
  RateWindow w;
  w.Start(kT0);
  w.Sample(kT0 + absl::Milliseconds(100), 10);  // kept: 100 ms after Start
  w.Sample(kT0 + absl::Milliseconds(199), 20);  // not kept: 99 ms after
  const absl::Time now = kT0 + absl::Milliseconds(3250);
  w.Sample(now, 30);
  // The window starts at 250 ms: the rate counts from the 100 ms sample.
  EXPECT_DOUBLE_EQ(w.Rate(now), 20 / 3.15);
}

TEST(RateWindowTest, NothingYetIsZero) {
  RateWindow w;
  EXPECT_EQ(w.Rate(kT0), 0.0);
  w.Start(kT0);
  EXPECT_EQ(w.Rate(kT0), 0.0);
}

}  // namespace
}  // namespace camera
