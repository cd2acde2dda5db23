// Function metadata that survives wrapping: the counterpart of a Python
// function's `__name__`, `__doc__`, its signature, `functools.wraps` /
// `update_wrapper`, and `__wrapped__`.
//
// A C++ function has no run-time name or doc string, so they are declared
// where the function is defined:
//
//   const auto xxx_func = Describe(
//       [](int a, int b) { return a + b; },
//       {.name = "xxx_func", .doc = "xxx_func's documentation", .signature =
//        "int xxx_func(int a, int b)"});
//
// and a wrapper copies them from the function it wraps:
//
//   template <typename F>
//   auto MyDecorator(F func) {
//     return Wraps(func, [func](auto&&... args) -> decltype(auto) {
//       // ... the wrapper's own behaviour ...
//       return std::invoke(func, std::forward<decltype(args)>(args)...);
//     });
//   }
//
// `Wraps(inner, wrapper)` returns a `Wrapper` that calls `wrapper`, reports
// `inner`'s FunctionInfo (so stacked wrappers all report the innermost
// function's), and keeps `inner` reachable through `wrapped()` (`__wrapped__`;
// `Unwrap(f)` follows the chain to the end, like `inspect.unwrap`). An
// undescribed callable reports the name "<lambda>" and an empty doc.
//
// All of these are values: copyable if the callables are, thread-safe as far
// as the callables are (they hold no mutable state of their own).
#ifndef DECORATORS_WRAPS_H_
#define DECORATORS_WRAPS_H_

#include <functional>
#include <string>
#include <type_traits>
#include <utility>

namespace decorators {

struct FunctionInfo {
  std::string name = "<lambda>";
  std::string doc;
  std::string signature;
};

// A callable with its FunctionInfo.
template <typename F>
class Described {
 public:
  Described(F f, FunctionInfo info)
      : f_(std::move(f)), info_(std::move(info)) {}

  template <typename... A>
  auto operator()(A&&... args) const -> std::invoke_result_t<const F&, A...> {
    return std::invoke(f_, std::forward<A>(args)...);
  }

  const FunctionInfo& info() const { return info_; }
  const F& function() const { return f_; }

 private:
  F f_;
  FunctionInfo info_;
};

template <typename F>
Described<F> Describe(F f, FunctionInfo info) {
  return Described<F>(std::move(f), std::move(info));
}

// The FunctionInfo of anything callable: its own if it has one.
template <typename F>
FunctionInfo InfoOf(const F& f) {
  if constexpr (requires { f.info(); }) {
    return f.info();
  } else {
    return FunctionInfo{};
  }
}

// A wrapper that reports the wrapped function's FunctionInfo.
template <typename W, typename Inner>
class Wrapper {
 public:
  Wrapper(W w, Inner inner)
      : w_(std::move(w)), inner_(std::move(inner)), info_(InfoOf(inner_)) {}

  template <typename... A>
  auto operator()(A&&... args) const -> std::invoke_result_t<const W&, A...> {
    return std::invoke(w_, std::forward<A>(args)...);
  }

  const FunctionInfo& info() const { return info_; }
  // The function this one wraps: Python's `__wrapped__`.
  const Inner& wrapped() const { return inner_; }

 private:
  W w_;
  Inner inner_;
  FunctionInfo info_;
};

// `functools.wraps(inner)(wrapper)`.
template <typename Inner, typename W>
Wrapper<W, Inner> Wraps(Inner inner, W wrapper) {
  return Wrapper<W, Inner>(std::move(wrapper), std::move(inner));
}

// Follows `wrapped()` to the innermost function, like `inspect.unwrap`.
template <typename F>
const auto& Unwrap(const F& f) {
  if constexpr (requires { f.wrapped(); }) {
    return Unwrap(f.wrapped());
  } else {
    return f;
  }
}

}  // namespace decorators

#endif  // DECORATORS_WRAPS_H_
