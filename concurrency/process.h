// -----------------------------------------------------------------------------
// File: process.h
// -----------------------------------------------------------------------------
//
// Running a function in a child process: the counterpart of Python's
// `multiprocessing.Process(target=f).start()` / `join()`, and of getting a
// result back from it.
//
//   absl::StatusOr<Child> child = Spawn([] { return DoWork() ? 0 : 1; });
//   absl::Status finished = child->Join();   // OK iff the child exited 0
//
//   auto sum = RunInProcess([] { return Sum(1, 100); });  // starts the child
//   absl::StatusOr<int> value = sum->Get();                // result, then reap
//
// The child is a `fork()` of the caller: it sees a copy of the caller's memory
// at that moment, and what it changes stays in the child (the tutorial's
// lesson on process isolation). It ends with `_exit()`, so the parent's
// buffered output, static destructors and atexit handlers do not run twice.
//
// Reaping: `Join()` waits for the child and turns its end into a status: exit
// code 0 is OK, another code or a signal is `Internal` naming the pid and the
// code or signal. A `Child` destroyed without `Join()` kills (SIGKILL) and
// reaps its process: no zombie, no process left running. A child is killed
// when the thread that spawned it exits (PR_SET_PDEATHSIG), so a parent that
// dies does not leave children running forever.
//
// Threads and fork: only the forking thread exists in the child. Locks that
// other threads held at the fork stay locked there for ever, so a child of a
// multithreaded parent may only do work that takes no such lock. Safe: fork
// before starting threads (FindArmstrongProcesses does), or, after threads
// exist, keep the child to computation on its own data and async-signal-safe
// calls (write, _exit, exec) and create no threads in it (ThreadSanitizer
// aborts a child of a multithreaded parent that starts a thread).
//
// Thread-compatible: a `Child` is used by one thread at a time.

#ifndef CONCURRENCY_PROCESS_H_
#define CONCURRENCY_PROCESS_H_

#include <sys/types.h>

#include <type_traits>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "concurrency/ipc.h"

namespace concurrency {

// A running (or finished, not yet reaped) child process. Move-only.
class Child {
 public:
  Child(Child&& other) noexcept : pid_(std::exchange(other.pid_, -1)) {}
  Child& operator=(Child&& other) noexcept;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // Kills and reaps the process if it was not joined.
  ~Child();

  // Waits for the process to end and reaps it. OK iff it exited with code 0.
  absl::Status Join();

  pid_t pid() const { return pid_; }

 private:
  friend absl::StatusOr<Child> Spawn(absl::AnyInvocable<int() &&> body);
  explicit Child(pid_t pid) : pid_(pid) {}
  void KillAndReap();

  pid_t pid_;  // -1 once joined or moved from.
};

// Forks a child that runs `body` and exits with the code it returns (70 if it
// throws). Returns the child, or the error of fork().
absl::StatusOr<Child> Spawn(absl::AnyInvocable<int() &&> body);

// The pending result of RunInProcess.
template <typename T>
class ProcessResult {
 public:
  ProcessResult(Child child, PipeEnd from_child)
      : child_(std::move(child)), from_child_(std::move(from_child)) {}

  // Receives the child's result and reaps it. If the child failed (crashed,
  // exited non-zero) that is the error, whatever was received.
  absl::StatusOr<T> Get() {
    absl::StatusOr<T> value = from_child_.Recv<T>();
    absl::Status ended = child_.Join();
    if (!ended.ok()) {
      return ended;
    }
    return value;
  }

  pid_t pid() const { return child_.pid(); }

 private:
  Child child_;
  PipeEnd from_child_;
};

// Runs `fn()` in a child process and returns its pending result, which
// travels back through a pipe (see Codec in ipc.h for the types it can be).
template <typename F>
auto RunInProcess(F fn)
    -> absl::StatusOr<ProcessResult<std::invoke_result_t<F&>>> {
  using T = std::invoke_result_t<F&>;
  absl::StatusOr<std::pair<PipeEnd, PipeEnd>> pipe = MakePipe();
  if (!pipe.ok()) {
    return pipe.status();
  }
  PipeEnd to_parent = std::move(pipe->second);
  absl::StatusOr<Child> child = Spawn([&fn, &pipe, &to_parent]() -> int {
    pipe->first.Close();
    return to_parent.Send<T>(fn()).ok() ? 0 : 1;
  });
  to_parent.Close();  // Only the child writes: its exit then ends the stream.
  if (!child.ok()) {
    return child.status();
  }
  return ProcessResult<T>(*std::move(child), std::move(pipe->first));
}

}  // namespace concurrency

#endif  // CONCURRENCY_PROCESS_H_
