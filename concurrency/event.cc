#include "concurrency/event.h"

#include "absl/time/clock.h"

namespace concurrency {

void Event::Set() {
  absl::MutexLock l(&mu_);
  set_ = true;
}

void Event::Clear() {
  absl::MutexLock l(&mu_);
  set_ = false;
}

bool Event::IsSet() const {
  absl::MutexLock l(&mu_);
  return set_;
}

bool Event::AwaitSetLocked(absl::Time deadline) const {
  if (set_) return true;
  ++waiters_;
  const bool set = mu_.AwaitWithDeadline(absl::Condition(&set_), deadline);
  --waiters_;
  return set;
}

void Event::Wait() const {
  absl::MutexLock l(&mu_);
  AwaitSetLocked(absl::InfiniteFuture());
}

bool Event::WaitFor(absl::Duration timeout) const {
  return WaitUntil(absl::Now() + timeout);
}

bool Event::WaitUntil(absl::Time deadline) const {
  absl::MutexLock l(&mu_);
  return AwaitSetLocked(deadline);
}

bool Event::AwaitWaiters(int n, absl::Duration timeout) const {
  absl::MutexLock l(&mu_);
  auto enough = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return waiters_ >= n;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
}

}  // namespace concurrency
