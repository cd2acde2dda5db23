#include "classes/call_by_name.h"

#include <any>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/testing/status_matchers.h"

namespace classes {
namespace {

using ::testing::HasSubstr;
using ::testing_util::IsOk;
using ::testing_util::StatusIs;

struct NoArea {};
struct WrongName {
  double size() const { return 1; }
};
// Whether GetArea accepts an S (a requires-expression needs a template).
template <typename S>
constexpr bool kGetAreaAccepts = requires(const S& s) {
  GetArea(s);
};

TEST(CallByNameTest, CompileTimeFindsEachLibrarysName) {
  EXPECT_EQ(NumberToString(GetArea(lib1::Circle{1})), "3.141592653589793");
  EXPECT_EQ(NumberToString(GetArea(lib2::Triangle{3, 4, 5})), "6.0");
  EXPECT_EQ(NumberToString(GetArea(lib3::Rectangle{4, 6})), "24");
  // The library's constraint, checked: each library's shape qualifies, and
  // a shape without any of the three names cannot be passed to GetArea.
  static_assert(HasArea<lib1::Circle> && HasArea<lib2::Triangle> &&
                HasArea<lib3::Rectangle>);
  static_assert(!HasArea<NoArea> && !HasArea<WrongName>);
  static_assert(!kGetAreaAccepts<NoArea> && !kGetAreaAccepts<WrongName>);
  static_assert(kGetAreaAccepts<lib3::Rectangle>);
}

TEST(CallByNameTest, RunTimeRegistry) {
  MethodRegistry r = MethodRegistry::ForShapes();
  const std::vector<std::string> names = {"area", "get_area", "getArea"};
  std::vector<std::any> shapes = {lib1::Circle{1}, lib2::Triangle{3, 4, 5},
                                  lib3::Rectangle{4, 6}};
  std::vector<std::string> areas;
  for (const std::any& s : shapes) {
    absl::StatusOr<Number> a = r.CallFirst(s, names);
    ASSERT_THAT(a.status(), IsOk());
    areas.push_back(NumberToString(*a));
  }
  EXPECT_THAT(areas, ::testing::ElementsAre("3.141592653589793", "6.0", "24"));
}

TEST(CallByNameTest, UnknownNamesAreClearErrors) {
  MethodRegistry r = MethodRegistry::ForShapes();
  EXPECT_THAT(r.Call(std::any(lib2::Triangle{3, 4, 5}), "area").status(),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("'Triangle' object has no method 'area'")));
  EXPECT_THAT(r.CallFirst(std::any(lib1::Circle{1}), {"perimeter"}).status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("perimeter")));
  EXPECT_THAT(r.Call(std::any(42), "area").status(),
              StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace classes
