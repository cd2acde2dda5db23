// TypeAssert: a decorator with parameters, the tutorial's `type_assert`.
//
// For arguments that arrive dynamically typed (parsed from text, read from a
// config, sent over a wire), a `Value` is a bool, an int, a float or a
// string, and TypeAssert checks at each call that the arguments it names have
// the types it was given:
//
//   absl::StatusOr<TypeAssert> check = TypeAssert::Create(
//       {"a", "b", "c"}, {{"c", Type::kString}});      // @type_assert(c=str)
//   auto f = (*check)([](const Value& a, const Value& b, const Value& c) {});
//   absl::Status s = f(5, 10, 5.3);
//   // INVALID_ARGUMENT: f(a, b, c): argument c must be str, got float (5.3)
//
// Python learns the parameter names from `inspect.signature`; C++ has no
// such reflection, so they are given to Create. Arguments are named by
// parameter name or by position. Create fails on a name that is not a
// parameter or a position out of range, as `bind_partial` does when the
// decorator is applied. A call with the wrong number of arguments is an
// error too. The decorated function returns `absl::Status` (if `f` returns
// void) or `absl::StatusOr<R>`: a mismatch is a value, not an exception.
//
// When the argument types are static, none of this is needed: C++ checks
// them at compile time (`void f(int, int, std::string)` cannot be called with
// a double), and a concept-constrained template (`std::integral auto a`)
// also refuses conversions C++ would otherwise allow. The binary and the
// tests show both.
//
// Thread-safety: TypeAssert and the decorated function are immutable values.
#ifndef DECORATORS_TYPE_ASSERT_H_
#define DECORATORS_TYPE_ASSERT_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"

namespace decorators {

// A dynamically typed argument.
using Value = std::variant<bool, int64_t, double, std::string>;

enum class Type { kBool, kInt, kFloat, kString };

// Python's names for the types: "bool", "int", "float", "str".
absl::string_view TypeName(Type type);
Type TypeOf(const Value& value);
// The value as Python's repr would show it: 5, 5.3, 'x', True.
std::string Repr(const Value& value);

// Names one argument and the type it must have.
struct ArgType {
  std::variant<std::string, size_t> arg;  // parameter name or 0-based position
  Type type;
};

template <typename F>
class TypeChecked;

class TypeAssert {
 public:
  // `params` are the decorated function's parameter names, in order;
  // `types` the arguments to check.
  static absl::StatusOr<TypeAssert> Create(std::vector<std::string> params,
                                           std::vector<ArgType> types,
                                           std::string function_name = "f");

  // Decorates `f`, which takes `params.size()` Values.
  template <typename F>
  TypeChecked<F> operator()(F f) const {
    return TypeChecked<F>(*this, std::move(f));
  }

  // OK if `args` fit: the right count and every checked argument's type.
  absl::Status Check(const std::vector<Value>& args) const;

  const std::vector<std::string>& params() const { return params_; }

 private:
  TypeAssert(std::vector<std::string> params,
             std::vector<std::optional<Type>> expected, std::string name)
      : params_(std::move(params)),
        expected_(std::move(expected)),
        name_(std::move(name)) {}

  std::vector<std::string> params_;
  std::vector<std::optional<Type>> expected_;  // per position
  std::string name_;
};

// A type a dynamically typed argument can be made from (see ToValue).
template <typename T>
concept DynamicArgument = std::is_same_v<std::decay_t<T>, Value> ||
    std::is_arithmetic_v<std::decay_t<T>> ||
    std::is_constructible_v<std::string, T>;

template <typename F>
class TypeChecked {
  template <typename>
  using Ref = const Value&;

 public:
  TypeChecked(TypeAssert check, F f)
      : check_(std::move(check)), f_(std::move(f)) {}

  // Each argument converts to a Value (a string literal becomes a string,
  // any integer an int, any floating point a float). `f` takes either one
  // `const Value&` per parameter (a call with the wrong number of arguments
  // then does not compile) or `const std::vector<Value>&`, like `*args` (the
  // count is then checked at run time).
  // A call that fits neither form, or passes an argument that is not a
  // DynamicArgument, does not compile (the operator is not a candidate).
  template <DynamicArgument... A>
  requires(std::is_invocable_v<const F&, Ref<A>...> ||
           std::is_invocable_v<const F&, const std::vector<Value>&>) auto
  operator()(A&&... args) const {
    std::vector<Value> values = {ToValue(std::forward<A>(args))...};
    constexpr bool kSpread = std::is_invocable_v<const F&, Ref<A>...>;
    using R = typename std::conditional_t<
        kSpread, std::invoke_result<const F&, Ref<A>...>,
        std::invoke_result<const F&, const std::vector<Value>&>>::type;
    using Result =
        std::conditional_t<std::is_void_v<R>, absl::Status, absl::StatusOr<R>>;
    if (absl::Status s = check_.Check(values); !s.ok()) return Result(s);
    if constexpr (kSpread) {
      return Call<R, Result>(values, std::index_sequence_for<A...>());
    } else if constexpr (std::is_void_v<R>) {
      std::invoke(f_, values);
      return Result(absl::OkStatus());
    } else {
      return Result(std::invoke(f_, values));
    }
  }

 private:
  template <typename T>
  static Value ToValue(T&& v) {
    using D = std::decay_t<T>;
    if constexpr (std::is_same_v<D, Value>) {
      return std::forward<T>(v);
    } else if constexpr (std::is_same_v<D, bool>) {
      return Value(v);
    } else if constexpr (std::is_integral_v<D>) {
      return Value(static_cast<int64_t>(v));
    } else if constexpr (std::is_floating_point_v<D>) {
      return Value(static_cast<double>(v));
    } else {
      return Value(std::string(std::forward<T>(v)));
    }
  }

  template <typename R, typename Result, size_t... I>
  Result Call(std::vector<Value>& values, std::index_sequence<I...>) const {
    if constexpr (std::is_void_v<R>) {
      std::invoke(f_, values[I]...);
      return absl::OkStatus();
    } else {
      return Result(std::invoke(f_, values[I]...));
    }
  }

  TypeAssert check_;
  F f_;
};

}  // namespace decorators

#endif  // DECORATORS_TYPE_ASSERT_H_
