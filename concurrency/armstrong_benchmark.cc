// The Armstrong search, C++ against the tutorial's Python, in one run.
//
//   bazel run -c opt //concurrency:armstrong_benchmark
//
// 1. On a range Python finishes in seconds (--python_lo, --python_hi; 4
//    parts): Python's find_by_process and find_by_thread (the anchors in
//    ../shared/anchors/python/seed/armstrong.py, timed inside Python) against
//    the C++ sequential, threads and processes modes.
// 2. The C++ modes on the tutorial's full range [10,000,000, 30,000,000).
// 3. The C++ modes on a larger range, [10,000,000, --large_hi).
// 4. The digit-multiset search over the whole 64-bit range (every Armstrong
//    number below 2^64) on 1 and 2 threads, and its scaling.
// Sections 1-3 show the multiset search beside brute force.
// C++ times are the best of --repetitions runs (3 on the larger ranges).

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/numeric/int128.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "concurrency/armstrong.h"
#include "concurrency/thread_pool.h"

ABSL_FLAG(uint64_t, python_lo, 10000000, "Start of the range Python searches.");
ABSL_FLAG(uint64_t, python_hi, 12000000, "End of the range Python searches.");
ABSL_FLAG(int, parts, 4, "Sub-ranges (threads or processes).");
ABSL_FLAG(int, repetitions, 20, "C++ runs per measurement; the best is kept.");
ABSL_FLAG(
    uint64_t, large_hi, 1000000000,
    "End of a larger range [10,000,000, large_hi) for the C++ modes alone, "
    "where fork and thread start-up costs no longer show.");
ABSL_FLAG(std::string, python_seed_dir, "",
          "Directory of the Python anchors' armstrong.py (default: "
          "../shared/anchors/python/seed from the workspace).");

namespace {

using Numbers = std::vector<uint64_t>;

struct Measurement {
  double seconds = 0;
  Numbers found;
};

// Runs the Python anchor's `function` (find_by_process or find_by_thread) on
// [lo, hi) in 4 parts; returns its time and list, or seconds < 0 on failure.
Measurement RunPython(const std::string& seed_dir, const char* function,
                      uint64_t lo, uint64_t hi) {
  const std::string command = absl::StrFormat(
      "cd '%s' && /usr/bin/python3 -c '"
      "import time, armstrong\n"
      "lo, hi = %d, %d\n"
      "step = (hi - lo) // 4\n"
      "ranges = [[lo + i * step, lo + (i + 1) * step] for i in range(4)]\n"
      "t = time.perf_counter()\n"
      "res = armstrong.%s(*ranges)\n"
      "print(time.perf_counter() - t, *sorted(res))'",
      seed_dir, lo, hi, function);
  Measurement m{-1, {}};
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return m;
  }
  double seconds;
  if (std::fscanf(pipe, "%lf", &seconds) == 1) {
    m.seconds = seconds;
    unsigned long long n;
    while (std::fscanf(pipe, "%llu", &n) == 1) {
      m.found.push_back(n);
    }
  }
  if (pclose(pipe) != 0) {
    m.seconds = -1;
  }
  return m;
}

Measurement Best(int repetitions,
                 const std::function<absl::StatusOr<Numbers>()>& find) {
  Measurement best{1e30, {}};
  for (int i = 0; i < repetitions; ++i) {
    const absl::Time start = absl::Now();
    absl::StatusOr<Numbers> found = find();
    const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
    if (!found.ok()) {
      std::fprintf(stderr, "armstrong_benchmark: %s\n",
                   found.status().ToString().c_str());
      std::exit(1);
    }
    if (seconds < best.seconds) {
      best = {seconds, *std::move(found)};
    }
  }
  return best;
}

// The three C++ modes on [lo, hi); processes first, before the pool exists.
std::vector<std::pair<std::string, Measurement>> RunCpp(uint64_t lo,
                                                        uint64_t hi, int parts,
                                                        int reps) {
  std::vector<std::pair<std::string, Measurement>> rows;
  rows.emplace_back("C++ sequential",
                    Best(reps, [&]() -> absl::StatusOr<Numbers> {
                      return concurrency::FindArmstrong(lo, hi);
                    }));
  rows.emplace_back("C++ processes", Best(reps, [&] {
                      return concurrency::FindArmstrongProcesses(lo, hi, parts);
                    }));
  concurrency::ThreadPool pool(parts, "armstrong");
  rows.emplace_back("C++ threads", Best(reps, [&] {
                      return concurrency::FindArmstrongThreads(lo, hi, parts,
                                                               pool);
                    }));
  rows.emplace_back("C++ digit multisets",
                    Best(reps, [&]() -> absl::StatusOr<Numbers> {
                      return concurrency::ArmstrongBetween(lo, hi);
                    }));
  concurrency::ThreadPool two(2, "multisets");
  rows.emplace_back("C++ multisets, 2 thr", Best(reps, [&] {
                      return concurrency::ArmstrongBetween(lo, hi, two);
                    }));
  return rows;
}

void PrintRow(const std::string& name, const Measurement& m,
              double python_process, double cpp_sequential) {
  std::printf("| %-22s | %10.6f | %14s | %14s | %s |\n", name.c_str(),
              m.seconds,
              python_process > 0
                  ? absl::StrFormat("%.1fx", python_process / m.seconds).c_str()
                  : "-",
              cpp_sequential > 0
                  ? absl::StrFormat("%.2fx", cpp_sequential / m.seconds).c_str()
                  : "-",
              absl::StrJoin(m.found, " ").c_str());
}

void PrintHeader(uint64_t lo, uint64_t hi, int parts) {
  std::printf("\n[%llu, %llu) in %d parts:\n",
              static_cast<unsigned long long>(lo),
              static_cast<unsigned long long>(hi), parts);
  std::printf("| %-22s | %10s | %14s | %14s | found |\n", "mode", "seconds",
              "vs Py process", "vs C++ seq");
  std::printf("|---|---|---|---|---|\n");
}

// Section 4: every Armstrong number below 2^64, on 1 and 2 threads.
void WholeRange(int reps) {
  const absl::uint128 top = absl::MakeUint128(1, 0);  // 2^64
  concurrency::ThreadPool one(1, "multisets"), two(2, "multisets");
  const Measurement seq = Best(reps, [&]() -> absl::StatusOr<Numbers> {
    return concurrency::ArmstrongBetween(1, top);
  });
  const Measurement t1 =
      Best(reps, [&] { return concurrency::ArmstrongBetween(1, top, one); });
  const Measurement t2 =
      Best(reps, [&] { return concurrency::ArmstrongBetween(1, top, two); });
  std::printf(
      "\nEvery Armstrong number below 2^64 (%zu found), digit "
      "multisets, best of %d:\n",
      t2.found.size(), reps);
  std::printf("| %-22s | %10s | %9s |\n", "mode", "seconds", "scaling");
  std::printf("|---|---|---|\n");
  std::printf("| %-22s | %10.6f | %9s |\n", "sequential", seq.seconds, "-");
  std::printf("| %-22s | %10.6f | %8.2fx |\n", "pool of 1 thread", t1.seconds,
              1.0);
  std::printf("| %-22s | %10.6f | %8.2fx |\n", "pool of 2 threads", t2.seconds,
              t1.seconds / t2.seconds);
  if (seq.found != t2.found || t1.found != t2.found) {
    std::fprintf(stderr, "armstrong_benchmark: the runs disagree\n");
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Armstrong search: C++ modes against the Python anchors.");
  absl::ParseCommandLine(argc, argv);
  const int parts = absl::GetFlag(FLAGS_parts),
            reps = absl::GetFlag(FLAGS_repetitions);
  std::string seed_dir = absl::GetFlag(FLAGS_python_seed_dir);
  if (seed_dir.empty()) {
    const char* workspace = std::getenv("BUILD_WORKSPACE_DIRECTORY");
    seed_dir = absl::StrFormat("%s/../shared/anchors/python/seed",
                               workspace != nullptr ? workspace : ".");
  }
  const uint64_t lo = absl::GetFlag(FLAGS_python_lo),
                 hi = absl::GetFlag(FLAGS_python_hi);

  const auto cpp =
      RunCpp(lo, hi, parts, reps);  // Forks before Python's threads.
  const Measurement py_process = RunPython(seed_dir, "find_by_process", lo, hi);
  const Measurement py_thread = RunPython(seed_dir, "find_by_thread", lo, hi);
  if (py_process.seconds < 0 || py_thread.seconds < 0) {
    std::fprintf(
        stderr, "armstrong_benchmark: the Python anchors did not run from %s\n",
        seed_dir.c_str());
  }
  const double cpp_seq = cpp[0].second.seconds;
  PrintHeader(lo, hi, 4);
  PrintRow("Python find_by_process", py_process, py_process.seconds, -1);
  PrintRow("Python find_by_thread", py_thread, py_process.seconds, -1);
  for (const auto& [name, m] : cpp) {
    PrintRow(name, m, py_process.seconds, cpp_seq);
  }

  for (const auto& [range_hi, range_reps] :
       {std::pair<uint64_t, int>{30000000, reps},
        std::pair<uint64_t, int>{absl::GetFlag(FLAGS_large_hi), 3}}) {
    const auto rows = RunCpp(10000000, range_hi, parts, range_reps);
    PrintHeader(10000000, range_hi, parts);
    for (const auto& [name, m] : rows) {
      PrintRow(name, m, -1, rows[0].second.seconds);
    }
  }
  WholeRange(std::max(reps / 4, 3));
  return 0;
}
