// The tutorial's multiprocessing lesson, in four scenes:
//   1. Process(target=f, args=(n,)).start(); join()  -- a child that sleeps;
//   2. a global x changed by a thread (the parent sees 2) and by a child
//      process (the parent still sees 2: the child changed its own copy);
//   3. a Queue: the parent puts 'abc', the child gets and prints it;
//   4. a Pipe: the parent sends 100, the child prints it and sends back 200.
//
//   bazel run //concurrency:processes -- --sleep=1s

#include <unistd.h>

#include <cstdio>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "concurrency/ipc.h"
#include "concurrency/process.h"

ABSL_FLAG(absl::Duration, sleep, absl::Seconds(1),
          "How long the first child sleeps (the tutorial's f(10) sleeps 10s).");

namespace {

int x = 1;  // The tutorial's global.

absl::Status SleepingChild(absl::Duration nap) {
  absl::StatusOr<concurrency::Child> child = concurrency::Spawn([nap] {
    std::printf("in child %d: sleeping %s\n", getpid(),
                absl::FormatDuration(nap).c_str());
    absl::SleepFor(nap);
    return 0;
  });
  if (!child.ok()) {
    return child.status();
  }
  return child->Join();
}

absl::Status MemoryIsolation() {
  std::thread([] { x += 1; }).join();
  std::printf("after a thread ran x += 1: x = %d\n", x);
  auto child = concurrency::RunInProcess([] { return x += 1; });
  if (!child.ok()) {
    return child.status();
  }
  absl::StatusOr<int> child_x = child->Get();
  if (!child_x.ok()) {
    return child_x.status();
  }
  std::printf(
      "after a child process ran x += 1: x = %d (the child's x was %d)\n", x,
      *child_x);
  return absl::OkStatus();
}

absl::Status QueueRoundTrip() {
  auto queue = concurrency::ProcessQueue<std::string>::Create();
  if (!queue.ok()) {
    return queue.status();
  }
  if (absl::Status s = (*queue)->Put("abc"); !s.ok()) {
    return s;
  }
  absl::StatusOr<concurrency::Child> child = concurrency::Spawn([&] {
    std::printf("in child\n");
    absl::StatusOr<std::string> got = (*queue)->Get();
    std::printf("%s\n",
                got.ok() ? got->c_str() : got.status().ToString().c_str());
    return got.ok() ? 0 : 1;
  });
  if (!child.ok()) {
    return child.status();
  }
  return child->Join();
}

absl::Status PipeRoundTrip() {
  auto pipe = concurrency::MakePipe();
  if (!pipe.ok()) {
    return pipe.status();
  }
  // Named references, not a structured binding: clang 14 cannot capture
  // those in a lambda.
  concurrency::PipeEnd& c1 = pipe->first;
  concurrency::PipeEnd& c2 = pipe->second;
  absl::StatusOr<concurrency::Child> child = concurrency::Spawn([&c1, &c2] {
    c1.Close();
    std::printf("in child\n");
    absl::StatusOr<int> data = c2.Recv<int>();
    if (!data.ok()) {
      return 1;
    }
    std::printf("%d\n", *data);
    std::fflush(stdout);
    return c2.Send(*data * 2).ok() ? 0 : 1;
  });
  if (!child.ok()) {
    return child.status();
  }
  c2.Close();
  if (absl::Status s = c1.Send(100); !s.ok()) {
    return s;
  }
  absl::StatusOr<int> answer = c1.Recv<int>();
  if (!answer.ok()) {
    return answer.status();
  }
  std::printf("parent received %d\n", *answer);
  return child->Join();
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "The tutorial's multiprocessing lesson: Process, memory isolation, "
      "Queue, Pipe.");
  absl::ParseCommandLine(argc, argv);
  std::printf("== 1. a child process that sleeps\n");
  absl::Status s = SleepingChild(absl::GetFlag(FLAGS_sleep));
  if (s.ok()) {
    std::printf("\n== 2. memory isolation\n");
    s = MemoryIsolation();
  }
  if (s.ok()) {
    std::printf("\n== 3. a queue between processes\n");
    s = QueueRoundTrip();
  }
  if (s.ok()) {
    std::printf("\n== 4. a pipe between processes\n");
    s = PipeRoundTrip();
  }
  if (!s.ok()) {
    std::fprintf(stderr, "processes: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
