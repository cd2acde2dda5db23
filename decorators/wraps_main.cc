// Lesson: keeping a wrapped function's metadata (functools.wraps).
//
//   bazel run //decorators:wraps
#include "decorators/wraps.h"

#include <cstdio>
#include <functional>
#include <utility>

#include "absl/flags/parse.h"
#include "absl/flags/usage.h"

namespace {

// The tutorial's my_decorator: some behaviour around the call, and
// `@wraps(func)` so that the result still looks like `func`.
template <typename F>
auto MyDecorator(F func) {
  return decorators::Wraps(func, [func](auto&&... args) -> decltype(auto) {
    // "此处实现某种功能": the wrapper's own behaviour would go here.
    return std::invoke(func, std::forward<decltype(args)>(args)...);
  });
}

// The metadata is declared where the function is defined.
const auto xxx_func =
    decorators::Describe([](int a, int b) { return a + b; },
                         {.name = "xxx_func",
                          .doc = "xxx_func函数文档：\n    ...",
                          .signature = "int xxx_func(int a, int b)"});

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "functools.wraps: a wrapper that keeps the name, doc and signature of "
      "the function it wraps.");
  absl::ParseCommandLine(argc, argv);

  auto decorated = MyDecorator(xxx_func);                   // @my_decorator
  std::printf("%s\n", decorated.info().name.c_str());       // __name__
  std::printf("%s\n", decorated.info().doc.c_str());        // __doc__
  std::printf("%s\n", decorated.info().signature.c_str());  // signature
  std::printf("__wrapped__ is xxx_func: %s\n",
              decorated.wrapped().info().name.c_str());

  auto twice = MyDecorator(MyDecorator(xxx_func));
  std::printf("two decorators deep, still: %s; unwrapped(2, 3) = %d\n",
              twice.info().name.c_str(), decorators::Unwrap(twice)(2, 3));

  auto bare = MyDecorator([](int a) { return a; });
  std::printf("without metadata a wrapper reports: %s\n",
              bare.info().name.c_str());
  return 0;
}
