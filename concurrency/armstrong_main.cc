// The tutorial's Armstrong-number race: find the Armstrong numbers in
// [10,000,000, 30,000,000) split in four ranges, with threads and with
// processes. In Python the threads are slower than one thread (the GIL); here
// both run in parallel.
//
//   bazel run -c opt //concurrency:armstrong -- --mode=both
//   bazel run -c opt //concurrency:armstrong -- --all   # all below 2^64
//
// Processes run first: they fork before any pool thread exists (see
// process.h).

#include <algorithm>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/numeric/int128.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "concurrency/armstrong.h"
#include "concurrency/thread_pool.h"

ABSL_FLAG(uint64_t, lo, 10000000, "Start of the range searched (inclusive).");
ABSL_FLAG(uint64_t, hi, 30000000, "End of the range searched (exclusive).");
ABSL_FLAG(int, parts, 4, "Number of sub-ranges, one per thread or process.");
ABSL_FLAG(std::string, mode, "both",
          "threads, processes, both (threads and processes), or sequential.");
ABSL_FLAG(bool, all, false,
          "Instead: every Armstrong number below 2^64, one per line, by digit "
          "multisets on every core, then the count and the time.");

namespace {

using Finder = absl::StatusOr<std::vector<uint64_t>>();

// Runs `find`, prints its list (as the tutorial's print(res)) and its time.
bool Report(const char* name, const std::function<Finder>& find) {
  const absl::Time start = absl::Now();
  absl::StatusOr<std::vector<uint64_t>> found = find();
  const absl::Duration took = absl::Now() - start;
  if (!found.ok()) {
    std::fprintf(stderr, "armstrong: %s: %s\n", name,
                 found.status().ToString().c_str());
    return false;
  }
  std::printf("%-10s [%s]\n%-10s %.6f s\n", name,
              absl::StrJoin(*found, ", ").c_str(), "",
              absl::ToDoubleSeconds(took));
  return true;
}

// --all: the whole 64-bit range, where brute force would take centuries.
int PrintAll() {
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  concurrency::ThreadPool pool(std::max(cores, 1), "armstrong");
  const absl::Time start = absl::Now();
  absl::StatusOr<std::vector<uint64_t>> found =
      concurrency::ArmstrongBetween(1, absl::MakeUint128(1, 0), pool);
  const absl::Duration took = absl::Now() - start;
  if (!found.ok()) {
    std::fprintf(stderr, "armstrong: %s\n", found.status().ToString().c_str());
    return 1;
  }
  for (uint64_t n : *found) {
    std::printf("%llu\n", static_cast<unsigned long long>(n));
  }
  std::printf("%zu Armstrong numbers below 2^64 in %.3f s on %d threads\n",
              found->size(), absl::ToDoubleSeconds(took), pool.num_threads());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Finds Armstrong numbers in [--lo, --hi) with threads and/or processes.");
  absl::ParseCommandLine(argc, argv);
  if (absl::GetFlag(FLAGS_all)) return PrintAll();
  const uint64_t lo = absl::GetFlag(FLAGS_lo), hi = absl::GetFlag(FLAGS_hi);
  const int parts = absl::GetFlag(FLAGS_parts);
  const std::string mode = absl::GetFlag(FLAGS_mode);
  if (mode != "threads" && mode != "processes" && mode != "both" &&
      mode != "sequential") {
    std::fprintf(stderr,
                 "armstrong: --mode=%s: expected threads, processes, both or "
                 "sequential\n",
                 mode.c_str());
    return 2;
  }
  if (parts < 1) {
    std::fprintf(stderr, "armstrong: --parts=%d: must be at least 1\n", parts);
    return 2;
  }
  std::printf("Armstrong numbers in [%llu, %llu), %d parts:\n",
              static_cast<unsigned long long>(lo),
              static_cast<unsigned long long>(hi), parts);
  bool ok = true;
  if (mode == "sequential") {
    ok = Report("sequential", [&]() -> absl::StatusOr<std::vector<uint64_t>> {
      return concurrency::FindArmstrong(lo, hi);
    });
  }
  if (mode == "processes" || mode == "both") {
    ok = Report("processes",
                [&] {
                  return concurrency::FindArmstrongProcesses(lo, hi, parts);
                }) &&
         ok;
  }
  if (mode == "threads" || mode == "both") {
    concurrency::ThreadPool pool(parts, "armstrong");
    ok = Report("threads",
                [&] {
                  return concurrency::FindArmstrongThreads(lo, hi, parts, pool);
                }) &&
         ok;
  }
  return ok ? 0 : 1;
}
