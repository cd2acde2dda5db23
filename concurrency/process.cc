#include "concurrency/process.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "concurrency/io/posix_error.h"

namespace concurrency {
namespace {

// Exit code of a child whose body threw (EX_SOFTWARE in sysexits.h).
constexpr int kUncaughtExceptionExit = 70;

pid_t WaitFor(pid_t pid, int* status) {
  pid_t r;
  do {
    r = waitpid(pid, status, 0);
  } while (r < 0 && errno == EINTR);
  return r;
}

[[noreturn]] void RunChild(absl::AnyInvocable<int() &&> body, pid_t parent) {
  // Die with the parent; if it already died before prctl, give up now.
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) {
    _exit(1);
  }
  int code = kUncaughtExceptionExit;
  try {
    code = std::move(body)();
  } catch (...) {
    static constexpr char kMessage[] = "child process: uncaught exception\n";
    (void)!write(STDERR_FILENO, kMessage, sizeof(kMessage) - 1);
  }
  std::fflush(nullptr);
  _exit(code);
}

}  // namespace

Child& Child::operator=(Child&& other) noexcept {
  if (this != &other) {
    KillAndReap();
    pid_ = std::exchange(other.pid_, -1);
  }
  return *this;
}

Child::~Child() { KillAndReap(); }

void Child::KillAndReap() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    int status;
    WaitFor(pid_, &status);
    pid_ = -1;
  }
}

absl::Status Child::Join() {
  if (pid_ <= 0) {
    return absl::FailedPreconditionError(
        "Child::Join: no process (joined or moved)");
  }
  const pid_t pid = std::exchange(pid_, -1);
  int status = 0;
  if (WaitFor(pid, &status) < 0) {
    return io::PosixError(absl::StrCat("child ", pid, ": waitpid"), errno);
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    return absl::OkStatus();
  }
  if (WIFEXITED(status)) {
    return absl::InternalError(
        absl::StrCat("child ", pid, " exited with code ", WEXITSTATUS(status)));
  }
  const int sig = WTERMSIG(status);
  return absl::InternalError(absl::StrCat(
      "child ", pid, " was killed by signal ", sig, " (", strsignal(sig), ")"));
}

absl::StatusOr<Child> Spawn(absl::AnyInvocable<int() &&> body) {
  // Flush now, or the child would print the parent's buffered output again.
  std::fflush(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    return io::PosixError("Spawn: fork", errno);
  }
  if (pid == 0) {
    RunChild(std::move(body), parent);
  }
  return Child(pid);
}

}  // namespace concurrency
