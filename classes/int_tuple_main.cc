// Lesson 1: deriving an immutable built-in type and changing how instances
// are made: IntTuple keeps only the positive ints it is given.
//
//   bazel run //classes:int_tuple
#include <cstdio>

#include "absl/container/flat_hash_set.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "classes/int_tuple.h"

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "IntTuple([1, -1, 'abc', 6, ['x', 'y'], 3]) is (1, 6, 3).");
  absl::ParseCommandLine(argc, argv);
  using classes::IntTuple;
  using classes::Item;

  std::printf(
      "In Python, A(1, 2) is A.__new__(A, 1, 2) (make the object), then "
      "A.__init__(a, 1, 2)\n(fill it in). A tuple is immutable, so it must "
      "be filled in __new__: IntTuple overrides\n__new__ to filter before "
      "the tuple exists. In C++ the constructor is both steps in one;\n"
      "IntTuple filters first, then creates its storage as const, and has "
      "no mutators.\n\n");

  IntTuple t({1, -1, "abc", 6, Item::ListOf({"x", "y"}), 3});
  std::printf("IntTuple([1, -1, 'abc', 6, ['x', 'y'], 3]) = %s\n",
              t.ToString().c_str());
  std::printf("len = %zu, t[1] = %lld, elements:", t.size(),
              static_cast<long long>(t[1]));
  for (int64_t v : t) std::printf(" %lld", static_cast<long long>(v));
  std::printf("\n");
  IntTuple copy = t;
  std::printf("a copy shares the elements: %s; equal: %s\n",
              copy.SharesStorageWith(t) ? "yes" : "no",
              copy == t ? "yes" : "no");
  absl::flat_hash_set<IntTuple> set = {t, copy, IntTuple({3, 6, 1})};
  std::printf("hashable: {t, copy, (3, 6, 1)} has %zu elements\n", set.size());
  std::printf("t.at(5): %s\n", t.at(5).status().ToString().c_str());
  return 0;
}
