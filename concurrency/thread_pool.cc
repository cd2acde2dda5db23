#include "concurrency/thread_pool.h"

#include <pthread.h>

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"

namespace concurrency {
namespace {

// The pool this thread works for (nullptr if none) and its worker name.
thread_local const ThreadPool* current_pool = nullptr;
thread_local std::string current_worker_name;

// Linux limits thread names to 15 bytes; `top -H` and gdb show this prefix.
void SetOsThreadName(const std::string& name) {
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
}

}  // namespace

ThreadPool::ThreadPool(int num_threads, std::string name)
    : name_(std::move(name)) {
  const int n = std::max(num_threads, 1);
  workers_.reserve(n);
  for (int i = 0; i < n; ++i) {
    workers_.emplace_back(&ThreadPool::WorkLoop, this, i);
  }
}

ThreadPool::~ThreadPool() { Shutdown(/*wait=*/true); }

absl::Status ThreadPool::Enqueue(Task task) {
  absl::MutexLock l(&mu_);
  if (stopping_) {
    return absl::FailedPreconditionError(
        absl::StrCat("ThreadPool '", name_, "': Submit after Shutdown"));
  }
  tasks_.push_back(std::move(task));
  return absl::OkStatus();
}

absl::Status ThreadPool::Schedule(absl::AnyInvocable<void() &&> f) {
  return Enqueue(std::move(f));
}

void ThreadPool::SetExceptionHandler(
    std::function<void(std::exception_ptr)> handler) {
  absl::MutexLock l(&handler_mu_);
  handler_ = std::move(handler);
}

void ThreadPool::ReportException(std::exception_ptr e) {
  std::function<void(std::exception_ptr)> handler;
  {
    absl::MutexLock l(&handler_mu_);
    handler = handler_;
  }
  if (handler) {
    handler(e);
    return;
  }
  // No handler: end the process with the exception, as std::thread does.
  [e]() noexcept { std::rethrow_exception(e); }();
}

void ThreadPool::WorkLoop(int index) {
  current_pool = this;
  current_worker_name = absl::StrCat(name_, "_", index);
  SetOsThreadName(current_worker_name);
  while (true) {
    Task task;
    {
      absl::MutexLock l(&mu_);
      mu_.Await(absl::Condition(this, &ThreadPool::HasWorkOrStopping));
      if (tasks_.empty()) {
        return;  // Stopping, and every queued task has run.
      }
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    // Submit's tasks keep their exceptions in their futures; only a
    // scheduled task can throw here.
    try {
      std::move(task)();
    } catch (...) {
      ReportException(std::current_exception());
    }
  }
}

bool ThreadPool::IsOwnWorker() const { return current_pool == this; }

bool ThreadPool::Shutdown(bool wait) {
  {
    absl::MutexLock l(&mu_);
    stopping_ = true;
  }
  if (!wait) {
    return true;
  }
  if (IsOwnWorker()) {
    return false;
  }
  absl::MutexLock l(&join_mu_);
  for (std::thread& worker : workers_) {
    if (worker.joinable()) {
      worker.join();
    }
  }
  return true;
}

size_t ThreadPool::CancelPending() {
  std::deque<Task> dropped;
  {
    absl::MutexLock l(&mu_);
    dropped.swap(tasks_);
  }
  // Destroying the tasks outside the lock breaks their promises, which wakes
  // whoever waits on their futures.
  return dropped.size();
}

size_t ThreadPool::pending() const {
  absl::MutexLock l(&mu_);
  return tasks_.size();
}

absl::string_view ThreadPool::CurrentWorkerName() {
  return current_worker_name;
}

}  // namespace concurrency
