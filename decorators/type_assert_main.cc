// Lesson: a decorator with parameters, type_assert(c=str).
//
//   bazel run //decorators:type_assert
#include <concepts>
#include <cstdio>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "decorators/type_assert.h"

namespace {

using decorators::Type;
using decorators::Value;

// The statically typed f: the compiler is the type check.
void StaticF(int, int, std::string) {}
static_assert(!std::is_invocable_v<decltype(&StaticF), int, int, double>,
              "f(5, 10, 5.3) does not compile");
// A concept-constrained f also refuses what C++ would convert silently.
constexpr auto kConceptF = [](std::integral auto, std::integral auto,
                              std::convertible_to<std::string> auto) {};
static_assert(
    !std::is_invocable_v<decltype(kConceptF), int, double, const char*>,
    "f(5, 10.5, \"x\") does not compile either");

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "type_assert(c=str): argument types checked at each call for "
      "dynamically typed arguments, and at compile time for static ones.");
  absl::ParseCommandLine(argc, argv);

  // @type_assert(c=str)
  // def f(a, b, c): pass
  absl::StatusOr<decorators::TypeAssert> type_assert =
      decorators::TypeAssert::Create({"a", "b", "c"}, {{"c", Type::kString}});
  if (!type_assert.ok()) {
    std::fprintf(stderr, "%s\n", type_assert.status().ToString().c_str());
    return 1;
  }
  auto f = (*type_assert)([](const Value&, const Value&, const Value&) {});

  StaticF(5, 10, "x");  // the statically typed f: checked when compiled
  std::printf("f(5, 10, 5.3)   -> %s\n", f(5, 10, 5.3).ToString().c_str());
  std::printf("f(5, 10, \"x\")   -> %s\n", f(5, 10, "x").ToString().c_str());
  // f(5, 10) does not compile: f has three parameters. A function taking
  // its arguments as a list (Python's *args) is checked at run time.
  auto g = (*type_assert)([](const std::vector<Value>&) {});
  std::printf("g(5, 10)        -> %s\n", g(5, 10).ToString().c_str());
  std::printf(
      "type_assert(z=int) on f(a, b, c) -> %s\n",
      decorators::TypeAssert::Create({"a", "b", "c"}, {{"z", Type::kInt}})
          .status()
          .ToString()
          .c_str());
  std::printf(
      "With static types there is nothing to check at run time: "
      "`void f(int, int, std::string)` called as f(5, 10, 5.3) does not "
      "compile, and `f(std::integral auto, std::integral auto, "
      "std::convertible_to<std::string> auto)` also refuses f(5, 10.5, \"x\") "
      "(both are static_asserts in this file).\n");
  return 0;
}
