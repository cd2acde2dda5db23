#include "camera/reopen_backoff.h"

#include <vector>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace camera {
namespace {

using ::testing::ElementsAre;

TEST(ReopenBackoffTest, DoublesFromAQuarterSecondToAtMostFiveSeconds) {
  ReopenBackoff backoff;
  std::vector<absl::Duration> waits;
  for (int i = 0; i < 8; ++i) waits.push_back(backoff.Next());
  EXPECT_THAT(
      waits, ElementsAre(absl::Milliseconds(250), absl::Milliseconds(500),
                         absl::Seconds(1), absl::Seconds(2), absl::Seconds(4),
                         absl::Seconds(5), absl::Seconds(5), absl::Seconds(5)));
}

// Each recovery starts again from the first wait.
TEST(ReopenBackoffTest, ANewOneStartsAgain) {
  ReopenBackoff first;
  for (int i = 0; i < 10; ++i) first.Next();
  EXPECT_EQ(first.Next(), absl::Seconds(5));
  EXPECT_EQ(ReopenBackoff().Next(), absl::Milliseconds(250));
}

}  // namespace
}  // namespace camera
