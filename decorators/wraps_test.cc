#include "decorators/wraps.h"

#include <memory>
#include <string>
#include <utility>

#include "gtest/gtest.h"

namespace decorators {
namespace {

// The tutorial's my_decorator: adds behaviour, keeps the metadata.
template <typename F>
auto CountingDecorator(F func, int* count) {
  return Wraps(func, [func, count](auto&&... args) -> decltype(auto) {
    ++*count;  // "此处实现某种功能"
    return std::invoke(func, std::forward<decltype(args)>(args)...);
  });
}

const auto xxx_func = Describe([](int a, int b) { return a + b; },
                               {.name = "xxx_func",
                                .doc = "xxx_func's documentation",
                                .signature = "int xxx_func(int a, int b)"});

TEST(WrapsTest, WrapperReportsTheWrappedFunctionsMetadata) {
  int count = 0;
  auto wrapped = CountingDecorator(xxx_func, &count);
  EXPECT_EQ(wrapped(2, 3), 5);
  EXPECT_EQ(count, 1);
  EXPECT_EQ(wrapped.info().name, "xxx_func");
  EXPECT_EQ(wrapped.info().doc, "xxx_func's documentation");
  EXPECT_EQ(wrapped.info().signature, "int xxx_func(int a, int b)");
  EXPECT_EQ(wrapped.wrapped().info().name, "xxx_func");  // __wrapped__
}

TEST(WrapsTest, StackedWrappersKeepTheInnermostMetadata) {
  int count = 0;
  auto twice = CountingDecorator(CountingDecorator(xxx_func, &count), &count);
  EXPECT_EQ(twice(1, 1), 2);
  EXPECT_EQ(count, 2);
  EXPECT_EQ(twice.info().name, "xxx_func");
  EXPECT_EQ(Unwrap(twice).info().doc, "xxx_func's documentation");
  EXPECT_EQ(Unwrap(twice)(4, 5), 9);  // the original, without the wrappers
  EXPECT_EQ(count, 2);
}

TEST(WrapsTest, UndescribedCallablesAreLambdas) {
  int count = 0;
  auto w = CountingDecorator([](int x) { return x; }, &count);
  EXPECT_EQ(w.info().name, "<lambda>");
  EXPECT_EQ(w(3), 3);
}

TEST(WrapsTest, VoidMoveOnlyAndReferencesPassThrough) {
  int count = 0;
  auto sink = Describe([](std::unique_ptr<int> p) { return *p; },
                       {.name = "sink", .doc = "", .signature = ""});
  auto w = CountingDecorator(sink, &count);
  EXPECT_EQ(w(std::make_unique<int>(42)), 42);

  int target = 0;
  auto ref = CountingDecorator([&target]() -> int& { return target; }, &count);
  ref() = 7;
  EXPECT_EQ(target, 7);

  bool ran = false;
  auto v = CountingDecorator([&ran] { ran = true; }, &count);
  static_assert(std::is_void_v<decltype(v())>);
  v();
  EXPECT_TRUE(ran);
}

// Polymorphic only because gcc 12 at -O2 falsely reports -Warray-bounds when
// std::invoke calls a member pointer of a non-polymorphic class.
struct Account {
  virtual ~Account() = default;
  int balance = 10;
  int Deposit(int amount) { return balance += amount; }
};

TEST(WrapsTest, MemberFunctions) {
  int count = 0;
  auto deposit = CountingDecorator(
      Describe(&Account::Deposit,
               {.name = "Account::Deposit", .doc = "", .signature = ""}),
      &count);
  Account a;
  EXPECT_EQ(deposit(a, 5), 15);
  EXPECT_EQ(deposit.info().name, "Account::Deposit");
}

}  // namespace
}  // namespace decorators
