// The tutorial's thread pool lesson (concurrent.futures.ThreadPoolExecutor):
//
//   executor = ThreadPoolExecutor(3)
//   future = executor.submit(f, 2, 3); print(future.result())     # 6
//   executor.map(f, range(1, 6), range(2, 7))
//
// where f prints its worker's name and sleeps 5-10 s to show that the calls
// run side by side on different workers. Instead of sleeping, the first calls
// of the map wait for one another at a latch: the map can only finish if
// they really run at the same time on different workers.
//
//   bazel run //concurrency:thread_pool -- --workers=3

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <latch>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "concurrency/thread_pool.h"

ABSL_FLAG(int, workers, 3, "Number of worker threads in the pool.");

namespace {

absl::Mutex print_mu;

// Prints "<worker> : a b" as the tutorial's f does, one whole line at a time.
void PrintCall(int a, int b) {
  absl::MutexLock l(&print_mu);
  std::printf("%s : %d %d\n",
              std::string(concurrency::ThreadPool::CurrentWorkerName()).c_str(),
              a, b);
  std::fflush(stdout);
}

int Multiply(int a, int b) {
  PrintCall(a, b);
  return a * b;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "The tutorial's ThreadPoolExecutor lesson: submit, result, map.");
  absl::ParseCommandLine(argc, argv);
  const int workers = std::max(1, absl::GetFlag(FLAGS_workers));
  concurrency::ThreadPool pool(workers, "ThreadPool");

  std::printf("submit(f, 2, 3):\n");
  absl::StatusOr<std::future<int>> future = pool.Submit(Multiply, 2, 3);
  if (!future.ok()) {
    std::fprintf(stderr, "%s\n", future.status().ToString().c_str());
    return 1;
  }
  std::printf("result() = %d\n\n", future->get());

  const std::vector<int> a = {1, 2, 3, 4, 5}, b = {2, 3, 4, 5, 6};
  std::printf("map(f, range(1, 6), range(2, 7)) on %d workers:\n", workers);
  // The first min(workers, 5) calls wait here until all of them are running.
  const int side_by_side = std::min<int>(workers, a.size());
  std::latch all_running(side_by_side);
  std::atomic<int> started{0};
  auto f = [&](int x, int y) {
    PrintCall(x, y);
    if (started.fetch_add(1) < side_by_side) {
      all_running.arrive_and_wait();
    }
    return x * y;
  };
  absl::StatusOr<std::vector<int>> products = pool.Map(f, a, b);
  if (!products.ok()) {
    std::fprintf(stderr, "%s\n", products.status().ToString().c_str());
    return 1;
  }
  std::printf("results in input order: [%s]\n",
              absl::StrJoin(*products, ", ").c_str());
  if (side_by_side > 1) {
    std::printf("%d calls ran at the same time on different workers.\n",
                side_by_side);
  }
  return 0;
}
