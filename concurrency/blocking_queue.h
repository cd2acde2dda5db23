// -----------------------------------------------------------------------------
// File: blocking_queue.h
// -----------------------------------------------------------------------------
//
// `BlockingQueue<T>` is the counterpart of Python's `queue.Queue`: a FIFO that
// producer threads push into and consumer threads pop from, blocking while it
// is empty (and, when bounded, while it is full, which gives back-pressure).
//
// It ends differently from the tutorial's queue, which needs a sentinel value
// (`-1`) to tell the consumer to stop: `Close()` says that nothing more will
// come. Consumers then drain what is left and `Pop()` returns `std::nullopt`;
// producers get an error instead of blocking forever.
//
//   BlockingQueue<Page> queue(/*capacity=*/8);
//   // producer threads:
//   if (absl::Status s = queue.Push(std::move(page)); !s.ok()) { ... }
//   // once every producer is done:
//   queue.Close();
//   // consumer thread:
//   while (std::optional<Page> page = queue.Pop()) { Convert(*page); }
//
// Thread-safe: every member may be called from any thread. The queue must
// outlive the threads that use it. `T` must be movable.
//
// Memory ordering: everything a producer wrote before `Push()` is visible to
// the consumer that pops that element.

#ifndef CONCURRENCY_BLOCKING_QUEUE_H_
#define CONCURRENCY_BLOCKING_QUEUE_H_

#include <cstddef>
#include <deque>
#include <optional>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace concurrency {

template <typename T>
class BlockingQueue {
 public:
  // A capacity of `kUnbounded` never blocks producers.
  static constexpr size_t kUnbounded = 0;

  explicit BlockingQueue(size_t capacity = kUnbounded) : capacity_(capacity) {}
  BlockingQueue(const BlockingQueue&) = delete;
  BlockingQueue& operator=(const BlockingQueue&) = delete;

  // Appends `value`, blocking while the queue is full. Returns
  // `FailedPreconditionError` if the queue is closed, before or during the
  // wait; `value` is then left untouched, so the caller still owns it.
  absl::Status Push(T&& value) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock l(&mu_);
    ++waiters_;
    mu_.Await(absl::Condition(this, &BlockingQueue::CanPushOrClosed));
    --waiters_;
    return EnqueueLocked(value);
  }
  absl::Status Push(const T& value) ABSL_LOCKS_EXCLUDED(mu_) {
    T copy = value;
    return Push(std::move(copy));
  }

  // Appends `value` if there is room now. Returns `ResourceExhaustedError` if
  // the queue is full and `FailedPreconditionError` if it is closed; in both
  // cases `value` is left untouched.
  absl::Status TryPush(T&& value) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock l(&mu_);
    if (!closed_ && !HasRoomLocked()) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "BlockingQueue::TryPush: queue is full (capacity ", capacity_, ")"));
    }
    return EnqueueLocked(value);
  }

  // Removes and returns the oldest element, blocking while the queue is empty
  // and open. Returns `std::nullopt` once the queue is closed and drained.
  std::optional<T> Pop() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock l(&mu_);
    ++waiters_;
    mu_.Await(absl::Condition(this, &BlockingQueue::CanPopOrClosed));
    --waiters_;
    return DequeueLocked();
  }

  // Removes and returns the oldest element if there is one now.
  std::optional<T> TryPop() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock l(&mu_);
    return DequeueLocked();
  }

  // Like `Pop()`, waiting at most `timeout`. Returns `DeadlineExceededError`
  // if nothing arrived in time and `OutOfRangeError` if the queue is closed
  // and drained.
  absl::StatusOr<T> PopFor(absl::Duration timeout) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock l(&mu_);
    ++waiters_;
    mu_.AwaitWithTimeout(absl::Condition(this, &BlockingQueue::CanPopOrClosed),
                         timeout);
    --waiters_;
    if (std::optional<T> value = DequeueLocked()) {
      return std::move(*value);
    }
    if (closed_) {
      return absl::OutOfRangeError("BlockingQueue::PopFor: queue is closed");
    }
    return absl::DeadlineExceededError(
        absl::StrCat("BlockingQueue::PopFor: nothing arrived in ",
                     absl::FormatDuration(timeout)));
  }

  // Closes the queue: later pushes fail, blocked producers wake with an
  // error, and consumers drain what is left and then see the end. Idempotent.
  void Close() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock l(&mu_);
    closed_ = true;
  }

  bool closed() const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock l(&mu_);
    return closed_;
  }

  // Returns the number of elements now in the queue (a snapshot).
  size_t size() const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock l(&mu_);
    return items_.size();
  }

  size_t capacity() const { return capacity_; }

  // Blocks until at least `n` threads are waiting in Push, Pop or PopFor, or
  // `timeout` passes; returns whether they are. For tests (and shutdown
  // code) that must know a thread really waits before acting.
  bool AwaitWaiters(int n, absl::Duration timeout) const
      ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock l(&mu_);
    auto enough = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return waiters_ >= n;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
  }

 private:
  bool HasRoomLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return capacity_ == kUnbounded || items_.size() < capacity_;
  }
  bool CanPushOrClosed() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return closed_ || HasRoomLocked();
  }
  bool CanPopOrClosed() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return closed_ || !items_.empty();
  }

  absl::Status EnqueueLocked(T& value) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (closed_) {
      return absl::FailedPreconditionError(
          "BlockingQueue::Push: queue is closed");
    }
    items_.push_back(std::move(value));
    return absl::OkStatus();
  }

  std::optional<T> DequeueLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (items_.empty()) {
      return std::nullopt;
    }
    std::optional<T> value(std::move(items_.front()));
    items_.pop_front();
    return value;
  }

  const size_t capacity_;  // Constant after construction.

  mutable absl::Mutex mu_;
  std::deque<T> items_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  int waiters_ ABSL_GUARDED_BY(mu_) = 0;  // threads blocked in an Await
};

}  // namespace concurrency

#endif  // CONCURRENCY_BLOCKING_QUEUE_H_
