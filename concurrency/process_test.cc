#include "concurrency/process.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "concurrency/ipc.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/testing/status_matchers.h"

namespace concurrency {
namespace {

using ::testing::HasSubstr;
using ::testing_util::IsOk;
using ::testing_util::StatusIs;

int counter = 1;  // The tutorial's global x.

TEST(SpawnTest, ChildExitingZeroJoinsOk) {
  absl::StatusOr<Child> child = Spawn([] { return 0; });
  ASSERT_THAT(child, IsOk());
  EXPECT_GT(child->pid(), 0);
  EXPECT_THAT(child->Join(), IsOk());
  EXPECT_EQ(child->pid(), -1);  // joined: no process (process.h)
  EXPECT_THAT(child->Join(), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(SpawnTest, NonZeroExitIsAnErrorNamingTheCode) {
  absl::StatusOr<Child> child = Spawn([] { return 3; });
  ASSERT_THAT(child, IsOk());
  EXPECT_THAT(child->Join(), StatusIs(absl::StatusCode::kInternal,
                                      HasSubstr("exited with code 3")));
}

TEST(SpawnTest, CrashIsAnErrorNamingTheSignal) {
  absl::StatusOr<Child> child = Spawn([] { return raise(SIGKILL); });
  ASSERT_THAT(child, IsOk());
  EXPECT_THAT(child->Join(), StatusIs(absl::StatusCode::kInternal,
                                      HasSubstr("killed by signal 9")));
}

TEST(SpawnTest, UncaughtExceptionExitsWithCode70) {
  absl::StatusOr<Child> child =
      Spawn([]() -> int { throw std::runtime_error("in child"); });
  ASSERT_THAT(child, IsOk());
  EXPECT_THAT(child->Join(), StatusIs(absl::StatusCode::kInternal,
                                      HasSubstr("exited with code 70")));
}

TEST(SpawnTest, ChildChangesStayInTheChild) {
  counter = 2;
  auto in_child = RunInProcess([] { return ++counter; });
  ASSERT_THAT(in_child, IsOk());
  absl::StatusOr<int> child_value = in_child->Get();
  ASSERT_THAT(child_value, IsOk());
  EXPECT_EQ(*child_value, 3);  // The child saw the parent's 2 and added one...
  EXPECT_EQ(counter, 2);       // ...to its own copy.
}

TEST(SpawnTest, DestroyingAnUnjoinedChildKillsAndReapsIt) {
  auto pipe = MakePipe();
  ASSERT_THAT(pipe, IsOk());
  pid_t pid;
  {
    // The child would wait for ever for a message that never comes.
    absl::StatusOr<Child> child =
        Spawn([&] { return pipe->second.RecvBytes().ok(); });
    ASSERT_THAT(child, IsOk());
    pid = child->pid();
  }
  int status;
  EXPECT_EQ(waitpid(pid, &status, WNOHANG), -1);  // Already reaped: no zombie.
  EXPECT_EQ(errno, ECHILD);
}

TEST(SpawnTest, AssigningOverAChildKillsAndReapsTheOldOne) {
  auto pipe = MakePipe();
  ASSERT_THAT(pipe, IsOk());
  absl::StatusOr<Child> waiting =
      Spawn([&] { return pipe->second.RecvBytes().ok(); });
  ASSERT_THAT(waiting, IsOk());
  const pid_t old_pid = waiting->pid();
  absl::StatusOr<Child> quick = Spawn([] { return 0; });
  ASSERT_THAT(quick, IsOk());
  const pid_t new_pid = quick->pid();
  *waiting = std::move(*quick);
  EXPECT_EQ(waiting->pid(), new_pid);
  EXPECT_EQ(quick->pid(), -1);
  int status;
  EXPECT_EQ(waitpid(old_pid, &status, WNOHANG), -1);  // reaped, not left
  EXPECT_EQ(errno, ECHILD);
  EXPECT_THAT(waiting->Join(), IsOk());
  EXPECT_THAT(quick->Join(), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(SpawnTest, ChildDiesWithItsParent) {
  // Become the reaper of orphaned descendants, so that we can wait for the
  // grandchild once its parent is gone.
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  auto pids = MakePipe();
  ASSERT_THAT(pids, IsOk());
  absl::StatusOr<Child> parent = Spawn([&]() -> int {
    auto ready = MakePipe();
    if (!ready.ok()) {
      return 1;
    }
    // The grandchild's body runs after Spawn armed its death signal; it says
    // so, then blocks for ever.
    absl::StatusOr<Child> grandchild = Spawn([&] {
      (void)ready->second.Send<pid_t>(getpid());
      return pids->second.RecvBytes().ok();
    });
    absl::StatusOr<pid_t> pid = ready->first.Recv<pid_t>();
    if (!grandchild.ok() || !pid.ok() || !pids->second.Send<pid_t>(*pid).ok()) {
      return 1;
    }
    _exit(0);  // Dies without reaping it, as a crashed parent would.
  });
  ASSERT_THAT(parent, IsOk());
  absl::StatusOr<pid_t> grandchild = pids->first.Recv<pid_t>();
  ASSERT_THAT(grandchild, IsOk());
  EXPECT_THAT(parent->Join(), IsOk());
  int status = 0;
  ASSERT_EQ(waitpid(*grandchild, &status, 0), *grandchild);
  EXPECT_TRUE(WIFSIGNALED(status)) << "exit code " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  prctl(PR_SET_CHILD_SUBREAPER, 0);
}

TEST(RunInProcessTest, ReturnsTheChildsResult) {
  auto result = RunInProcess([] {
    return std::vector<uint64_t>{153, 370, 371};
  });
  ASSERT_THAT(result, IsOk());
  absl::StatusOr<std::vector<uint64_t>> value = result->Get();
  ASSERT_THAT(value, IsOk());
  EXPECT_EQ(*value, (std::vector<uint64_t>{153, 370, 371}));
}

TEST(RunInProcessTest, CrashedChildIsAnErrorNotAHang) {
  auto result = RunInProcess([]() -> int {
    raise(SIGKILL);
    return 0;
  });
  ASSERT_THAT(result, IsOk());
  EXPECT_THAT(result->Get(), StatusIs(absl::StatusCode::kInternal,
                                      HasSubstr("killed by signal 9")));
}

TEST(RunInProcessTest, QueueAndPipeCrossProcesses) {
  // The tutorial: the parent puts 'abc', the child gets it; the parent sends
  // 100 through a pipe, the child answers 200.
  auto queue = ProcessQueue<std::string>::Create();
  ASSERT_THAT(queue, IsOk());
  auto pipe = MakePipe();
  ASSERT_THAT(pipe, IsOk());
  ASSERT_THAT((*queue)->Put("abc"), IsOk());
  auto child = RunInProcess([&] {
    absl::StatusOr<std::string> got = (*queue)->Get();
    absl::StatusOr<int> data = pipe->second.Recv<int>();
    if (!data.ok() || !pipe->second.Send(*data * 2).ok()) {
      return std::string("pipe failed");
    }
    return got.ok() ? *got : std::string("queue failed");
  });
  ASSERT_THAT(child, IsOk());
  ASSERT_THAT(pipe->first.Send(100), IsOk());
  absl::StatusOr<int> doubled = pipe->first.Recv<int>();
  ASSERT_THAT(doubled, IsOk());
  EXPECT_EQ(*doubled, 200);
  absl::StatusOr<std::string> from_queue = child->Get();
  ASSERT_THAT(from_queue, IsOk());
  EXPECT_EQ(*from_queue, "abc");
}

TEST(RunInProcessTest, ManyChildrenPutIntoOneQueue) {
  auto queue = ProcessQueue<int>::Create();
  ASSERT_THAT(queue, IsOk());
  std::vector<Child> children;
  for (int i = 0; i < 4; ++i) {
    auto child = Spawn([&, i] {
      for (int j = 0; j < 100; ++j) {
        if (!(*queue)->Put(i * 100 + j).ok()) {
          return 1;
        }
      }
      return 0;
    });
    ASSERT_THAT(child, IsOk());
    children.push_back(*std::move(child));
  }
  std::vector<int> seen;
  for (int k = 0; k < 400; ++k) {
    absl::StatusOr<int> v = (*queue)->Get();
    ASSERT_THAT(v, IsOk());
    seen.push_back(*v);
  }
  for (Child& child : children) {
    EXPECT_THAT(child.Join(), IsOk());
  }
  std::sort(seen.begin(), seen.end());
  for (int k = 0; k < 400; ++k) {
    EXPECT_EQ(seen[k], k);
  }
}

// After threads exist, a child that only computes on its own data is safe even
// while another thread holds a lock: the child never touches that lock.
TEST(RunInProcessTest, ComputeOnlyChildOfAMultithreadedParent) {
  absl::Mutex mu;
  absl::Notification locked, release;
  std::thread holder([&] {
    absl::MutexLock l(&mu);
    locked.Notify();
    release.WaitForNotification();
  });
  locked.WaitForNotification();
  auto result = RunInProcess([] {
    uint64_t sum = 0;
    for (uint64_t i = 1; i <= 1000; ++i) {
      sum += i;
    }
    return sum;
  });
  release.Notify();
  holder.join();
  ASSERT_THAT(result, IsOk());
  absl::StatusOr<uint64_t> sum = result->Get();
  ASSERT_THAT(sum, IsOk());
  EXPECT_EQ(*sum, 500500u);
}

}  // namespace
}  // namespace concurrency
