// RateWindow: events per second over a sliding window of the last few
// seconds, for the figures a person reads (capture fps, fps per client).
//
// The rate is the count of events in the window divided by the window's
// length, or, before a whole window has passed since `Start`, by the time
// since `Start`: 3 frames in the first 0.1 s of a 30 fps source read 30, not
// the 69 that (events - 1) / (last - first) gives over a tiny span. Counts
// may come as cumulative totals (`Sample`), sampled no more often than
// `resolution`, so that a busy counter costs a few samples per second.
//
// Thread-compatible: the owner serializes calls (the streamer's mutex).
#ifndef CAMERA_RATE_WINDOW_H_
#define CAMERA_RATE_WINDOW_H_

#include <algorithm>
#include <cstdint>
#include <deque>
#include <utility>

#include "absl/time/time.h"

namespace camera {

class RateWindow {
 public:
  explicit RateWindow(absl::Duration window = absl::Seconds(3),
                      absl::Duration resolution = absl::Milliseconds(100))
      : window_(window), resolution_(resolution) {}

  // Begins counting at `now` from a total of `total` (forgets the past).
  void Start(absl::Time now, int64_t total = 0) {
    start_ = now;
    samples_.clear();
    samples_.emplace_back(now, total);
    last_total_ = total;
  }
  bool started() const { return !samples_.empty(); }

  // Records that the cumulative count reached `total` at `now`.
  void Sample(absl::Time now, int64_t total) {
    if (!started()) Start(now, total);
    last_total_ = total;
    if (now - samples_.back().first >= resolution_) {
      samples_.emplace_back(now, total);
    }
    // Keep one sample at or before the window's start.
    while (samples_.size() > 2 && samples_[1].first <= now - window_) {
      samples_.pop_front();
    }
  }

  // Events per second over the window ending at `now`: counted from the
  // oldest sample kept (at or just before the window's start, or `Start`).
  double Rate(absl::Time now) const {
    if (!started()) return 0;
    const auto& [t0, n0] = samples_.front();
    const double seconds = absl::ToDoubleSeconds(now - t0);
    return seconds > 0 ? static_cast<double>(last_total_ - n0) / seconds : 0;
  }

  absl::Time start() const { return start_; }

 private:
  absl::Duration window_;
  absl::Duration resolution_;
  absl::Time start_;
  std::deque<std::pair<absl::Time, int64_t>> samples_;
  int64_t last_total_ = 0;
};

}  // namespace camera

#endif  // CAMERA_RATE_WINDOW_H_
