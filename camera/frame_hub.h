// FrameHub: one encoded frame, published once, read by any number of
// clients, each at its own pace.
//
// The capture thread publishes each JPEG as an immutable, reference-counted
// `Frame`; the hub keeps only the newest. A client waits for "a frame newer
// than the last one I sent" and gets the newest: a slow client skips frames
// (the gap in frame numbers says how many) instead of queueing them, so it
// never slows the capture or the other clients, and the memory it holds is
// at most the one frame it is sending, however far behind it is. (The
// tutorial wrote every frame into a pipe per client under one lock: one
// stalled client stalled everyone, then deadlocked the server.)
//
// `Close()` wakes every waiter; afterwards `WaitNewer` returns null at once.
// The hub also counts subscribers, so the capture thread can stop encoding
// when nobody watches (the tutorial encoded at 30 fps for no one).
//
// Thread-safety: all methods may be called from any thread.
#ifndef CAMERA_FRAME_HUB_H_
#define CAMERA_FRAME_HUB_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace camera {

struct Frame {
  int64_t number = 0;  // 1, 2, 3... in capture order
  absl::Time captured;
  std::string jpeg;
};

class FrameHub {
 public:
  FrameHub() = default;
  FrameHub(const FrameHub&) = delete;
  FrameHub& operator=(const FrameHub&) = delete;

  // Replaces the newest frame. Frames must come in increasing `number`.
  void Publish(std::shared_ptr<const Frame> frame) ABSL_LOCKS_EXCLUDED(mu_);

  // The newest frame whose number is greater than `after`, waiting up to
  // `timeout` for one; null on timeout or once the hub is closed.
  std::shared_ptr<const Frame> WaitNewer(int64_t after, absl::Duration timeout)
      ABSL_LOCKS_EXCLUDED(mu_);

  // The newest frame, or null if none yet.
  std::shared_ptr<const Frame> Latest() const ABSL_LOCKS_EXCLUDED(mu_);

  void Close() ABSL_LOCKS_EXCLUDED(mu_);
  bool closed() const ABSL_LOCKS_EXCLUDED(mu_);

  // Subscribers: clients that want frames. The capture thread encodes only
  // while there are some (or a snapshot is wanted).
  void AddSubscriber() ABSL_LOCKS_EXCLUDED(mu_);
  void RemoveSubscriber() ABSL_LOCKS_EXCLUDED(mu_);
  int subscribers() const ABSL_LOCKS_EXCLUDED(mu_);
  // Blocks until there is a subscriber, the hub closes, or `timeout`;
  // returns whether there is one.
  bool WaitForSubscribers(absl::Duration timeout) ABSL_LOCKS_EXCLUDED(mu_);

  // Blocks until at least `n` threads wait in WaitNewer, or `timeout`;
  // returns whether they do (for tests that must know a reader is waiting).
  bool AwaitWaiters(int n, absl::Duration timeout) const
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  std::shared_ptr<const Frame> latest_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  int subscribers_ ABSL_GUARDED_BY(mu_) = 0;
  int waiters_ ABSL_GUARDED_BY(mu_) = 0;  // threads blocked in WaitNewer
};

}  // namespace camera

#endif  // CAMERA_FRAME_HUB_H_
