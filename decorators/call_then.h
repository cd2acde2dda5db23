// CallThen: calls a function, runs a hook after it returns, and passes the
// result through untouched: what every "do something around the call"
// wrapper needs, whatever the wrapped function returns.
//
//   return CallThen([&] { log(elapsed()); }, f, std::forward<A>(a)...);
//
// The result type is exactly `std::invoke_result_t<F&, A...>`: values, lvalue
// and rvalue references and `void` all pass through, and move-only arguments
// are forwarded, not copied. Member function pointers work through
// std::invoke. If `f` throws, the hook does not run (as in Python, where the
// code after `res = func(...)` is skipped) and the exception propagates.
#ifndef DECORATORS_CALL_THEN_H_
#define DECORATORS_CALL_THEN_H_

#include <functional>
#include <type_traits>
#include <utility>

namespace decorators {

template <typename Hook, typename F, typename... A>
std::invoke_result_t<F&, A...> CallThen(Hook&& after, F& f, A&&... args) {
  using R = std::invoke_result_t<F&, A...>;
  if constexpr (std::is_void_v<R>) {
    std::invoke(f, std::forward<A>(args)...);
    after();
  } else {
    R result = std::invoke(f, std::forward<A>(args)...);
    after();
    return std::forward<R>(result);
  }
}

}  // namespace decorators

#endif  // DECORATORS_CALL_THEN_H_
