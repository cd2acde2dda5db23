#include "classes/py_repr.h"

#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace classes {
namespace {

// Each text is what Debian's Python 3.11 prints for repr() of the value.
TEST(PyReprTest, FloatsPrintAsPythonsRepr) {
  const std::vector<std::pair<double, const char*>> cases = {
      {1.0, "1.0"},
      {0.1, "0.1"},
      {0.3, "0.3"},
      {6.0, "6.0"},
      {-2.5, "-2.5"},
      {0.0, "0.0"},
      {-0.0, "-0.0"},
      {99.88000000000001, "99.88000000000001"},
      {100000.0, "100000.0"},
      {1e15, "1000000000000000.0"},
      {1e16, "1e+16"},
      {123456789012345.6, "123456789012345.6"},
      {12345678901234567890.0, "1.2345678901234567e+19"},
      {0.0001, "0.0001"},
      {0.00001, "1e-05"},
      {1.5e-05, "1.5e-05"},
      {1e-06, "1e-06"},
      {1.7976931348623157e308, "1.7976931348623157e+308"},
      {5e-324, "5e-324"},
      {std::numeric_limits<double>::infinity(), "inf"},
      {-std::numeric_limits<double>::infinity(), "-inf"},
      {std::nan(""), "nan"},
  };
  for (const auto& [v, text] : cases) EXPECT_EQ(PyRepr(v), text) << text;
}

TEST(PyReprTest, IntegersPrintAsTheyAre) {
  EXPECT_EQ(PyRepr(int64_t{42}), "42");
  EXPECT_EQ(PyRepr(int64_t{-7}), "-7");
}

}  // namespace
}  // namespace classes
