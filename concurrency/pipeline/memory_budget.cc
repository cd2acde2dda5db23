#include "concurrency/pipeline/memory_budget.h"

#include <algorithm>

namespace concurrency::pipeline {

bool MemoryBudget::TryTake(int64_t n) {
  absl::MutexLock l(&mu_);
  if (n < 0 || used_ + n > limit_) {
    wanted_ = true;
    return false;
  }
  used_ += n;
  high_water_ = std::max(high_water_, used_);
  return true;
}

void MemoryBudget::Give(int64_t n) {
  absl::MutexLock l(&mu_);
  used_ -= std::min(n, used_);
  ++gives_;
  // Under the lock, so that SetOnGive(nullptr) returns only once no call to
  // the old waker can still come (its loop may be gone right after).
  if (wanted_ && on_give_) {
    wanted_ = false;
    on_give_();
  }
}

bool MemoryBudget::HasRoom(int64_t n) {
  absl::MutexLock l(&mu_);
  if (used_ + n <= limit_) return true;
  wanted_ = true;
  return false;
}

void MemoryBudget::SetOnGive(std::function<void()> on_give) {
  absl::MutexLock l(&mu_);
  on_give_ = std::move(on_give);
}

int64_t MemoryBudget::used() const {
  absl::MutexLock l(&mu_);
  return used_;
}

int64_t MemoryBudget::available() const {
  absl::MutexLock l(&mu_);
  return limit_ - used_;
}

int64_t MemoryBudget::gives() const {
  absl::MutexLock l(&mu_);
  return gives_;
}

int64_t MemoryBudget::high_water() const {
  absl::MutexLock l(&mu_);
  return high_water_;
}

}  // namespace concurrency::pipeline
