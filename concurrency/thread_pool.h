// -----------------------------------------------------------------------------
// File: thread_pool.h
// -----------------------------------------------------------------------------
//
// `ThreadPool` is the counterpart of Python's
// `concurrent.futures.ThreadPoolExecutor`: a fixed set of worker threads that
// run submitted tasks in submission order.
//
//   ThreadPool pool(3, "pool");
//   absl::StatusOr<std::future<int>> product = pool.Submit(Multiply, 2, 3);
//   int six = product->get();                       // future.result()
//   absl::StatusOr<std::vector<int>> products =     // executor.map(f, a, b)
//       pool.Map(Multiply, std::vector{1, 2, 3}, std::vector{2, 3, 4});
//
// Results and failures travel through `std::future`: whatever the task
// returns (an `absl::Status` included) reaches `get()`, and an exception the
// task throws is rethrown by `get()` in the waiting thread.
//
// Lifetime: `Shutdown()` stops new submissions; with `wait` it also runs the
// tasks already queued and joins the workers. The destructor does
// `Shutdown(/*wait=*/true)`. `Submit()` after shutdown returns
// `FailedPreconditionError` rather than a future that would never be ready.
// `CancelPending()` drops queued tasks: their futures then throw
// `std::future_error` (`broken_promise`), so no waiter hangs.
//
// Fire and forget: `Schedule(f)` queues `f` with no future, the cheapest
// way to run a task. An exception escaping a scheduled task goes to the
// handler set with `SetExceptionHandler`; with none set it ends the process
// (std::terminate, as an exception escaping a std::thread does): never
// silently.
//
// Worker threads are named `<name>_<index>` (as Python's
// `ThreadPoolExecutor-0_1`); a task reads its worker's name with
// `ThreadPool::CurrentWorkerName()`.
//
// Thread-safe: every member may be called from any thread, except that a task
// must not destroy its own pool nor call `Shutdown(/*wait=*/true)` on it
// (a thread cannot join itself; that call does not wait and says so in its
// return value).

#ifndef CONCURRENCY_THREAD_POOL_H_
#define CONCURRENCY_THREAD_POOL_H_

#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <future>
#include <iterator>
#include <ranges>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace concurrency {

class ThreadPool {
 public:
  // Starts `num_threads` workers (at least one) named `<name>_<index>`.
  explicit ThreadPool(int num_threads, std::string name = "ThreadPool");
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Runs every queued task and joins the workers.
  ~ThreadPool();

  // Queues `f(args...)` (arguments are copied or moved into the task) and
  // returns the future of its result, or `FailedPreconditionError` if the
  // pool is shut down.
  template <typename F, typename... Args>
  auto Submit(F&& f, Args&&... args) -> absl::StatusOr<std::future<
      std::invoke_result_t<std::decay_t<F>, std::decay_t<Args>...>>>;

  // Queues `f()` with no future. Returns `FailedPreconditionError` if the
  // pool is shut down (then `f` is dropped, not run). See the file comment
  // for what happens to an exception it throws.
  absl::Status Schedule(absl::AnyInvocable<void() &&> f)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Sets what receives an exception escaping a scheduled task; it is called
  // on the worker that ran the task, possibly from several at once.
  void SetExceptionHandler(std::function<void(std::exception_ptr)> handler)
      ABSL_LOCKS_EXCLUDED(handler_mu_);

  // Runs `f` on the elements of `ranges` taken in step (stopping at the
  // shortest, as Python's `executor.map(f, *iterables)`) and returns the
  // results in input order. Blocks until all are done. An exception from any
  // call is rethrown here, after every submitted call has finished. Returns
  // `FailedPreconditionError` if the pool is shut down.
  template <typename F, std::ranges::input_range... Ranges>
  auto Map(const F& f, const Ranges&... ranges)
      -> absl::StatusOr<std::vector<std::invoke_result_t<
          const F&, const std::ranges::range_value_t<Ranges>&...>>>;

  // Stops accepting tasks. With `wait`, blocks until the queued tasks have run
  // and the workers have exited. Idempotent. Returns false (without waiting)
  // if called with `wait` from one of this pool's own workers.
  bool Shutdown(bool wait = true) ABSL_LOCKS_EXCLUDED(mu_);

  // Drops the tasks that have not started; returns how many were dropped.
  // Their futures report `std::future_errc::broken_promise`.
  size_t CancelPending() ABSL_LOCKS_EXCLUDED(mu_);

  // Returns the number of tasks queued and not yet started.
  size_t pending() const ABSL_LOCKS_EXCLUDED(mu_);

  int num_threads() const { return static_cast<int>(workers_.size()); }
  const std::string& name() const { return name_; }

  // Returns the name of the pool worker running the caller, or "" when the
  // caller is not a pool worker (Python's `threading.current_thread().name`).
  static absl::string_view CurrentWorkerName();

 private:
  using Task = absl::AnyInvocable<void() &&>;

  absl::Status Enqueue(Task task) ABSL_LOCKS_EXCLUDED(mu_);
  void WorkLoop(int index);
  void ReportException(std::exception_ptr e) ABSL_LOCKS_EXCLUDED(handler_mu_);
  bool IsOwnWorker() const;
  bool HasWorkOrStopping() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stopping_ || !tasks_.empty();
  }

  template <typename R, size_t... I, typename F, typename... Ranges>
  absl::StatusOr<std::vector<R>> MapImpl(std::index_sequence<I...>, const F& f,
                                         const Ranges&... ranges);

  // Constant after construction.
  const std::string name_;
  std::vector<std::thread> workers_;

  // State below is protected by mu_.
  mutable absl::Mutex mu_;
  std::deque<Task> tasks_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  // Serializes joining, so that concurrent Shutdown(true) calls both return
  // after the workers are gone.
  absl::Mutex join_mu_;

  absl::Mutex handler_mu_;
  std::function<void(std::exception_ptr)> handler_ ABSL_GUARDED_BY(handler_mu_);
};

// Implementation details follow.

template <typename F, typename... Args>
auto ThreadPool::Submit(F&& f, Args&&... args) -> absl::StatusOr<
    std::future<std::invoke_result_t<std::decay_t<F>, std::decay_t<Args>...>>> {
  using R = std::invoke_result_t<std::decay_t<F>, std::decay_t<Args>...>;
  std::packaged_task<R()> task(
      [f = std::forward<F>(f), ... args = std::forward<Args>(args)]() mutable {
        return std::invoke(std::move(f), std::move(args)...);
      });
  std::future<R> result = task.get_future();
  if (absl::Status s = Enqueue([task = std::move(task)]() mutable { task(); });
      !s.ok()) {
    return s;
  }
  return result;
}

template <typename F, std::ranges::input_range... Ranges>
auto ThreadPool::Map(const F& f, const Ranges&... ranges)
    -> absl::StatusOr<std::vector<std::invoke_result_t<
        const F&, const std::ranges::range_value_t<Ranges>&...>>> {
  using R = std::invoke_result_t<const F&,
                                 const std::ranges::range_value_t<Ranges>&...>;
  static_assert(!std::is_void_v<R>,
                "Map collects results: use Submit for void");
  static_assert(sizeof...(Ranges) > 0, "Map needs at least one range");
  return MapImpl<R>(std::index_sequence_for<Ranges...>(), f, ranges...);
}

template <typename R, size_t... I, typename F, typename... Ranges>
absl::StatusOr<std::vector<R>> ThreadPool::MapImpl(std::index_sequence<I...>,
                                                   const F& f,
                                                   const Ranges&... ranges) {
  std::vector<std::future<R>> futures;
  auto its = std::make_tuple(std::ranges::begin(ranges)...);
  absl::Status submitted;
  while (((std::get<I>(its) != std::ranges::end(ranges)) && ...)) {
    auto future = Submit(f, *std::get<I>(its)...);
    if (!future.ok()) {
      submitted = future.status();
      break;
    }
    futures.push_back(*std::move(future));
    (++std::get<I>(its), ...);
  }
  // Wait for every call before reporting anything, so that no task still runs
  // when the caller sees an error.
  for (auto& future : futures) {
    future.wait();
  }
  if (!submitted.ok()) {
    return submitted;
  }
  std::vector<R> results;
  results.reserve(futures.size());
  for (auto& future : futures) {
    results.push_back(future.get());
  }
  return results;
}

}  // namespace concurrency

#endif  // CONCURRENCY_THREAD_POOL_H_
