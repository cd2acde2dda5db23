// -----------------------------------------------------------------------------
// File: event.h
// -----------------------------------------------------------------------------
//
// `Event` is the counterpart of Python's `threading.Event`: a boolean flag that
// threads wait on. `Set()` raises it and wakes every waiter, `Clear()` lowers
// it again, `Wait()` blocks until it is raised.
//
// Unlike `absl::Notification`, which may be notified once in its lifetime, an
// `Event` can be cleared and set again, which is what the tutorial's convert
// and tar threads do to hand work back and forth.
//
// Thread-safe: every member may be called from any thread at any time. An
// `Event` must outlive every thread that waits on it.
//
// Memory ordering: writes made before `Set()` are visible to a thread after
// `Wait()` (or `IsSet()`) has returned true, as with `absl::Notification`.

#ifndef CONCURRENCY_EVENT_H_
#define CONCURRENCY_EVENT_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace concurrency {

class Event {
 public:
  Event() = default;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  // Raises the flag and wakes every thread blocked in `Wait*()`.
  void Set() ABSL_LOCKS_EXCLUDED(mu_);

  // Lowers the flag; later `Wait()` calls block until the next `Set()`.
  void Clear() ABSL_LOCKS_EXCLUDED(mu_);

  // Returns whether the flag is raised.
  bool IsSet() const ABSL_LOCKS_EXCLUDED(mu_);

  // Blocks until the flag is raised.
  void Wait() const ABSL_LOCKS_EXCLUDED(mu_);

  // Blocks until the flag is raised or `timeout` has passed; returns the flag,
  // as Python's `Event.wait(timeout)` does. A zero or negative timeout polls.
  bool WaitFor(absl::Duration timeout) const ABSL_LOCKS_EXCLUDED(mu_);

  // Like `WaitFor`, with an absolute deadline.
  bool WaitUntil(absl::Time deadline) const ABSL_LOCKS_EXCLUDED(mu_);

  // Blocks until at least `n` threads are blocked in `Wait*()` (having found
  // the flag lowered), or `timeout` passes; returns whether they are. For
  // tests that must know a thread really waits before they set the flag, as
  // `BlockingQueue::AwaitWaiters`.
  bool AwaitWaiters(int n, absl::Duration timeout) const
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // Waits on mu_ (held) for the flag until `deadline`, counted as a waiter.
  bool AwaitSetLocked(absl::Time deadline) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  bool set_ ABSL_GUARDED_BY(mu_) = false;
  mutable int waiters_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace concurrency

#endif  // CONCURRENCY_EVENT_H_
