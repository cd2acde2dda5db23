#include "classes/circle.h"

#include <cmath>
#include <limits>

#include "classes/py_repr.h"
#include "gtest/gtest.h"
#include "tools/testing/status_matchers.h"

namespace classes {
namespace {

using ::testing_util::IsOk;
using ::testing_util::StatusIs;

TEST(CircleTest, TheTutorialsAreaThenRadius) {
  absl::StatusOr<Circle> c = Circle::Create(5.712);
  ASSERT_THAT(c.status(), IsOk());
  ASSERT_THAT(c->set_area(99.88), IsOk());
  EXPECT_EQ(PyRepr(c->area()), "99.88000000000001");
  EXPECT_EQ(PyRepr(c->radius()), "5.6");
  EXPECT_NE(c->area(), 99.88);  // the round trip loses the last bit
}

TEST(CircleTest, RadiusRoundsLikePython) {
  EXPECT_EQ(Circle::Create(5.712)->radius(), 5.7);
  EXPECT_EQ(Circle::Create(0.05)->radius(),
            0.1);  // 0.05 is above .05 in binary
  EXPECT_EQ(Circle::Create(0.25)->radius(), 0.2);  // an exact tie: to even
  EXPECT_EQ(Circle::Create(2.675)->radius(), 2.7);
}

TEST(CircleTest, BadValuesAreRefusedAndTheOldValueStays) {
  absl::StatusOr<Circle> c = Circle::Create(2);
  ASSERT_THAT(c.status(), IsOk());
  for (double bad :
       {-1.0, std::nan(""), std::numeric_limits<double>::infinity()}) {
    EXPECT_THAT(c->set_radius(bad),
                StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(c->set_area(bad), StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_EQ(c->exact_radius(), 2);
  }
  EXPECT_THAT(Circle::Create(-3).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::HasSubstr("radius must be a finite number")));
}

TEST(CircleTest, SettingTheAreaSetsTheRadius) {
  absl::StatusOr<Circle> c = Circle::Create(1);
  ASSERT_THAT(c->set_area(4 * M_PI), IsOk());
  EXPECT_DOUBLE_EQ(c->exact_radius(), 2);
}

}  // namespace
}  // namespace classes
