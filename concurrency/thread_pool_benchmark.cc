// Thread pool throughput: tasks per second through ThreadPool (1 and 2
// workers), against std::async, a thread per task, and Python's
// ThreadPoolExecutor, all measured in this one run. Each iteration submits a
// batch of tasks and waits for every result, as a caller of Submit/get does.
//
//   bazel run -c opt //concurrency:thread_pool_benchmark
//
// After Google Benchmark's table it prints the ratios of the pool to each peer.

#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/blocking_counter.h"
#include "benchmark/benchmark.h"
#include "concurrency/thread_pool.h"
#include "oneapi/tbb/global_control.h"
#include "oneapi/tbb/task_arena.h"
#include "oneapi/tbb/task_group.h"

namespace concurrency {
namespace {

constexpr int kBatch = 1000;

// A "small" task: about a microsecond of arithmetic.
long SmallWork() {
  std::vector<long> v(256);
  std::iota(v.begin(), v.end(), 1);
  long sum = 0;
  for (long x : v) {
    sum += x * x;
  }
  return sum;
}
long EmptyWork() { return 0; }

template <long (*Work)()>
void BM_ThreadPool(benchmark::State& state) {
  ThreadPool pool(static_cast<int>(state.range(0)), "bench");
  std::vector<std::future<long>> futures(kBatch);
  for (auto _ : state) {
    for (auto& f : futures) {
      f = *pool.Submit(Work);
    }
    for (auto& f : futures) {
      benchmark::DoNotOptimize(f.get());
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
// Schedule: no future, no promise; the batch ends on a counter.
template <long (*Work)()>
void BM_ThreadPoolSchedule(benchmark::State& state) {
  ThreadPool pool(static_cast<int>(state.range(0)), "bench");
  for (auto _ : state) {
    absl::BlockingCounter done(kBatch);
    for (int i = 0; i < kBatch; ++i) {
      (void)pool.Schedule([&done] {
        benchmark::DoNotOptimize(Work());
        done.DecrementCount();
      });
    }
    done.Wait();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_ThreadPoolSchedule<EmptyWork>)
    ->Name("schedule/empty")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime();

// The best peer Debian has: oneTBB's task_group, set up two ways, both with
// N threads running tasks, and no oneTBB warning:
// - "tbb_task_group": an arena of N workers beside the submitting thread, as
//   the pools have. oneTBB by default allows one thread per core in all, the
//   caller included, so on 2 cores an arena of 2 workers would get 1 (and
//   print "TBB Warning: The number of workers is currently limited to 1");
//   the global_control raises that limit to N workers plus the caller.
// - "tbb_arena_with_caller": oneTBB's own default shape, an arena of N
//   threads of which the caller is one (it runs tasks while it waits).
template <long (*Work)(), bool kCallerIsOneOfN>
void BM_TbbTaskGroup(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  tbb::global_control allow(tbb::global_control::max_allowed_parallelism,
                            kCallerIsOneOfN ? n : n + 1);
  tbb::task_arena arena(kCallerIsOneOfN ? n : n + 1,
                        /*reserved_for_masters=*/1);
  for (auto _ : state) {
    arena.execute([] {
      tbb::task_group g;
      for (int i = 0; i < kBatch; ++i) {
        g.run([] { benchmark::DoNotOptimize(Work()); });
      }
      g.wait();
    });
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_TbbTaskGroup<EmptyWork, false>)
    ->Name("tbb_task_group/empty")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime();
BENCHMARK(BM_TbbTaskGroup<EmptyWork, true>)
    ->Name("tbb_arena_with_caller/empty")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime();

// A plain pool: one std::mutex, one condition variable, std::function tasks.
class PlainPool {
 public:
  explicit PlainPool(int n) {
    for (int i = 0; i < n; ++i) threads_.emplace_back([this] { Loop(); });
  }
  ~PlainPool() {
    {
      std::lock_guard<std::mutex> l(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : threads_) t.join();
  }
  void Run(std::function<void()> f) {
    {
      std::lock_guard<std::mutex> l(mu_);
      tasks_.push_back(std::move(f));
    }
    cv_.notify_one();
  }

 private:
  void Loop() {
    while (true) {
      std::function<void()> f;
      {
        std::unique_lock<std::mutex> l(mu_);
        cv_.wait(l, [this] { return stop_ || !tasks_.empty(); });
        if (tasks_.empty()) return;
        f = std::move(tasks_.front());
        tasks_.pop_front();
      }
      f();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

template <long (*Work)()>
void BM_PlainPool(benchmark::State& state) {
  PlainPool pool(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    absl::BlockingCounter done(kBatch);
    for (int i = 0; i < kBatch; ++i) {
      pool.Run([&done] {
        benchmark::DoNotOptimize(Work());
        done.DecrementCount();
      });
    }
    done.Wait();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_PlainPool<EmptyWork>)
    ->Name("plain_pool/empty")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime();

BENCHMARK(BM_ThreadPool<EmptyWork>)
    ->Name("pool/empty")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime();
BENCHMARK(BM_ThreadPool<SmallWork>)
    ->Name("pool/small")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime();

template <long (*Work)()>
void BM_StdAsync(benchmark::State& state) {
  std::vector<std::future<long>> futures(kBatch);
  for (auto _ : state) {
    for (auto& f : futures) {
      f = std::async(std::launch::async, Work);
    }
    for (auto& f : futures) {
      benchmark::DoNotOptimize(f.get());
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_StdAsync<EmptyWork>)->Name("async/empty")->UseRealTime();
BENCHMARK(BM_StdAsync<SmallWork>)->Name("async/small")->UseRealTime();

template <long (*Work)()>
void BM_ThreadPerTask(benchmark::State& state) {
  std::vector<long> results(kBatch);
  std::vector<std::thread> threads(kBatch);
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) {
      threads[i] = std::thread([&results, i] { results[i] = Work(); });
    }
    for (auto& t : threads) {
      t.join();
    }
    benchmark::DoNotOptimize(results.data());
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_ThreadPerTask<EmptyWork>)->Name("thread/empty")->UseRealTime();
BENCHMARK(BM_ThreadPerTask<SmallWork>)->Name("thread/small")->UseRealTime();

// Keeps the console table and remembers items/s by benchmark name.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  // Colours only on a terminal, so that piped output stays plain text.
  RatioReporter() : ConsoleReporter(isatty(1) ? OO_Defaults : OO_Tabular) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      auto it = run.counters.find("items_per_second");
      if (it != run.counters.end()) {
        rates_[run.benchmark_name()] = it->second.value;
      }
    }
  }
  double Rate(const std::string& name) const {
    auto it = rates_.find(name);
    return it == rates_.end() ? 0 : it->second;
  }

 private:
  absl::flat_hash_map<std::string, double> rates_;
};

// Python's ThreadPoolExecutor doing the same: submit kBatch empty tasks, wait
// for every result. Returns tasks per second, or 0 if python3 is missing.
double PythonExecutorRate(int workers) {
  const std::string command = absl::StrFormat(
      "/usr/bin/python3 -c '"
      "import time\n"
      "from concurrent.futures import ThreadPoolExecutor\n"
      "ex = ThreadPoolExecutor(%d)\n"
      "f = lambda: 0\n"
      "best = 0\n"
      "for _ in range(5):\n"
      "    t = time.perf_counter()\n"
      "    fs = [ex.submit(f) for _ in range(%d)]\n"
      "    [x.result() for x in fs]\n"
      "    best = max(best, %d / (time.perf_counter() - t))\n"
      "print(best)' 2>/dev/null",
      workers, kBatch, kBatch);
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return 0;
  }
  double rate = 0;
  if (std::fscanf(pipe, "%lf", &rate) != 1) {
    rate = 0;
  }
  pclose(pipe);
  return rate;
}

void PrintRatios(const RatioReporter& reporter) {
  std::printf(
      "\nThread pool throughput against its peers (higher is better):\n");
  std::printf("%-8s %-8s %14s %10s %10s %10s\n", "task", "workers",
              "pool tasks/s", "vs async", "vs thread", "vs Python");
  for (const char* task : {"empty", "small"}) {
    const double async =
        reporter.Rate(absl::StrFormat("async/%s/real_time", task));
    const double thread =
        reporter.Rate(absl::StrFormat("thread/%s/real_time", task));
    for (int workers : {1, 2}) {
      const double pool =
          reporter.Rate(absl::StrFormat("pool/%s/%d/real_time", task, workers));
      const double python =
          std::string(task) == "empty" ? PythonExecutorRate(workers) : 0;
      std::printf(
          "%-8s %-8d %14.0f %9.1fx %9.1fx %10s\n", task, workers, pool,
          async > 0 ? pool / async : 0, thread > 0 ? pool / thread : 0,
          python > 0 ? absl::StrFormat("%.1fx", pool / python).c_str() : "-");
    }
  }
  std::printf(
      "\nEmpty tasks, fire and forget, against the best peers (same run):\n");
  std::printf("%-8s %14s %14s %14s %14s %10s %14s\n", "workers", "Schedule/s",
              "Submit/s", "tbb N+caller/s", "tbb N incl./s", "vs tbb",
              "plain pool/s");
  for (int workers : {1, 2}) {
    auto rate = [&](const char* name) {
      return reporter.Rate(
          absl::StrFormat("%s/empty/%d/real_time", name, workers));
    };
    const double schedule = rate("schedule");
    const double tbb_beside = rate("tbb_task_group");
    const double tbb_with_caller = rate("tbb_arena_with_caller");
    // Against the better of oneTBB's two setups.
    const double tbb = std::max(tbb_beside, tbb_with_caller);
    std::printf("%-8d %14.0f %14.0f %14.0f %14.0f %9.0f%% %14.0f\n", workers,
                schedule, rate("pool"), tbb_beside, tbb_with_caller,
                tbb > 0 ? 100 * schedule / tbb : 0, rate("plain_pool"));
  }
}

}  // namespace
}  // namespace concurrency

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 1;
  }
  concurrency::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  concurrency::PrintRatios(reporter);
  benchmark::Shutdown();
  return 0;
}
