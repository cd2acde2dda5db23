#include "decorators/call_info.h"

#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "concurrency/io/atomic_file.h"
#include "concurrency/io/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/testing/status_matchers.h"

namespace decorators {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing_util::IsOk;
using ::testing_util::StatusIs;

// A fake clock: 2020-07-12 20:24:00 UTC, moved by the wrapped functions.
struct Clock {
  absl::Mutex mu;
  absl::Time now = absl::FromCivil(absl::CivilSecond(2020, 7, 12, 20, 24, 0),
                                   absl::UTCTimeZone());
  void Advance(absl::Duration d) {
    absl::MutexLock l(&mu);
    now += d;
  }
  CallInfoOptions Options() {
    CallInfoOptions o;
    o.now = [this] {
      absl::MutexLock l(&mu);
      return now;
    };
    o.time_zone = absl::UTCTimeZone();
    return o;
  }
};

std::vector<std::string> Lines(const std::string& path) {
  absl::StatusOr<std::string> text = concurrency::io::ReadFileToString(path);
  EXPECT_THAT(text.status(), IsOk());
  std::vector<std::string> lines =
      absl::StrSplit(*text, '\n', absl::SkipEmpty());
  return lines;
}

std::string LogPath(absl::string_view name) {
  std::string path = absl::StrCat(::testing::TempDir(), "/", name);
  unlink(path.c_str());
  return path;
}

TEST(CallInfoTest, WritesTheTutorialsDefaultLine) {
  Clock clock;
  std::string path = LogPath("default.log");
  auto ci = CallInfo::Open(path, clock.Options());
  ASSERT_THAT(ci.status(), IsOk());
  auto f =
      (*ci)->Info([&clock] { clock.Advance(absl::Milliseconds(300)); }, "f");
  f();
  f();
  EXPECT_THAT(Lines(path), ElementsAre("f -> 07/12/20 20:24:00\t0.3\t1",
                                       "f -> 07/12/20 20:24:00\t0.3\t2"));
}

TEST(CallInfoTest, CountsPerFunctionAndSetFormatAndOnOff) {
  Clock clock;
  std::string path = LogPath("counts.log");
  auto ci = CallInfo::Open(path, clock.Options());
  ASSERT_THAT(ci.status(), IsOk());
  auto f = (*ci)->Info([] { return 1; }, "f");
  auto g = (*ci)->Info([] { return 2; }, "g");
  f();
  g();
  ASSERT_THAT((*ci)->set_format("%(func_name)s -> %(call_time)s\t%(call_n)s"),
              IsOk());
  f();
  (*ci)->turn_on_off(false);
  f();  // counted, not logged
  (*ci)->turn_on_off(true);
  EXPECT_EQ(f(), 1);
  EXPECT_THAT(Lines(path), ElementsAre("f -> 07/12/20 20:24:00\t0.0\t1",
                                       "g -> 07/12/20 20:24:00\t0.0\t1",
                                       "f -> 07/12/20 20:24:00\t2",
                                       "f -> 07/12/20 20:24:00\t4"));
  EXPECT_EQ(f.calls(), 4);
}

TEST(CallInfoTest, FormatErrorsAreCaughtAtSetFormat) {
  Clock clock;
  auto ci = CallInfo::Open(LogPath("errors.log"), clock.Options());
  ASSERT_THAT(ci.status(), IsOk());
  EXPECT_THAT((*ci)->set_format("%(func)s"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("unknown field 'func'")));
  EXPECT_THAT(
      (*ci)->set_format("%(func_name)d"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is a string")));
  EXPECT_THAT((*ci)->set_format("%(call_n)q"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("unsupported conversion 'q'")));
  EXPECT_THAT(
      (*ci)->set_format("%(func_name"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unclosed %(")));
  EXPECT_THAT((*ci)->set_format("%(func_name)"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("missing conversion")));
  EXPECT_THAT((*ci)->set_format("50% done"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("at offset 2: expected %(field)s or %%")));
  EXPECT_THAT((*ci)->set_format("%(call_n)99999999999999999999d"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("width or precision over 1000")));
  EXPECT_THAT((*ci)->set_format("%(call_n).1001f"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("width or precision over 1000")));
  CallInfoOptions bad = clock.Options();
  bad.format = "%(nope)s";
  EXPECT_THAT(CallInfo::Open(LogPath("bad.log"), bad).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(CallFormatTest, WidthPrecisionAndPercent) {
  absl::StatusOr<CallFormat> f = CallFormat::Parse(
      "[%(func_name)-6s|%(used_time).3f|%(call_n)5d|%(func_name)r] 100%%");
  ASSERT_THAT(f.status(), IsOk());
  CallRecord r{"h", absl::UnixEpoch(), absl::Milliseconds(1234), 7};
  EXPECT_EQ(f->Format(r, absl::UTCTimeZone()), "[h     |1.234|    7|'h'] 100%");
}

// Each format, parsed, writes `r` as its pair says.
void ExpectEachFormat(
    const CallRecord& r,
    const std::vector<std::pair<std::string, std::string>>& formats) {
  for (const auto& [format, want] : formats) {
    absl::StatusOr<CallFormat> f = CallFormat::Parse(format);
    ASSERT_THAT(f.status(), IsOk()) << format;
    EXPECT_EQ(f->Format(r, absl::UTCTimeZone()), want) << format;
  }
}

// Widths and precisions of several digits, up to the limit of 1000.
TEST(CallFormatTest, WidthsOfSeveralDigits) {
  CallRecord r{"h", absl::UnixEpoch(), absl::Milliseconds(1500), 7};
  ExpectEachFormat(r, {{"%(call_n)12d", std::string(11, ' ') + "7"},
                       {"%(call_n)-10d|", "7" + std::string(9, ' ') + "|"},
                       {"%(used_time).10f", "1.5000000000"},
                       {"%(func_name)1000s", std::string(999, ' ') + "h"}});
}

// %f without a precision has six places, as Python's; .0f has none.
TEST(CallFormatTest, AFloatHasSixPlacesUnlessToldOtherwise) {
  CallRecord r{"h", absl::UnixEpoch(), absl::Milliseconds(1250), 7};
  ExpectEachFormat(r, {{"%(used_time)f", "1.250000"},
                       {"%(call_n)f", "7.000000"},
                       {"%(used_time).0f", "1"},
                       {"%(call_n).0f", "7"},
                       {"%(used_time).1f", "1.2"}});
}

// A string's precision cuts it, as Python's %.Ns does, down to nothing.
TEST(CallFormatTest, AStringsPrecisionCutsItDownToNothing) {
  CallRecord r{"handler", absl::UnixEpoch(), absl::Milliseconds(1), 7};
  ExpectEachFormat(r, {{"<%(func_name).0s>", "<>"},
                       {"<%(func_name).3s>", "<han>"},
                       {"<%(func_name).7s>", "<handler>"},
                       {"<%(func_name).9s>", "<handler>"},
                       {"<%(func_name)5.2s>", "<   ha>"}});
}

TEST(CallInfoTest, LinesFromManyThreadsNeverInterleave) {
  Clock clock;
  std::string path = LogPath("threads.log");
  CallInfoOptions o = clock.Options();
  o.format = "%(func_name)s:%(call_n)d";
  auto ci = CallInfo::Open(path, o);
  ASSERT_THAT(ci.status(), IsOk());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      auto f = (*ci)->Info([] {},
                           absl::StrCat("function_", t, std::string(200, 'x')));
      for (int i = 0; i < 500; ++i) f();
    });
  }
  for (auto& t : threads) t.join();
  std::vector<std::string> lines = Lines(path);
  ASSERT_EQ(lines.size(), 2000u);
  for (const std::string& line : lines) {
    EXPECT_THAT(line, ::testing::MatchesRegex("function_[0-3]x{200}:[0-9]+"));
  }
}

TEST(CallInfoTest, OpenFailureNamesThePath) {
  EXPECT_THAT(CallInfo::Open("/nonexistent-dir/x.log").status(),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("/nonexistent-dir/x.log")));
}

TEST(CallInfoOptionsTest, DefaultsAreTheTutorialsFormatAndOn) {
  const CallInfoOptions o;
  EXPECT_EQ(o.format,
            "%(func_name)s -> %(call_time)s\t%(used_time)s\t%(call_n)s");
  EXPECT_TRUE(o.on);
}

}  // namespace
}  // namespace decorators
