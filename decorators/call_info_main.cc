// Lesson: a decorator that is a member of a class: CallInfo.info, logging
// each call of f, g (to mylog1.log) and h (to mylog2.log).
//
//   bazel run //decorators:call_info -- --log_dir=/tmp/logs
#include <stdlib.h>

#include <cstdio>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "concurrency/io/atomic_file.h"
#include "concurrency/io/file_util.h"
#include "decorators/call_info.h"

ABSL_FLAG(std::string, log_dir, "",
          "Where mylog1.log and mylog2.log go (default: call_info_logs/ in "
          "the directory bazel run was started from).");
ABSL_FLAG(double, scale, 0.01,
          "Multiplies the tutorial's sleeps (0 to 0.8 s); 1 is the tutorial.");
ABSL_FLAG(uint32_t, seed, 1, "Random seed.");

namespace {

void Die(const absl::Status& s) {
  std::fprintf(stderr, "call_info: %s\n", s.ToString().c_str());
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "CallInfo.info: a decorator that is a method, logging every call of "
      "the functions it wraps to its own file.");
  absl::ParseCommandLine(argc, argv);
  std::string dir = absl::GetFlag(FLAGS_log_dir);
  if (dir.empty()) {
    const char* base = getenv("BUILD_WORKING_DIRECTORY");
    dir = absl::StrCat(base ? base : ".", "/call_info_logs");
  }
  if (absl::Status s = concurrency::io::MakeDirs(dir); !s.ok()) Die(s);
  const double scale = absl::GetFlag(FLAGS_scale);
  std::mt19937 rng(absl::GetFlag(FLAGS_seed));
  auto sleep_up_to = [&](int tenths) {
    int k = std::uniform_int_distribution<int>(0, tenths)(rng);
    absl::SleepFor(absl::Seconds(0.1 * k * scale));
  };

  absl::StatusOr<std::shared_ptr<decorators::CallInfo>> ci1 =
      decorators::CallInfo::Open(dir + "/mylog1.log");
  absl::StatusOr<std::shared_ptr<decorators::CallInfo>> ci2 =
      decorators::CallInfo::Open(dir + "/mylog2.log");
  if (!ci1.ok()) Die(ci1.status());
  if (!ci2.ok()) Die(ci2.status());

  auto f = (*ci1)->Info([&] { sleep_up_to(6); }, "f");  // @ci1.info
  auto g = (*ci1)->Info([&] { sleep_up_to(8); }, "g");  // @ci1.info
  auto h = (*ci2)->Info([&] { sleep_up_to(7); }, "h");  // @ci2.info

  std::vector<std::function<void()>> fgh = {f, g, h};
  for (int i = 0; i < 30; ++i) {
    fgh[std::uniform_int_distribution<size_t>(0, 2)(rng)]();
  }
  if (absl::Status s =
          (*ci1)->set_format("%(func_name)s -> %(call_time)s\t%(call_n)s");
      !s.ok()) {
    Die(s);
  }
  std::vector<std::function<void()>> fg = {f, g};
  for (int i = 0; i < 30; ++i) {
    fg[std::uniform_int_distribution<size_t>(0, 1)(rng)]();
  }
  std::printf(
      "f ran %lld times, g %lld, h %lld\n", static_cast<long long>(f.calls()),
      static_cast<long long>(g.calls()), static_cast<long long>(h.calls()));
  for (const auto& ci : {*ci1, *ci2}) {
    absl::StatusOr<std::string> text =
        concurrency::io::ReadFileToString(ci->path());
    if (!text.ok()) Die(text.status());
    std::vector<absl::string_view> lines =
        absl::StrSplit(*text, '\n', absl::SkipEmpty());
    std::printf("%s: %zu lines, first: %s, last: %s\n", ci->path().c_str(),
                lines.size(), std::string(lines.front()).c_str(),
                std::string(lines.back()).c_str());
  }
  return 0;
}
