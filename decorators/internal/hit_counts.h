// HitCounts: hit and miss counters that threads bump without sharing a cache
// line, so that counting does not stop hits from scaling across cores.
//
// Each thread gets a stripe of its own (a process-wide slot, taken on its
// first call and given back when it exits) and bumps it with a relaxed load
// and store: no read-modify-write. Threads beyond `kStripes` live
// at once share one more stripe, with `fetch_add`. `Sum*()` adds the stripes
// up; a sum read while other threads count is a recent value, not a snapshot.
//
// Thread-safety: HitCounts<true>: every member may be called from any
// thread. HitCounts<false>: thread-compatible.
#ifndef DECORATORS_INTERNAL_HIT_COUNTS_H_
#define DECORATORS_INTERNAL_HIT_COUNTS_H_

#include <atomic>
#include <cstdint>

#include "absl/base/optimization.h"

namespace decorators::memo_internal {

inline constexpr int kStripes = 16;

// Returns this thread's slot in [0, kStripes): its own until it exits, or
// kStripes when all are taken (the shared stripe).
int AcquireThreadSlot();

inline thread_local int tls_slot = -1;

inline int ThreadSlot() {
  int slot = tls_slot;
  if (ABSL_PREDICT_FALSE(slot < 0)) slot = tls_slot = AcquireThreadSlot();
  return slot;
}

template <bool kShared>
class HitCounts {
 public:
  void AddHit() {
    const int slot = ThreadSlot();
    Bump(stripes_[slot].hits, slot);
  }
  void AddMiss() {
    const int slot = ThreadSlot();
    Bump(stripes_[slot].misses, slot);
  }

  int64_t SumHits() const {
    int64_t n = 0;
    for (const Stripe& s : stripes_)
      n += s.hits.load(std::memory_order_relaxed);
    return n;
  }
  int64_t SumMisses() const {
    int64_t n = 0;
    for (const Stripe& s : stripes_) {
      n += s.misses.load(std::memory_order_relaxed);
    }
    return n;
  }

 private:
  struct alignas(64) Stripe {
    std::atomic<int64_t> hits{0};
    std::atomic<int64_t> misses{0};
  };

  static void Bump(std::atomic<int64_t>& n, int slot) {
    if (ABSL_PREDICT_TRUE(slot < kStripes)) {
      // Only this thread writes this stripe.
      n.store(n.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    } else {
      n.fetch_add(1, std::memory_order_relaxed);
    }
  }

  Stripe stripes_[kStripes + 1];
};

// For one thread at a time: plain counters.
template <>
class HitCounts<false> {
 public:
  void AddHit() { ++hits_; }
  void AddMiss() { ++misses_; }
  int64_t SumHits() const { return hits_; }
  int64_t SumMisses() const { return misses_; }

 private:
  int64_t hits_ = 0;
  int64_t misses_ = 0;
};

}  // namespace decorators::memo_internal

#endif  // DECORATORS_INTERNAL_HIT_COUNTS_H_
