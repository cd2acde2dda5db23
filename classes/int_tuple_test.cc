#include "classes/int_tuple.h"

#include <vector>

#include "absl/hash/hash_testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/testing/status_matchers.h"

namespace classes {
namespace {

using ::testing::ElementsAre;
using ::testing_util::StatusIs;

TEST(IntTupleTest, KeepsOnlyPositiveIntsInOrder) {
  IntTuple t({1, -1, "abc", 6, Item::ListOf({"x", "y"}), 3});
  EXPECT_THAT(std::vector<int64_t>(t.begin(), t.end()), ElementsAre(1, 6, 3));
  EXPECT_EQ(t.ToString(), "(1, 6, 3)");
  EXPECT_EQ(t.size(), 3u);
  EXPECT_EQ(t[1], 6);
  IntTuple floats({0, 2.5, -3, 7});
  EXPECT_EQ(floats.ToString(), "(7,)");  // 2.5 is not an int; 0 is not > 0
  EXPECT_EQ(IntTuple({-1, "a"}).ToString(), "()");
}

TEST(IntTupleTest, AtReportsOutOfRange) {
  IntTuple t({5});
  EXPECT_EQ(*t.at(0), 5);
  EXPECT_THAT(t.at(1).status(), StatusIs(absl::StatusCode::kOutOfRange,
                                         ::testing::HasSubstr("(5,)")));
}

TEST(IntTupleTest, CopiesShareAndCompareLikeTuples) {
  IntTuple a({1, 6, 3});
  IntTuple b = a;
  EXPECT_TRUE(a.SharesStorageWith(b));
  EXPECT_EQ(a, b);
  EXPECT_EQ(a, IntTuple({1, "x", 6, 3}));
  EXPECT_LT(IntTuple({1, 6}), a);  // a prefix is smaller
  EXPECT_GT(IntTuple({2}), a);
  // t[0] = 5 does not compile: elements come out by value.
  static_assert(!std::is_assignable_v<decltype((a[0])), int>);
}

TEST(IntTupleTest, HashesConsistentlyWithEquality) {
  EXPECT_TRUE(absl::VerifyTypeImplementsAbslHashCorrectly(
      {IntTuple(), IntTuple({1}), IntTuple({1, 6, 3}), IntTuple({3, 6, 1}),
       IntTuple({1, "x", 6, 3})}));
}

}  // namespace
}  // namespace classes
