#include "concurrency/event.h"

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

void Event::Wait() const {
  absl::MutexLock l(&mu_);
  mu_.Await(absl::Condition(&set_));
}

bool Event::WaitFor(absl::Duration timeout) const {
  absl::MutexLock l(&mu_);
  return mu_.AwaitWithTimeout(absl::Condition(&set_), timeout);
}

bool Event::WaitUntil(absl::Time deadline) const {
  absl::MutexLock l(&mu_);
  return mu_.AwaitWithDeadline(absl::Condition(&set_), deadline);
}

}  // namespace concurrency
