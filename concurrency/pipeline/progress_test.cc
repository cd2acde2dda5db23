#include "concurrency/pipeline/progress.h"

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concurrency::pipeline {
namespace {

using ::testing::HasSubstr;

ProgressSnapshot At(int64_t total, int64_t archived, int64_t failed,
                    absl::Duration elapsed) {
  ProgressSnapshot s;
  s.total = total;
  s.downloaded = archived + failed + 2;
  s.converted = archived + 1;
  s.archived = archived;
  s.failed = failed;
  s.bytes = 2'500'000;
  s.elapsed = elapsed;
  return s;
}

TEST(FormatProgressTest, ShowsCountsBytesAndRate) {
  EXPECT_EQ(FormatProgress(At(100, 8, 0, absl::Seconds(2))),
            "archived 8/100 | downloaded 10 converted 9 failed 0 | 2.5 MB "
            "1.2 MB/s | 0:02 elapsed, ETA 0:23");
}

// The rate is the bytes over the time they took, down to a millisecond
// (a first line printed at once is not divided by zero).
TEST(FormatProgressTest, TheRateHoldsDownToAMillisecond) {
  EXPECT_THAT(FormatProgress(At(100, 8, 0, absl::Milliseconds(5))),
              HasSubstr("2.5 MB 500.0 MB/s"));
  EXPECT_THAT(FormatProgress(At(100, 8, 0, absl::ZeroDuration())),
              HasSubstr("2.5 MB 2500.0 MB/s"));
}

TEST(FormatProgressTest, MinutesAndHoursCarrySeconds) {
  EXPECT_THAT(FormatProgress(At(10, 5, 0, absl::Seconds(61))),
              HasSubstr("1:01 elapsed, ETA 1:01"));
  EXPECT_THAT(FormatProgress(At(10, 5, 0, absl::Seconds(59))),
              HasSubstr("0:59 elapsed"));
  EXPECT_THAT(FormatProgress(At(10, 5, 0, absl::Seconds(3600 + 120 + 5))),
              HasSubstr("1:02:05 elapsed, ETA 1:02:05"));
  EXPECT_THAT(FormatProgress(At(10, 5, 0, absl::Seconds(3599))),
              HasSubstr("59:59 elapsed"));
  EXPECT_THAT(FormatProgress(At(10, 5, 0, absl::Seconds(3000))),
              HasSubstr("50:00 elapsed"));
}

TEST(FormatProgressTest, EtaCountsFailedPagesAsDone) {
  // 4 archived and 1 failed of 10 in 10 s: 5 to go at 2 s each.
  EXPECT_THAT(FormatProgress(At(10, 4, 1, absl::Seconds(10))),
              HasSubstr("ETA 0:10"));
  EXPECT_THAT(FormatProgress(At(10, 0, 0, absl::Seconds(10))),
              HasSubstr("ETA ?"));
  EXPECT_THAT(FormatProgress(At(10, 9, 1, absl::Seconds(10))),
              HasSubstr("ETA 0:00"));
}

}  // namespace
}  // namespace concurrency::pipeline
