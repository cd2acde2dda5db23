// The cost of each wrapper per call, beside a plain call, and beside Python's
// functools.lru_cache hit and the tutorial's memo hit, measured in the same
// run with `python3 -m timeit`.
//
//   bazel run -c opt //decorators:decorators_benchmark
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "benchmark/benchmark.h"
#include "decorators/call_info.h"
#include "decorators/memoize.h"
#include "decorators/warn_timeout.h"

namespace {

ABSL_ATTRIBUTE_NOINLINE int Plain(int x) {
  benchmark::DoNotOptimize(x);
  return x + 1;
}

void BM_PlainCall(benchmark::State& state) {
  int x = 1;
  for (auto _ : state) benchmark::DoNotOptimize(x = Plain(x) & 1023);
}
BENCHMARK(BM_PlainCall)->Name("plain call");

// One key over and over, as Python's `timeit` of `f(1)` below.
template <typename M>
void MemoHitOneKey(benchmark::State& state, M f) {
  f(1);
  int x = 1;
  for (auto _ : state) {
    benchmark::DoNotOptimize(x);
    benchmark::DoNotOptimize(f(x));
  }
}
void BM_MemoHitOneKey(benchmark::State& state) {
  MemoHitOneKey(state, decorators::Memoize<int(int)>(Plain));
}
void BM_LocalMemoHitOneKey(benchmark::State& state) {
  MemoHitOneKey(state, decorators::MemoizeThreadCompatible<int(int)>(Plain));
}
BENCHMARK(BM_MemoHitOneKey)->Name("Memoize hit (int), one key");
BENCHMARK(BM_LocalMemoHitOneKey)
    ->Name("MemoizeThreadCompatible hit (int), one key");

// 1024 keys in turn: the table no longer fits in L1.
void BM_MemoHit(benchmark::State& state) {
  auto f = decorators::Memoize<int(int)>(Plain);
  for (int i = 0; i < 1024; ++i) f(i);
  int x = 1;
  for (auto _ : state) benchmark::DoNotOptimize(x = f(x) & 1023);
}
BENCHMARK(BM_MemoHit)->Name("Memoize hit (int)");

void BM_MemoLruHit(benchmark::State& state) {
  auto f = decorators::Memoize<int(int)>(Plain, {.capacity = 2048});
  for (int i = 0; i < 1024; ++i) f(i);
  int x = 1;
  for (auto _ : state) benchmark::DoNotOptimize(x = f(x) & 1023);
}
BENCHMARK(BM_MemoLruHit)->Name("Memoize hit (int), capacity 2048");

// Hits from 1 and 2 threads on one cache, as throughput: the scaling is the
// ratio of the two rates.
template <size_t kCapacity>
void BM_MemoHitThreads(benchmark::State& state) {
  static auto f = [] {
    auto m = decorators::Memoize<int(int)>(Plain, {.capacity = kCapacity});
    for (int i = 0; i < 1024; ++i) m(i);
    return m;
  }();
  int x = state.thread_index() * 512;
  for (auto _ : state) benchmark::DoNotOptimize(x = f(x) & 1023);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MemoHitThreads<0>)
    ->Name("Memoize hits (int)")
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();
BENCHMARK(BM_MemoHitThreads<2048>)
    ->Name("Memoize hits (int), capacity 2048")
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();

template <typename M>
void FibCold(benchmark::State& state, M fib) {
  for (auto _ : state) {
    fib.Clear();
    benchmark::DoNotOptimize(fib(50));
  }
}
constexpr auto kFib = [](auto& self, int n) -> uint64_t {
  return n <= 1 ? 1 : self(n - 1) + self(n - 2);
};
void BM_FibCold(benchmark::State& state) {
  FibCold(state, decorators::Memoize<uint64_t(int)>(kFib));
}
void BM_LocalFibCold(benchmark::State& state) {
  FibCold(state, decorators::MemoizeThreadCompatible<uint64_t(int)>(kFib));
}
BENCHMARK(BM_FibCold)->Name("fibonacci(50), empty cache");
BENCHMARK(BM_LocalFibCold)
    ->Name("fibonacci(50), empty cache, MemoizeThreadCompatible");

void BM_WarnTimeout(benchmark::State& state) {
  auto f = decorators::WarnTimeout(Plain, {.name = "f",
                                           .timeout = absl::Seconds(1),
                                           .sink = nullptr,
                                           .now = [] { return absl::Now(); }});
  int x = 1;
  for (auto _ : state) benchmark::DoNotOptimize(x = f(x) & 1023);
}
BENCHMARK(BM_WarnTimeout)->Name("WarnTimeout call");

void CallInfoCalls(benchmark::State& state, bool on) {
  decorators::CallInfoOptions o;
  o.on = on;
  auto ci = decorators::CallInfo::Open("/dev/null", o);
  auto f = (*ci)->Info(Plain, "f");
  int x = 1;
  for (auto _ : state) benchmark::DoNotOptimize(x = f(x) & 1023);
}
void BM_CallInfoOff(benchmark::State& state) { CallInfoCalls(state, false); }
void BM_CallInfoOn(benchmark::State& state) { CallInfoCalls(state, true); }
BENCHMARK(BM_CallInfoOff)->Name("CallInfo call, logging off");
BENCHMARK(BM_CallInfoOn)->Name("CallInfo call, logging to /dev/null");

class Reporter : public benchmark::ConsoleReporter {
 public:
  Reporter() : ConsoleReporter(isatty(1) ? OO_Defaults : OO_Tabular) {}
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      ns_[r.benchmark_name()] = r.GetAdjustedCPUTime();
      auto it = r.counters.find("items_per_second");
      if (it != r.counters.end()) rate_[r.benchmark_name()] = it->second;
    }
  }
  double Rate(const std::string& name) const {
    auto it = rate_.find(name);
    return it == rate_.end() ? 0 : it->second;
  }
  double Ns(const std::string& name) const {
    auto it = ns_.find(name);
    return it == ns_.end() ? 0 : it->second;
  }

 private:
  absl::flat_hash_map<std::string, double> ns_;
  absl::flat_hash_map<std::string, double> rate_;
};

// `python3 -m timeit` prints "N loops, best of 5: X nsec per loop"; returns
// X in nanoseconds, or 0 if python3 is missing or fails.
double PythonTimeit(const std::string& setup, const std::string& stmt) {
  std::string cmd = absl::StrFormat(
      "/usr/bin/python3 -m timeit -s '%s' '%s' 2>/dev/null", setup, stmt);
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return 0;
  char buf[256] = {};
  std::string out;
  while (fgets(buf, sizeof buf, p)) out += buf;
  if (pclose(p) != 0) return 0;
  std::vector<std::string> words = absl::StrSplit(out, ' ', absl::SkipEmpty());
  for (size_t i = 1; i < words.size(); ++i) {
    double v;
    if (absl::StrContains(words[i], "per") &&
        absl::SimpleAtod(words[i - 2], &v)) {
      const std::string& unit = words[i - 1];
      return unit == "nsec"   ? v
             : unit == "usec" ? v * 1e3
             : unit == "msec" ? v * 1e6
                              : v * 1e9;
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  Reporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();

  const double lru = PythonTimeit(
      "import functools\n@functools.lru_cache(maxsize=None)\ndef f(x): return "
      "x\nf(1)",
      "f(1)");
  const double memo = PythonTimeit(
      "def memo(func):\n    cache = {}\n    def wrap(*args):\n"
      "        res = cache.get(args)\n        if not res:\n"
      "            res = cache[args] = func(*args)\n        return res\n"
      "    return wrap\n@memo\ndef f(x): return x\nf(1)",
      "f(1)");
  const double py_plain = PythonTimeit("def f(x): return x", "f(1)");
  // The anchors' f3 figure: a cold fibonacci(50) through the tutorial's memo.
  const double py_fib = PythonTimeit(
      "def memo(func):\n    cache = {}\n    def wrap(*args):\n"
      "        res = cache.get(args)\n        if not res:\n"
      "            res = cache[args] = func(*args)\n        return res\n"
      "    return wrap\n"
      "def raw(n):\n    return 1 if n <= 1 else fibonacci(n-1) + "
      "fibonacci(n-2)",
      "fibonacci = memo(raw); fibonacci(50)");
  std::printf("\n%-40s %10s %20s\n", "per call", "ns", "Python lru hit / this");
  auto row = [&](const char* name, double ns) {
    std::printf(
        "%-40s %10.1f %20s\n", name, ns,
        ns > 0 && lru > 0 ? absl::StrFormat("%.1fx", lru / ns).c_str() : "-");
  };
  row("Python plain call f(1)", py_plain);
  row("Python functools.lru_cache hit", lru);
  row("Python tutorial memo hit", memo);
  for (const char* name :
       {"plain call", "Memoize hit (int), one key",
        "MemoizeThreadCompatible hit (int), one key", "Memoize hit (int)",
        "Memoize hit (int), capacity 2048", "WarnTimeout call",
        "CallInfo call, logging off", "CallInfo call, logging to /dev/null"}) {
    row(name, reporter.Ns(name));
  }
  std::printf("\n%-40s %12s %12s %8s\n", "hits on one cache", "1 thread/s",
              "2 threads/s", "scaling");
  for (const char* name :
       {"Memoize hits (int)", "Memoize hits (int), capacity 2048"}) {
    const double one =
        reporter.Rate(absl::StrCat(name, "/real_time/threads:1"));
    const double two =
        reporter.Rate(absl::StrCat(name, "/real_time/threads:2"));
    std::printf("%-40s %11.1fM %11.1fM %7.2fx\n", name, one / 1e6, two / 1e6,
                one > 0 ? two / one : 0.0);
  }
  for (const char* name :
       {"fibonacci(50), empty cache",
        "fibonacci(50), empty cache, MemoizeThreadCompatible"}) {
    const double fib = reporter.Ns(name);
    std::printf("\n%s: Python tutorial memo %.0f ns, C++ %.0f ns (%s)", name,
                py_fib, fib,
                py_fib > 0 && fib > 0
                    ? absl::StrFormat("%.1fx", py_fib / fib).c_str()
                    : "-");
  }
  std::printf("\n");
  return 0;
}
