#include "camera/frame_hub.h"

#include <utility>

namespace camera {

void FrameHub::Publish(std::shared_ptr<const Frame> frame) {
  absl::MutexLock l(&mu_);
  latest_ = std::move(frame);
}

std::shared_ptr<const Frame> FrameHub::WaitNewer(int64_t after,
                                                 absl::Duration timeout) {
  absl::MutexLock l(&mu_);
  auto ready = [this, after]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return closed_ || (latest_ != nullptr && latest_->number > after);
  };
  ++waiters_;
  mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
  --waiters_;
  if (closed_ || latest_ == nullptr || latest_->number <= after) return nullptr;
  return latest_;
}

std::shared_ptr<const Frame> FrameHub::Latest() const {
  absl::MutexLock l(&mu_);
  return latest_;
}

void FrameHub::Close() {
  absl::MutexLock l(&mu_);
  closed_ = true;
}

bool FrameHub::closed() const {
  absl::MutexLock l(&mu_);
  return closed_;
}

void FrameHub::AddSubscriber() {
  absl::MutexLock l(&mu_);
  ++subscribers_;
}

void FrameHub::RemoveSubscriber() {
  absl::MutexLock l(&mu_);
  --subscribers_;
}

int FrameHub::subscribers() const {
  absl::MutexLock l(&mu_);
  return subscribers_;
}

bool FrameHub::WaitForSubscribers(absl::Duration timeout) {
  absl::MutexLock l(&mu_);
  auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return closed_ || subscribers_ > 0;
  };
  mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
  return subscribers_ > 0 && !closed_;
}

bool FrameHub::AwaitWaiters(int n, absl::Duration timeout) const {
  absl::MutexLock l(&mu_);
  auto enough = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return waiters_ >= n;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
}

}  // namespace camera
