// StreamCounts: the frames one stream has sent and skipped, written by
// whoever serves the stream (the event loop, or its pool thread) and read by
// anyone. Relaxed atomics: figures for a person and for tests, not
// synchronization, so counting costs the sender one plain store per frame
// and no lock.
#ifndef CAMERA_STREAM_COUNTS_H_
#define CAMERA_STREAM_COUNTS_H_

#include <atomic>
#include <cstdint>

namespace camera {

struct StreamCounts {
  std::atomic<int64_t> sent{0};
  std::atomic<int64_t> skipped{0};

  void Store(int64_t s, int64_t k) {
    sent.store(s, std::memory_order_relaxed);
    skipped.store(k, std::memory_order_relaxed);
  }
};

}  // namespace camera

#endif  // CAMERA_STREAM_COUNTS_H_
