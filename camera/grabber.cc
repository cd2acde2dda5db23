#include "camera/grabber.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace camera {

Grabber::Grabber(FrameSource& source)
    : source_(source), name_(source.Describe()), thread_([this] { Run(); }) {}

Grabber::~Grabber() {
  {
    absl::MutexLock l(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

absl::StatusOr<cv::Mat> Grabber::Grab(Call call, absl::Duration timeout) {
  absl::MutexLock l(&mu_);
  // A call still in flight (or its unclaimed result) answers this Grab.
  if (!request_.has_value() && !running_ && !result_.has_value()) {
    request_ = call;
  }
  auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return result_.has_value();
  };
  if (!mu_.AwaitWithTimeout(absl::Condition(&done), timeout)) {
    return absl::DeadlineExceededError(absl::StrCat(
        name_, ": no frame within ", absl::FormatDuration(timeout)));
  }
  absl::StatusOr<cv::Mat> result = *std::move(result_);
  result_.reset();
  return result;
}

bool Grabber::busy() const {
  absl::MutexLock l(&mu_);
  return running_;
}

absl::StatusOr<cv::Mat> Grabber::Do(Call call) {
  if (call == Call::kReopenThenNext) {
    if (absl::Status reopened = source_.Reopen(); !reopened.ok()) {
      return reopened;
    }
  }
  return source_.Next();
}

void Grabber::Run() {
  while (true) {
    Call call;
    {
      absl::MutexLock l(&mu_);
      auto work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || request_.has_value();
      };
      mu_.Await(absl::Condition(&work));
      if (stopping_) return;
      call = *request_;
      request_.reset();
      running_ = true;
    }
    absl::StatusOr<cv::Mat> result = Do(call);
    absl::MutexLock l(&mu_);
    running_ = false;
    result_ = std::move(result);
  }
}

}  // namespace camera
