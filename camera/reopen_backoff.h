// ReopenBackoff: the waits between a Capturer's attempts to reopen a lost
// source: 250 ms, then twice the last, at most 5 s. A camera that is plugged
// back is streaming again within a quarter of a second; one that stays
// gone is tried every 5 s, not hammered (ustreamer retries every second).
//
//   ReopenBackoff backoff;
//   absl::Time next_try = absl::Now() + backoff.Next();  // 250 ms
//   ... a failed attempt ...
//   next_try = absl::Now() + backoff.Next();             // 500 ms, ...
//
// Thread-compatible: one per recovery.
#ifndef CAMERA_REOPEN_BACKOFF_H_
#define CAMERA_REOPEN_BACKOFF_H_

#include <algorithm>

#include "absl/time/time.h"

namespace camera {

class ReopenBackoff {
 public:
  static constexpr absl::Duration kFirst = absl::Milliseconds(250);
  static constexpr absl::Duration kMax = absl::Seconds(5);

  // The wait before the next attempt.
  absl::Duration Next() {
    const absl::Duration wait = next_;
    next_ = std::min(2 * next_, kMax);
    return wait;
  }

 private:
  absl::Duration next_ = kFirst;
};

}  // namespace camera

#endif  // CAMERA_REOPEN_BACKOFF_H_
