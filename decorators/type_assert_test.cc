#include "decorators/type_assert.h"

#include <concepts>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/testing/status_matchers.h"

namespace decorators {
namespace {

using ::testing::HasSubstr;
using ::testing_util::IsOk;
using ::testing_util::StatusIs;

TEST(TypeAssertTest, TheTutorialsCallIsRefusedNamingArgumentAndTypes) {
  absl::StatusOr<TypeAssert> check =
      TypeAssert::Create({"a", "b", "c"}, {{"c", Type::kString}});
  ASSERT_THAT(check.status(), IsOk());
  int calls = 0;
  auto f =
      (*check)([&calls](const Value&, const Value&, const Value&) { ++calls; });
  EXPECT_THAT(f(5, 10, 5.3),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("f(a, b, c): argument c must be str, got "
                                 "float (5.3)")));
  EXPECT_EQ(calls, 0);
  EXPECT_THAT(f(5, 10, "x"), IsOk());
  EXPECT_EQ(calls, 1);
}

TEST(TypeAssertTest, ByPositionAndWithAResult) {
  absl::StatusOr<TypeAssert> check = TypeAssert::Create(
      {"x", "y"}, {{size_t{0}, Type::kInt}, {size_t{1}, Type::kInt}}, "add");
  ASSERT_THAT(check.status(), IsOk());
  auto add = (*check)([](const Value& x, const Value& y) {
    return std::get<int64_t>(x) + std::get<int64_t>(y);
  });
  absl::StatusOr<int64_t> sum = add(2, 3);
  ASSERT_THAT(sum.status(), IsOk());
  EXPECT_EQ(*sum, 5);
  EXPECT_THAT(add(2, "3").status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("add(x, y): argument y must be int, got str "
                                 "('3')")));
  EXPECT_THAT(add(true, 1).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("argument x must be int, got bool (True)")));
  EXPECT_THAT(add(false, 1).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("argument x must be int, got bool (False)")));
}

// Every type by its Python name, in the refusal and in the value shown.
TEST(TypeAssertTest, EachTypeIsNamedAsPythonNamesIt) {
  absl::StatusOr<TypeAssert> check = TypeAssert::Create(
      {"s", "b", "x"},
      {{"s", Type::kString}, {"b", Type::kBool}, {"x", Type::kFloat}}, "g");
  ASSERT_THAT(check.status(), IsOk());
  auto g = (*check)([](const Value&, const Value&, const Value&) {});
  EXPECT_THAT(g(-42, true, 1.5),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("argument s must be str, got int (-42)")));
  EXPECT_THAT(g("a", 1.5, 1.5),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("argument b must be bool, got float (1.5)")));
  EXPECT_THAT(g("a", true, "y"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("argument x must be float, got str ('y')")));
  EXPECT_THAT(g("a", false, 2.0), IsOk());
}

// The value in a refusal is written as Python's repr writes it.
TEST(TypeAssertTest, RefusedFloatsAreShownAsPythonShowsThem) {
  absl::StatusOr<TypeAssert> check =
      TypeAssert::Create({"x"}, {{"x", Type::kInt}}, "f");
  ASSERT_THAT(check.status(), IsOk());
  auto f = (*check)([](const Value&) {});
  for (const auto& [value, shown] :
       {std::pair{1.0, "(1.0)"}, std::pair{0.1, "(0.1)"},
        std::pair{1e16, "(1e+16)"}, std::pair{100000.0, "(100000.0)"}}) {
    EXPECT_THAT(f(value),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr(absl::StrCat("got float ", shown))))
        << shown;
  }
}

TEST(TypeAssertTest, WrongArgumentCountIsAnError) {
  absl::StatusOr<TypeAssert> check = TypeAssert::Create({"a", "b"}, {});
  ASSERT_THAT(check.status(), IsOk());
  auto f = (*check)([](const std::vector<Value>& args) { return args.size(); });
  EXPECT_THAT(f(1).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("takes 2 arguments but 1 were given")));
  absl::StatusOr<size_t> n = f(1, "two");
  ASSERT_THAT(n.status(), IsOk());
  EXPECT_EQ(*n, 2u);
}

TEST(TypeAssertTest, BadSpecIsRefusedWhenDecorating) {
  EXPECT_THAT(TypeAssert::Create({"a", "b"}, {{"z", Type::kInt}}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("no parameter named z")));
  EXPECT_THAT(TypeAssert::Create({"a"}, {{size_t{3}, Type::kInt}}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("no argument at position 3")));
}

// The decorated function's compile-time contract, checked on the project's
// TypeChecked (not on functions made up here).
TEST(TypeAssertTest, TheCallShapeIsCheckedAtCompileTime) {
  auto check = TypeAssert::Create({"a", "b", "c"}, {{"c", Type::kString}});
  ASSERT_THAT(check.status(), IsOk());
  auto f = (*check)([](const Value&, const Value&, const Value&) {});
  using F = decltype(f);
  // Three parameters: three arguments of dynamic types compile...
  static_assert(std::is_invocable_v<const F&, int, long, const char*>);
  static_assert(std::is_invocable_v<const F&, int, int, double>);  // at run
  // ...two or four do not, and neither does a type no Value holds.
  static_assert(!std::is_invocable_v<const F&, int, int>);
  static_assert(!std::is_invocable_v<const F&, int, int, int, int>);
  static_assert(!std::is_invocable_v<const F&, int, int, std::vector<int>>);
  // *args: any count compiles; the count is checked at run time.
  auto g = (*check)([](const std::vector<Value>&) {});
  static_assert(std::is_invocable_v<const decltype(g)&, int, int>);
  static_assert(DynamicArgument<const char(&)[2]> && DynamicArgument<bool> &&
                !DynamicArgument<std::vector<int>>);
  EXPECT_THAT(f(5, 10, 5.3), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(f(5, 10, "x"), IsOk());
}

}  // namespace
}  // namespace decorators
