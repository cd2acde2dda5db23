// Lesson 2: many instances, little memory. 1,000,000 players with fixed
// members, with a per-instance attribute dictionary, and in a compact layout,
// measured by the allocator, not computed from sizeof.
//
//   bazel run -c opt //classes:slots_memory
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "classes/heap_counter.h"
#include "classes/players.h"

ABSL_FLAG(int, n, 1000000, "Instances of each kind.");

namespace {

using classes::CurrentHeap;
using classes::MallocInUse;

struct Row {
  const char* what;
  int64_t counted;  // bytes by the counting operator new
  int64_t malloc;   // bytes by glibc's statistics
};

template <typename F>
Row Measure(const char* what, F make) {
  classes::HeapCounts h0 = CurrentHeap();
  int64_t m0 = MallocInUse();
  auto kept = make();
  return {what, CurrentHeap().usable - h0.usable,
          m0 < 0 ? -1 : MallocInUse() - m0};
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Bytes per instance: fixed members (__slots__) vs a per-instance "
      "dictionary (__dict__) vs a compact layout, for a million players.");
  absl::ParseCommandLine(argc, argv);
  const int n = absl::GetFlag(FLAGS_n);

  // The tutorial's preamble: attributes added and removed at run time.
  classes::DynamicPlayer p1("0001", "Jim", 20);
  std::printf("p1's attributes: %s\n",
              absl::StrJoin(p1.AttributeNames(), ", ").c_str());
  p1.Set("z", int64_t{300});
  std::printf("p1.z = %lld\n",
              static_cast<long long>(std::get<int64_t>(*p1.Get("z"))));
  (void)p1.Pop("z");
  std::printf("after pop('z'): %s (table capacity %zu)\n\n",
              absl::StrJoin(p1.AttributeNames(), ", ").c_str(), p1.capacity());

  std::vector<Row> rows;
  rows.push_back(Measure("Player (fixed members), in a vector", [n] {
    std::vector<classes::Player> v;
    v.reserve(n);
    for (int i = 0; i < n; ++i) v.push_back({"0001", "Jim", 20});
    return v;
  }));
  rows.push_back(Measure("Player, each on the heap (like Python objects)", [n] {
    std::vector<std::unique_ptr<classes::Player>> v;
    v.reserve(n);
    for (int i = 0; i < n; ++i) {
      v.push_back(std::make_unique<classes::Player>(
          classes::Player{"0001", "Jim", 20}));
    }
    return v;
  }));
  rows.push_back(Measure("DynamicPlayer (attributes in a hash map)", [n] {
    std::vector<classes::DynamicPlayer> v;
    v.reserve(n);
    for (int i = 0; i < n; ++i) v.emplace_back("0001", "Jim", 20);
    return v;
  }));
  rows.push_back(Measure("DynamicPlayer after adding and popping 'z'", [n] {
    std::vector<classes::DynamicPlayer> v;
    v.reserve(n);
    for (int i = 0; i < n; ++i) {
      v.emplace_back("0001", "Jim", 20);
      v.back().Set("z", int64_t{300});
      (void)v.back().Pop("z");
    }
    return v;
  }));
  rows.push_back(Measure("CompactPlayer (32-bit uid, interned name)", [n] {
    classes::NameTable names;
    std::vector<classes::CompactPlayer> v;
    v.reserve(n);
    for (int i = 0; i < n; ++i) v.push_back({1, names.Intern("Jim"), 20});
    return std::make_pair(std::move(names), std::move(v));
  }));

  std::printf(
      "%d instances each (sizeof Player %zu, DynamicPlayer %zu, "
      "CompactPlayer %zu):\n",
      n, sizeof(classes::Player), sizeof(classes::DynamicPlayer),
      sizeof(classes::CompactPlayer));
  std::printf("%-48s %12s %14s %14s\n", "", "B/instance", "total MiB",
              "glibc B/inst");
  for (const Row& r : rows) {
    std::printf("%-48s %12.1f %14.1f %14s\n", r.what,
                static_cast<double>(r.counted) / n, r.counted / 1048576.0,
                r.malloc < 0
                    ? "n/a"
                    : absl::StrFormat("%.1f", static_cast<double>(r.malloc) / n)
                          .c_str());
  }
  std::printf(
      "\nPython 3.11 on this machine (../shared/anchors/python/RESULTS.md, "
      "Player(1, 2, 3)):\n__dict__ 96.0 B/instance (104.5 with the list slot; "
      "320 after dir(p1)), __slots__ 56.0 B (64.4).\n");
  return 0;
}
