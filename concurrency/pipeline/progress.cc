#include "concurrency/pipeline/progress.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "concurrency/io/read_write.h"

namespace concurrency::pipeline {
namespace {

constexpr absl::Duration kRedraw = absl::Milliseconds(100);  // 10 per second
constexpr absl::string_view kEraseLine = "\r\x1b[K";

std::string Clock(absl::Duration d) {
  int64_t s = absl::ToInt64Seconds(d);
  if (s >= 3600) {
    return absl::StrFormat("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
  }
  return absl::StrFormat("%d:%02d", s / 60, s % 60);
}

}  // namespace

ProgressSnapshot Snapshot(const PipelineCounters& c, absl::Duration elapsed) {
  return {c.total.load(),
          c.downloaded.load(),
          c.converted.load(),
          c.archived.load(),
          c.failed.load(),
          c.bytes.load(),
          elapsed};
}

std::string FormatProgress(const ProgressSnapshot& s) {
  const double secs = std::max(1e-3, absl::ToDoubleSeconds(s.elapsed));
  const double mb = static_cast<double>(s.bytes) / 1e6;
  const int64_t done = s.archived + s.failed;
  std::string eta = "?";
  if (done >= s.total) {
    eta = "0:00";
  } else if (done > 0) {
    eta = Clock(s.elapsed * static_cast<double>(s.total - done) /
                static_cast<double>(done));
  }
  return absl::StrFormat(
      "archived %d/%d | downloaded %d converted %d failed %d | %.1f MB "
      "%.1f MB/s | %s elapsed, ETA %s",
      s.archived, s.total, s.downloaded, s.converted, s.failed, mb, mb / secs,
      Clock(s.elapsed), eta);
}

ProgressDisplay::ProgressDisplay(const PipelineCounters& counters, Mode mode,
                                 int fd, absl::Duration line_interval)
    : counters_(counters),
      mode_(mode),
      fd_(fd),
      line_interval_(line_interval) {}

ProgressDisplay::~ProgressDisplay() { Stop(); }

void ProgressDisplay::Start() {
  start_ = absl::Now();
  if (mode_ != Mode::kNone) thread_ = std::thread([this] { Loop(); });
}

void ProgressDisplay::Stop() {
  if (!thread_.joinable()) return;
  stop_.Notify();
  thread_.join();
  if (mode_ == Mode::kBar) {
    Write(std::string(kEraseLine));
  } else {  // the last word in a log: where the run ended
    Write(FormatProgress(Snapshot(counters_, absl::Now() - start_)) + "\n");
  }
}

void ProgressDisplay::Write(const std::string& text) {
  // A display that cannot write (a closed terminal) just stays quiet.
  (void)io::WriteAll(fd_, text, "progress");
}

void ProgressDisplay::Loop() {
  absl::Time last_line = absl::InfinitePast();
  int64_t last_archived = -1;
  while (!stop_.WaitForNotificationWithTimeout(kRedraw)) {
    ProgressSnapshot s = Snapshot(counters_, absl::Now() - start_);
    if (mode_ == Mode::kBar) {
      Write(absl::StrCat(kEraseLine, FormatProgress(s)));
      continue;
    }
    if (s.archived != last_archived ||
        absl::Now() - last_line >= line_interval_) {
      Write(FormatProgress(s) + "\n");
      last_line = absl::Now();
      last_archived = s.archived;
    }
  }
}

}  // namespace concurrency::pipeline
