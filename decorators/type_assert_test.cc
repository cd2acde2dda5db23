#include "decorators/type_assert.h"

#include <concepts>
#include <string>
#include <type_traits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/testing/status_matchers.h"

namespace decorators {
namespace {

using ::testing::HasSubstr;
using ::testing_util::IsOk;
using ::testing_util::StatusIs;

TEST(TypeAssert, TheTutorialsCallIsRefusedNamingArgumentAndTypes) {
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

TEST(TypeAssert, ByPositionAndWithAResult) {
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
}

TEST(TypeAssert, WrongArgumentCountIsAnError) {
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

TEST(TypeAssert, BadSpecIsRefusedWhenDecorating) {
  EXPECT_THAT(TypeAssert::Create({"a", "b"}, {{"z", Type::kInt}}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("no parameter named z")));
  EXPECT_THAT(TypeAssert::Create({"a"}, {{size_t{3}, Type::kInt}}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("no argument at position 3")));
}

// With static types the compiler does the checking.
void StaticF(int, int, std::string) {}
constexpr auto kConceptF = [](std::integral auto, std::integral auto,
                              std::convertible_to<std::string> auto) {};

TEST(TypeAssert, StaticTypesAreCheckedAtCompileTime) {
  static_assert(std::is_invocable_v<decltype(&StaticF), int, int, const char*>);
  StaticF(1, 2, "x");
  static_assert(!std::is_invocable_v<decltype(&StaticF), int, int, double>);
  // A plain signature still converts 10.5 to int; the concept does not.
  static_assert(
      std::is_invocable_v<decltype(&StaticF), int, double, const char*>);
  static_assert(
      !std::is_invocable_v<decltype(kConceptF), int, double, const char*>);
  static_assert(
      std::is_invocable_v<decltype(kConceptF), int, long, std::string>);
  SUCCEED();
}

}  // namespace
}  // namespace decorators
