#include "camera/thread_subscription.h"

#include <utility>

namespace camera {
namespace {

// The thread-local part: whether this thread holds a subscription.
thread_local bool t_subscribed = false;

}  // namespace

absl::StatusOr<ThreadSubscription> ThreadSubscription::Open(FrameHub& hub) {
  if (t_subscribed) {
    return absl::FailedPreconditionError(
        "this thread already holds a frame subscription (one stream per "
        "handler thread)");
  }
  t_subscribed = true;
  hub.AddSubscriber();
  return ThreadSubscription(&hub);
}

ThreadSubscription::ThreadSubscription(ThreadSubscription&& other) noexcept
    : hub_(std::exchange(other.hub_, nullptr)),
      last_(other.last_),
      delivered_(other.delivered_),
      skipped_(other.skipped_) {}

ThreadSubscription::~ThreadSubscription() {
  if (hub_ == nullptr) return;
  hub_->RemoveSubscriber();
  t_subscribed = false;
}

bool ThreadSubscription::ThreadHasOne() { return t_subscribed; }

std::shared_ptr<const Frame> ThreadSubscription::Next(absl::Duration timeout) {
  std::shared_ptr<const Frame> f = hub_->WaitNewer(last_, timeout);
  if (f == nullptr) return nullptr;
  if (last_ > 0) skipped_ += f->number - last_ - 1;
  last_ = f->number;
  ++delivered_;
  return f;
}

}  // namespace camera
