// Lesson: a decorator whose parameter changes later, warn_timeout with
// set_timeout.
//
//   bazel run //decorators:warn_timeout
//   bazel run //decorators:warn_timeout -- --scale=1   # the tutorial's times
#include <cstdio>
#include <random>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/time/clock.h"
#include "decorators/warn_timeout.h"

ABSL_FLAG(int, calls, 30, "Calls before and after set_timeout.");
ABSL_FLAG(double, scale, 0.1,
          "Multiplies the tutorial's times (0.6 s steps, 1.5 s then 1 s "
          "timeouts); 1 is the tutorial.");
ABSL_FLAG(uint32_t, seed, 1, "Random seed.");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "warn_timeout(1.5): warns when a call takes longer than the timeout; "
      "set_timeout(1) changes it afterwards.");
  absl::ParseCommandLine(argc, argv);
  const double scale = absl::GetFlag(FLAGS_scale);
  std::mt19937 rng(absl::GetFlag(FLAGS_seed));

  // @warn_timeout(1.5)
  // def f(i): sleep 0.6 s while randint(0, 1)
  auto f = decorators::WarnTimeout(
      [&](int i) {
        std::printf("in f [%d]\n", i);
        std::fflush(stdout);
        while (std::uniform_int_distribution<int>(0, 1)(rng)) {
          absl::SleepFor(absl::Seconds(0.6 * scale));
        }
      },
      {.name = "f",
       .timeout = absl::Seconds(1.5 * scale),
       .sink =
           [](absl::string_view line) {
             std::printf("WARNING: %.*s\n", static_cast<int>(line.size()),
                         line.data());
           },
       .now = [] { return absl::Now(); }});

  const int calls = absl::GetFlag(FLAGS_calls);
  for (int i = 0; i < calls; ++i) f(i);
  f.set_timeout(absl::Seconds(1 * scale));
  std::printf("f.set_timeout(%s)\n", absl::FormatDuration(f.timeout()).c_str());
  for (int i = 0; i < calls; ++i) f(i);
  return 0;
}
