#include "concurrency/armstrong.h"

#include <cstdint>
#include <limits>
#include <vector>

#include "concurrency/thread_pool.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/testing/status_matchers.h"

namespace concurrency {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing_util::IsOk;

// The digit-power sum computed the slow, obvious way, in 128 bits.
bool ReferenceIsArmstrong(uint64_t n) {
  std::vector<unsigned> digits;
  for (uint64_t t = n; t != 0; t /= 10) {
    digits.push_back(t % 10);
  }
  if (digits.empty()) {
    digits.push_back(0);
  }
  unsigned __int128 sum = 0;
  for (unsigned d : digits) {
    unsigned __int128 p = 1;
    for (size_t i = 0; i < digits.size(); ++i) {
      p *= d;
    }
    sum += p;
  }
  return sum == n;
}

TEST(IsArmstrongTest, KnownNumbers) {
  for (uint64_t n :
       std::vector<uint64_t>{0ull, 1ull, 9ull, 153ull, 370ull, 371ull, 407ull,
                             1634ull, 24678050ull, 24678051ull, 4679307774ull,
                             1517841543307505039ull, 4929273885928088826ull}) {
    EXPECT_TRUE(IsArmstrong(n)) << n;
  }
  for (uint64_t n :
       std::vector<uint64_t>{10ull, 100ull, 152ull, 24678052ull,
                             std::numeric_limits<uint64_t>::max()}) {
    EXPECT_FALSE(IsArmstrong(n)) << n;
  }
}

TEST(FindArmstrongTest, MatchesTheSlowDefinitionOnSmallRanges) {
  std::vector<uint64_t> expected;
  for (uint64_t n = 0; n < 200000; ++n) {
    if (ReferenceIsArmstrong(n)) {
      expected.push_back(n);
    }
  }
  EXPECT_EQ(FindArmstrong(0, 200000), expected);
  EXPECT_THAT(FindArmstrong(0, 10), ElementsAre(0, 1, 2, 3, 4, 5, 6, 7, 8, 9));
  EXPECT_THAT(FindArmstrong(100, 1000), ElementsAre(153, 370, 371, 407));
}

TEST(FindArmstrongTest, TheTutorialsSubRange) {
  EXPECT_THAT(FindArmstrong(20000000, 25000000),
              ElementsAre(24678050, 24678051));
}

TEST(FindArmstrongTest, EmptyAndReversedRanges) {
  EXPECT_THAT(FindArmstrong(5, 5), IsEmpty());
  EXPECT_THAT(FindArmstrong(10, 5), IsEmpty());
  EXPECT_THAT(FindArmstrong(153, 154), ElementsAre(153));
}

// Near 2^64 the digit-power sums exceed 64 bits: the 128-bit path must agree
// with the reference, at 19- and 20-digit numbers and at the very top (the
// next Armstrong number, 63105425988599693916, is beyond 2^64).
TEST(FindArmstrongTest, ExactAtTheTopOf64Bits) {
  const uint64_t top = std::numeric_limits<uint64_t>::max();
  const uint64_t a = 1517841543307505039ull, b = 4929273885928088826ull;
  EXPECT_THAT(FindArmstrong(a - 1000, a + 1000), ElementsAre(a));
  EXPECT_THAT(FindArmstrong(b - 1000, b + 1000), ElementsAre(b));
  EXPECT_THAT(FindArmstrong(top - 100000, top), IsEmpty());
  for (uint64_t n = top - 1000; n != 0; ++n) {  // Up to and including 2^64-1.
    EXPECT_EQ(IsArmstrong(n), ReferenceIsArmstrong(n)) << n;
  }
  const uint64_t ten18 = 1000000000000000000ull;  // 19 digits from here.
  for (uint64_t n = ten18 - 500; n < ten18 + 500; ++n) {
    EXPECT_EQ(IsArmstrong(n), ReferenceIsArmstrong(n)) << n;
  }
  EXPECT_THAT(FindArmstrong(ten18 - 500, ten18 + 500), IsEmpty());
}

TEST(SplitRangeTest, EqualPartsAndRemainders) {
  EXPECT_THAT(SplitRange(10000000, 30000000, 4),
              ElementsAre(Pair(10000000, 15000000), Pair(15000000, 20000000),
                          Pair(20000000, 25000000), Pair(25000000, 30000000)));
  EXPECT_THAT(SplitRange(0, 10, 3),
              ElementsAre(Pair(0, 4), Pair(4, 7), Pair(7, 10)));
  EXPECT_THAT(SplitRange(0, 2, 4), ElementsAre(Pair(0, 1), Pair(1, 2)));
  EXPECT_THAT(SplitRange(5, 5, 4), IsEmpty());
  EXPECT_THAT(SplitRange(0, 5, 0), IsEmpty());
}

TEST(ParallelArmstrongTest, ThreadsProcessesAndSequentialAgree) {
  const uint64_t lo = 100, hi = 2000000;
  const std::vector<uint64_t> sequential = FindArmstrong(lo, hi);
  ThreadPool pool(3);
  absl::StatusOr<std::vector<uint64_t>> threads =
      FindArmstrongThreads(lo, hi, 7, pool);
  ASSERT_THAT(threads, IsOk());
  EXPECT_EQ(*threads, sequential);
  pool.Shutdown();  // No threads but this one before forking (see process.h).
  absl::StatusOr<std::vector<uint64_t>> processes =
      FindArmstrongProcesses(lo, hi, 4);
  ASSERT_THAT(processes, IsOk());
  EXPECT_EQ(*processes, sequential);
}

// OEIS A005188, the positive Armstrong numbers: its first 50 terms are the
// ones below 2^64 (the 51st, 28361281321319229463398, has 23 digits).
const std::vector<uint64_t>& A005188Below2To64() {
  static const auto* kTerms = new std::vector<uint64_t>{
      1ULL,
      2ULL,
      3ULL,
      4ULL,
      5ULL,
      6ULL,
      7ULL,
      8ULL,
      9ULL,
      153ULL,
      370ULL,
      371ULL,
      407ULL,
      1634ULL,
      8208ULL,
      9474ULL,
      54748ULL,
      92727ULL,
      93084ULL,
      548834ULL,
      1741725ULL,
      4210818ULL,
      9800817ULL,
      9926315ULL,
      24678050ULL,
      24678051ULL,
      88593477ULL,
      146511208ULL,
      472335975ULL,
      534494836ULL,
      912985153ULL,
      4679307774ULL,
      32164049650ULL,
      32164049651ULL,
      40028394225ULL,
      42678290603ULL,
      44708635679ULL,
      49388550606ULL,
      82693916578ULL,
      94204591914ULL,
      28116440335967ULL,
      4338281769391370ULL,
      4338281769391371ULL,
      21897142587612075ULL,
      35641594208964132ULL,
      35875699062250035ULL,
      1517841543307505039ULL,
      3289582984443187032ULL,
      4498128791164624869ULL,
      4929273885928088826ULL,
  };
  return *kTerms;
}

const absl::uint128 k2To64 = absl::MakeUint128(1, 0);

TEST(ArmstrongBelowTest, EveryOneBelow2To64IsOeisA005188) {
  ASSERT_EQ(A005188Below2To64().size(), 50u);
  EXPECT_EQ(ArmstrongBelow(k2To64), A005188Below2To64());
  for (uint64_t n : A005188Below2To64()) {
    EXPECT_TRUE(ReferenceIsArmstrong(n)) << n;
  }
}

TEST(ArmstrongBelowTest, OnAPoolTheSameList) {
  ThreadPool pool(2);
  absl::StatusOr<std::vector<uint64_t>> found =
      ArmstrongBetween(1, k2To64, pool);
  ASSERT_THAT(found, IsOk());
  EXPECT_EQ(*found, A005188Below2To64());
  // 0 is one (0^1 == 0) when the range starts there, as in FindArmstrong.
  EXPECT_THAT(ArmstrongBetween(0, 10),
              ElementsAre(0, 1, 2, 3, 4, 5, 6, 7, 8, 9));
}

TEST(ArmstrongBetweenTest, EveryRangeOfTheLessonMatchesBruteForce) {
  std::vector<std::pair<uint64_t, uint64_t>> ranges = {{10000000, 30000000},
                                                       {0, 1000000},
                                                       {153, 154},
                                                       {153, 153},
                                                       {154, 370},
                                                       {370, 372},
                                                       {30000000, 10000000},
                                                       {0, 0},
                                                       {10, 10},
                                                       {0, 1}};
  for (auto [lo, hi] : SplitRange(10000000, 30000000, 4)) {
    ranges.emplace_back(lo, hi);
  }
  ThreadPool pool(2);
  for (auto [lo, hi] : ranges) {
    EXPECT_EQ(ArmstrongBetween(lo, hi), FindArmstrong(lo, hi))
        << "[" << lo << ", " << hi << ")";
    absl::StatusOr<std::vector<uint64_t>> on_pool =
        ArmstrongBetween(lo, hi, pool);
    ASSERT_THAT(on_pool, IsOk());
    EXPECT_EQ(*on_pool, FindArmstrong(lo, hi));
  }
}

TEST(ArmstrongBetweenTest, TheTopOf64BitsIsExact) {
  const uint64_t max = std::numeric_limits<uint64_t>::max();
  // The largest below 2^64, and the bounds around it, in the 20-digit part
  // where power sums need 128 bits.
  const uint64_t top = 4929273885928088826ULL;
  EXPECT_THAT(ArmstrongBetween(top, top + 1), ElementsAre(top));
  EXPECT_THAT(ArmstrongBetween(top + 1, k2To64), IsEmpty());
  EXPECT_THAT(ArmstrongBetween(top, max), ElementsAre(top));
  EXPECT_THAT(ArmstrongBetween(10000000000000000000ULL, k2To64), IsEmpty());
  // Past 2^64 means 2^64.
  EXPECT_THAT(ArmstrongBetween(top, absl::MakeUint128(5, 0)), ElementsAre(top));
}

}  // namespace
}  // namespace concurrency
