// -----------------------------------------------------------------------------
// File: progress.h
// -----------------------------------------------------------------------------
//
// Progress of a pipeline run, for a person watching it.
//
// PipelineCounters are what the pipeline counts as it goes (atomics, bumped
// from its threads). ProgressDisplay samples them and writes to a descriptor
// the caller chooses (the binary gives it stderr):
//
//   kBar    one status line redrawn in place ("\r" and erase-line), at most
//           10 times a second: for a terminal;
//   kLines  a plain line every `line_interval` and at each new archive: for
//           logs and pipes;
//   kNone   nothing.
//
// The line: pages downloaded, converted and archived out of the total, pages
// failed, MB received, the download rate, elapsed time and the time left.
// `Stop()` (or the destructor) ends the display; a bar is erased so that
// what the caller prints next starts on a clean line.
//
// Thread-safety: counters may be bumped from any thread; Start/Stop from one.
#ifndef CONCURRENCY_PIPELINE_PROGRESS_H_
#define CONCURRENCY_PIPELINE_PROGRESS_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace concurrency::pipeline {

struct PipelineCounters {
  std::atomic<int64_t> total{0};  // pages of the run (this shard)
  std::atomic<int64_t> downloaded{0};
  std::atomic<int64_t> converted{0};
  std::atomic<int64_t> archived{0};
  std::atomic<int64_t> failed{0};
  std::atomic<int64_t> bytes{0};  // body bytes received
};

// A copy of the counters at one moment.
struct ProgressSnapshot {
  int64_t total = 0, downloaded = 0, converted = 0, archived = 0, failed = 0;
  int64_t bytes = 0;
  absl::Duration elapsed;
};

ProgressSnapshot Snapshot(const PipelineCounters& c, absl::Duration elapsed);

// "archived 8/100 | downloaded 12 converted 10 failed 0 | 1.2 MB 3.4 MB/s |
// 0:02 elapsed, ETA 0:10"
std::string FormatProgress(const ProgressSnapshot& s);

class ProgressDisplay {
 public:
  enum class Mode { kBar, kLines, kNone };

  ProgressDisplay(const PipelineCounters& counters, Mode mode, int fd,
                  absl::Duration line_interval = absl::Seconds(5));
  ~ProgressDisplay();
  ProgressDisplay(const ProgressDisplay&) = delete;
  ProgressDisplay& operator=(const ProgressDisplay&) = delete;

  void Start();
  void Stop();

 private:
  void Loop();
  void Write(const std::string& text);

  const PipelineCounters& counters_;
  const Mode mode_;
  const int fd_;  // borrowed
  const absl::Duration line_interval_;
  absl::Time start_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace concurrency::pipeline

#endif  // CONCURRENCY_PIPELINE_PROGRESS_H_
