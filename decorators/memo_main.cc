// Lesson: the tutorial's @memo decorator, on its two problems.
//
//   bazel run //decorators:memo
#include <algorithm>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/numeric/int128.h"
#include "absl/time/clock.h"
#include "decorators/memoize.h"

ABSL_FLAG(int, n, 50, "fibonacci(n)");
ABSL_FLAG(int, stairs, 100, "climb(stairs, {1, 2, 3})");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Memoization: fibonacci(50) and the staircase problem, through a cache "
      "the function calls itself through.");
  absl::ParseCommandLine(argc, argv);

  // [题目1] Fibonacci, F(0) = F(1) = 1. `self` is the memoized function:
  // the counterpart of `fibonacci = memo(fibonacci)` rebinding the name.
  auto fibonacci =
      decorators::Memoize<uint64_t(int)>([](auto& self, int n) -> uint64_t {
        return n <= 1 ? 1 : self(n - 1) + self(n - 2);
      });
  absl::Time t0 = absl::Now();
  uint64_t f = fibonacci(absl::GetFlag(FLAGS_n));
  absl::Duration took = absl::Now() - t0;
  decorators::MemoStats s = fibonacci.stats();
  // The first call pays for page faults and lazy initialisation; the best of
  // 100 runs on an empty cache is what a cold call costs.
  for (int i = 0; i < 100; ++i) {
    fibonacci.Clear();
    absl::Time start = absl::Now();
    fibonacci(absl::GetFlag(FLAGS_n));
    took = std::min(took, absl::Now() - start);
  }
  std::printf(
      "fibonacci(%d) = %llu  (%s on an empty cache; %lld misses, "
      "%lld hits)\n",
      absl::GetFlag(FLAGS_n), static_cast<unsigned long long>(f),
      absl::FormatDuration(took).c_str(), static_cast<long long>(s.misses),
      static_cast<long long>(s.hits));

  // [题目2] 100 stairs, 1 to 3 steps at a time. The count needs 88 bits.
  int bodies = 0;
  auto climb = decorators::Memoize<absl::uint128(int, std::vector<int>)>(
      [&bodies](auto& self, int n, std::vector<int> steps) -> absl::uint128 {
        ++bodies;
        absl::uint128 count = 0;
        if (n == 0) {
          count = 1;
        } else if (n > 0) {
          for (int step : steps) count += self(n - step, steps);
        }
        return count;
      });
  t0 = absl::Now();
  absl::uint128 ways = climb(absl::GetFlag(FLAGS_stairs), {1, 2, 3});
  took = absl::Now() - t0;
  const int first_bodies = bodies;
  for (int i = 0; i < 100; ++i) {
    climb.Clear();
    absl::Time start = absl::Now();
    climb(absl::GetFlag(FLAGS_stairs), {1, 2, 3});
    took = std::min(took, absl::Now() - start);
  }
  bodies = first_bodies;
  std::ostringstream text;
  text << ways;
  std::printf("climb(%d, (1, 2, 3)) = %s  (%s on an empty cache)\n",
              absl::GetFlag(FLAGS_stairs), text.str().c_str(),
              absl::FormatDuration(took).c_str());
  std::printf(
      "climb's body ran %d times for %zu distinct arguments: results of 0 "
      "are cached too (the tutorial's `if not res` ran it %d times).\n",
      bodies, climb.stats().size, bodies + 1);

  // functools.lru_cache(maxsize=2): a bounded cache; an entry hit since it
  // was stored outlives one that was not (CLOCK, see memoize.h).
  auto square = decorators::Memoize<int(int)>([](int x) { return x * x; },
                                              {.capacity = 2});
  for (int x : {1, 2, 1, 3, 1, 2}) square(x);
  s = square.stats();
  std::printf(
      "lru(maxsize=2) after 1 2 1 3 1 2: %lld hits, %lld misses, "
      "size %zu\n",
      static_cast<long long>(s.hits), static_cast<long long>(s.misses), s.size);
  return 0;
}
