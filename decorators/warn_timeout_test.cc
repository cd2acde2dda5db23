#include "decorators/warn_timeout.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace decorators {
namespace {

using ::testing::ElementsAre;

// A clock the test moves by hand, and a sink that keeps the warnings.
struct Harness {
  absl::Mutex mu;
  absl::Time now = absl::UnixEpoch();
  std::vector<std::string> warnings;

  WarnTimeoutOptions Options(std::string name, absl::Duration timeout) {
    WarnTimeoutOptions o;
    o.name = std::move(name);
    o.timeout = timeout;
    o.now = [this] {
      absl::MutexLock l(&mu);
      return now;
    };
    o.sink = [this](absl::string_view line) {
      absl::MutexLock l(&mu);
      warnings.emplace_back(line);
    };
    return o;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock l(&mu);
    now += d;
  }
};

TEST(WarnTimeoutTest, WarnsOnlyAboveTheThreshold) {
  Harness h;
  auto f = WarnTimeout([&h](absl::Duration work) { h.Advance(work); },
                       h.Options("f", absl::Milliseconds(1500)));
  f(absl::Milliseconds(1200));
  f(absl::Milliseconds(1500));  // not over
  f(absl::Milliseconds(1800));
  EXPECT_THAT(h.warnings, ElementsAre("f: 1.8s > 1.5s"));
}

TEST(WarnTimeoutTest, SetTimeoutChangesTheThresholdLater) {
  Harness h;
  auto f = WarnTimeout([&h](absl::Duration work) { h.Advance(work); },
                       h.Options("f", absl::Milliseconds(1500)));
  f(absl::Milliseconds(1200));
  f.set_timeout(absl::Seconds(1));
  EXPECT_EQ(f.timeout(), absl::Seconds(1));
  f(absl::Milliseconds(1200));
  EXPECT_THAT(h.warnings, ElementsAre("f: 1.2s > 1s"));
}

TEST(WarnTimeoutTest, CopiesShareTheTimeout) {
  Harness h;
  auto f =
      WarnTimeout([](int x) { return x; }, h.Options("f", absl::Seconds(1)));
  auto g = f;
  g.set_timeout(absl::Seconds(3));
  EXPECT_EQ(f.timeout(), absl::Seconds(3));
  EXPECT_EQ(f(4), 4);
}

TEST(WarnTimeoutTest, SetTimeoutWhileOtherThreadsCall) {
  Harness h;
  auto f = WarnTimeout([&h](int) { h.Advance(absl::Seconds(2)); },
                       h.Options("f", absl::Seconds(10)));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([f]() mutable {
      for (int i = 0; i < 200; ++i) f(i);
    });
  }
  f.set_timeout(absl::Seconds(1));
  for (auto& t : threads) t.join();
  f(0);  // certainly after the change: every call takes 2s > 1s
  absl::MutexLock l(&h.mu);
  ASSERT_FALSE(h.warnings.empty());
  EXPECT_THAT(h.warnings.back(), ::testing::EndsWith(" > 1s"));
}

TEST(WarnTimeoutTest, ResultsReferencesVoidAndMoveOnlyArgumentsPassThrough) {
  Harness h;
  auto take = WarnTimeout([](std::unique_ptr<int> p) { return *p + 1; },
                          h.Options("take", absl::Seconds(1)));
  EXPECT_EQ(take(std::make_unique<int>(1)), 2);
  int x = 0;
  auto ref = WarnTimeout([&x]() -> int& { return x; },
                         h.Options("ref", absl::Seconds(1)));
  ref() = 5;
  EXPECT_EQ(x, 5);
  auto nothing = WarnTimeout([] {}, h.Options("nothing", absl::Seconds(1)));
  static_assert(std::is_void_v<decltype(nothing())>);
  nothing();
}

// Polymorphic only because gcc 12 at -O2 falsely reports -Warray-bounds when
// std::invoke calls a member pointer of a non-polymorphic class.
struct Counter {
  virtual ~Counter() = default;
  int n = 0;
  int Add(int k) { return n += k; }
};

TEST(WarnTimeoutTest, MemberFunctions) {
  Harness h;
  auto add =
      WarnTimeout(&Counter::Add, h.Options("Counter::Add", absl::Seconds(1)));
  Counter c;
  EXPECT_EQ(add(c, 3), 3);
  EXPECT_EQ(add(&c, 4), 7);
}

}  // namespace
}  // namespace decorators
