// -----------------------------------------------------------------------------
// File: memory_budget.h
// -----------------------------------------------------------------------------
//
// MemoryBudget: how many bytes of page data the pipeline may hold at once,
// shared by everything that holds them, so that no feed can grow the
// process without a bound: a body that never ends, one that announces 50 GB,
// or many large ones at once all wait for the same budget.
//
//   MemoryBudget budget(512 << 20);
//   if (budget.TryTake(n)) { ... }   // a transfer pauses when this fails
//   MemoryBudget::Grant g = budget.GrantOf(n);  // travels with the bytes
//
// A `Grant` is bytes already taken, owned: moving it moves the obligation to
// give them back, and destroying it gives them back (RAII), so page data
// can go from a transfer to a queue to the converter without anyone
// forgetting to return its memory.
//
// `SetOnGive` registers what wakes a loop that waits for memory (the
// fetcher's curl_multi_wakeup). It is called on the first Give after a
// TryTake or HasRoom found no room, not on every Give: waking the fetcher
// for every page's memory was 20,000 needless wakeups in 10,000 pages. It is
// called under the budget's lock, so it must be quick and must not call the
// budget.
//
// Thread-safe.
#ifndef CONCURRENCY_PIPELINE_MEMORY_BUDGET_H_
#define CONCURRENCY_PIPELINE_MEMORY_BUDGET_H_

#include <cstdint>
#include <functional>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace concurrency::pipeline {

class MemoryBudget {
 public:
  // Bytes taken and not yet given back; gives them back when destroyed.
  class Grant {
   public:
    Grant() = default;
    Grant(Grant&& other) noexcept
        : budget_(std::exchange(other.budget_, nullptr)),
          bytes_(std::exchange(other.bytes_, 0)) {}
    Grant& operator=(Grant&& other) noexcept {
      if (this != &other) {
        Release();
        budget_ = std::exchange(other.budget_, nullptr);
        bytes_ = std::exchange(other.bytes_, 0);
      }
      return *this;
    }
    Grant(const Grant&) = delete;
    Grant& operator=(const Grant&) = delete;
    ~Grant() { Release(); }

    int64_t bytes() const { return bytes_; }
    // Gives the bytes back now.
    void Release() {
      if (budget_ != nullptr && bytes_ > 0) budget_->Give(bytes_);
      budget_ = nullptr;
      bytes_ = 0;
    }

   private:
    friend class MemoryBudget;
    Grant(MemoryBudget* budget, int64_t bytes)
        : budget_(budget), bytes_(bytes) {}
    MemoryBudget* budget_ = nullptr;
    int64_t bytes_ = 0;
  };

  // `limit` bytes in all (at least 1).
  explicit MemoryBudget(int64_t limit) : limit_(limit < 1 ? 1 : limit) {}
  MemoryBudget(const MemoryBudget&) = delete;
  MemoryBudget& operator=(const MemoryBudget&) = delete;

  // Takes `n` bytes if they fit; false (nothing taken) if they do not, and
  // then the next Give wakes the waiter.
  bool TryTake(int64_t n) ABSL_LOCKS_EXCLUDED(mu_);
  // Whether `n` bytes fit now (nothing taken); if not, the next Give wakes
  // the waiter, as after a failed TryTake.
  bool HasRoom(int64_t n) ABSL_LOCKS_EXCLUDED(mu_);
  // Gives back `n` bytes taken before.
  void Give(int64_t n) ABSL_LOCKS_EXCLUDED(mu_);
  // `n` bytes already taken (by TryTake), as a Grant that gives them back.
  Grant GrantOf(int64_t n) { return Grant(this, n); }

  void SetOnGive(std::function<void()> on_give) ABSL_LOCKS_EXCLUDED(mu_);

  int64_t limit() const { return limit_; }
  int64_t used() const ABSL_LOCKS_EXCLUDED(mu_);
  int64_t available() const ABSL_LOCKS_EXCLUDED(mu_);
  // The most ever taken at once.
  int64_t high_water() const ABSL_LOCKS_EXCLUDED(mu_);
  // How many times memory was given back so far (to tell a standstill).
  int64_t gives() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  const int64_t limit_;
  mutable absl::Mutex mu_;
  int64_t used_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t high_water_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t gives_ ABSL_GUARDED_BY(mu_) = 0;
  bool wanted_ ABSL_GUARDED_BY(mu_) = false;  // someone found no room
  std::function<void()> on_give_ ABSL_GUARDED_BY(mu_);
};

}  // namespace concurrency::pipeline

#endif  // CONCURRENCY_PIPELINE_MEMORY_BUDGET_H_
