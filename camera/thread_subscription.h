// ThreadSubscription: the tutorial's JpegRetriever, whose `threading.local()`
// holds the subscription of the handler thread using it.
//
// A handler thread opens a subscription around the one stream it serves:
//
//   absl::StatusOr<ThreadSubscription> sub = ThreadSubscription::Open(hub);
//   while (auto frame = sub->Next(timeout)) Send(*frame);
//
// The subscription lives in thread-local state: opening a second one on the
// same thread while the first is open is refused (`FailedPrecondition`), as
// the tutorial's `__enter__` raises RuntimeError when `self.local` already
// has a pipe; other threads are independent. Destroying the subscription
// (however the stream ends) releases it, so the thread can serve the next
// stream. It counts the frames it delivered and the ones it skipped.
//
// Thread-safety: a ThreadSubscription belongs to the thread that opened it;
// it is movable only within that thread.
#ifndef CAMERA_THREAD_SUBSCRIPTION_H_
#define CAMERA_THREAD_SUBSCRIPTION_H_

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "camera/frame_hub.h"

namespace camera {

class ThreadSubscription {
 public:
  static absl::StatusOr<ThreadSubscription> Open(FrameHub& hub);
  ThreadSubscription(ThreadSubscription&& other) noexcept;
  ThreadSubscription& operator=(ThreadSubscription&&) = delete;
  ThreadSubscription(const ThreadSubscription&) = delete;
  ~ThreadSubscription();

  // The newest frame not yet delivered, waiting up to `timeout`; null on
  // timeout or when the hub closes.
  std::shared_ptr<const Frame> Next(absl::Duration timeout);

  int64_t delivered() const { return delivered_; }
  int64_t skipped() const { return skipped_; }

  // Whether the calling thread holds a subscription now.
  static bool ThreadHasOne();

 private:
  explicit ThreadSubscription(FrameHub* hub) : hub_(hub) {}
  FrameHub* hub_;  // null once moved from
  int64_t last_ = 0;
  int64_t delivered_ = 0;
  int64_t skipped_ = 0;
};

}  // namespace camera

#endif  // CAMERA_THREAD_SUBSCRIPTION_H_
