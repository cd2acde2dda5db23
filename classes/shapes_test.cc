#include "classes/shapes.h"

#include <algorithm>
#include <memory>
#include <numbers>
#include <vector>

#include "gtest/gtest.h"

namespace classes {
namespace {

TEST(ShapesTest, TheTutorialsComparisons) {
  Rect rect1(6, 9), rect2(7, 8);  // 54, 56
  CircleShape c(8);               // 201.06...
  EXPECT_FALSE(rect1 > rect2);
  EXPECT_TRUE(rect1 < c);
  EXPECT_TRUE(c > rect2);
}

TEST(ShapesTest, AreasAreWidthTimesHeightAndPiRSquared) {
  EXPECT_EQ(Rect(6, 9).Area(), 54);
  EXPECT_DOUBLE_EQ(CircleShape(2).Area(), 4 * std::numbers::pi);
  EXPECT_DOUBLE_EQ(CircleShape(0.5).Area(), std::numbers::pi / 4);
}

TEST(ShapesTest, AllSixOperatorsAcrossTypes) {
  Rect r(2, 3);
  Rect same(3, 2);
  CircleShape c(1);  // pi < 6
  EXPECT_TRUE(r == same);
  EXPECT_FALSE(r != same);
  EXPECT_TRUE(r <= same && r >= same);
  EXPECT_TRUE(c < r && c <= r && r > c && r >= c && c != r);
  EXPECT_EQ(r <=> same, std::partial_ordering::equivalent);
}

TEST(ShapesTest, SortByArea) {
  std::vector<std::unique_ptr<Shape>> shapes;
  shapes.push_back(std::make_unique<CircleShape>(8));
  shapes.push_back(std::make_unique<Rect>(7, 8));
  shapes.push_back(std::make_unique<Rect>(6, 9));
  shapes.push_back(std::make_unique<CircleShape>(1));
  std::sort(shapes.begin(), shapes.end(),
            [](const auto& a, const auto& b) { return *a < *b; });
  std::vector<std::string> order;
  for (const auto& s : shapes) order.push_back(s->ToString());
  EXPECT_EQ(order, (std::vector<std::string>{"Circle:(1)", "Rect:(6, 9)",
                                             "Rect:(7, 8)", "Circle:(8)"}));
}

// As Python's %s shows them: whole numbers as ints, others as floats, and
// whole numbers too large for an int's digits as floats too.
TEST(ShapesTest, SidesPrintAsPythonPrintsThem) {
  EXPECT_EQ(Rect(6, 9).ToString(), "Rect:(6, 9)");
  EXPECT_EQ(Rect(2.5, 0.1).ToString(), "Rect:(2.5, 0.1)");
  EXPECT_EQ(Rect(-3, 1e20).ToString(), "Rect:(-3, 1e+20)");
  EXPECT_EQ(CircleShape(0.5).ToString(), "Circle:(0.5)");
}

TEST(ShapesTest, EqualityIsExactAndConsistentWithOrdering) {
  Rect a(0.1, 3), b(0.3, 1);  // 0.30000000000000004 vs 0.3
  EXPECT_FALSE(a == b);
  EXPECT_TRUE(b < a);
}

}  // namespace
}  // namespace classes
