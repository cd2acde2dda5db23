#include "decorators/internal/hit_counts.h"

#include <vector>

#include "absl/synchronization/mutex.h"

namespace decorators::memo_internal {
namespace {

struct FreeSlots {
  absl::Mutex mu;
  std::vector<int> slots ABSL_GUARDED_BY(mu);
  int next ABSL_GUARDED_BY(mu) = 0;
};

// Never destroyed: threads may exit after static destructors have run.
FreeSlots& Slots() {
  static FreeSlots* const slots = new FreeSlots;
  return *slots;
}

// Gives the thread's slot back when the thread exits. A memoized call made
// later by another thread-local destructor of the same thread counts on the
// shared stripe.
struct SlotReleaser {
  int slot = kStripes;
  ~SlotReleaser() {
    tls_slot = kStripes;
    if (slot == kStripes) return;
    FreeSlots& f = Slots();
    absl::MutexLock l(&f.mu);
    f.slots.push_back(slot);
  }
};

}  // namespace

int AcquireThreadSlot() {
  static thread_local SlotReleaser releaser;
  FreeSlots& f = Slots();
  absl::MutexLock l(&f.mu);
  if (!f.slots.empty()) {
    releaser.slot = f.slots.back();
    f.slots.pop_back();
  } else if (f.next < kStripes) {
    releaser.slot = f.next++;
  }
  return releaser.slot;
}

}  // namespace decorators::memo_internal
