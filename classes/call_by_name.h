// Calling a method by its name, the tutorial's `get_area` over three shape
// types from three "libraries" that each named the method differently:
// `area()`, `get_area()` and `getArea()`.
//
// Two answers:
//  * Compile time: `GetArea(shape)` checks with a `requires` expression
//    which of the names the type has, in that order, and calls it; a type
//    with none of them does not compile.
//  * Run time: a `MethodRegistry` maps (type, method name) to a callable, so
//    a name read from input can be called on an object held as `std::any`:
//    Python's `hasattr` + `methodcaller`. An unknown type or name is a
//    `NotFound` error naming both.
//
// Results are `Number`s: the rectangle's area is an int (24) and the others
// floats, as in the Python, so the binary prints `[3.141592653589793, 6.0,
// 24]`.
#ifndef CLASSES_CALL_BY_NAME_H_
#define CLASSES_CALL_BY_NAME_H_

#include <any>
#include <cmath>
#include <cstdint>
#include <functional>
#include <numbers>
#include <string>
#include <typeindex>
#include <utility>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace classes {

using Number = std::variant<int64_t, double>;
std::string NumberToString(const Number& n);  // as Python prints it

namespace lib1 {
struct Circle {
  double r;
  double area() const { return r * r * std::numbers::pi; }
};
}  // namespace lib1

namespace lib2 {
struct Triangle {
  double a, b, c;
  double get_area() const {  // Heron's formula
    double s = (a + b + c) / 2;
    return std::sqrt(s * (s - a) * (s - b) * (s - c));
  }
};
}  // namespace lib2

namespace lib3 {
struct Rectangle {
  int64_t w, h;
  int64_t getArea() const { return w * h; }
};
}  // namespace lib3

// A shape with one of the three libraries' names for its area.
template <typename S>
concept HasArea = requires(const S& s) {
  s.area();
}
|| requires(const S& s) { s.get_area(); }
|| requires(const S& s) { s.getArea(); };

// Compile time: the first of area, get_area, getArea that S has. A shape
// with none of them does not compile (GetArea is not even a candidate).
template <HasArea S>
Number GetArea(const S& shape) {
  if constexpr (requires { shape.area(); }) {
    return Number(shape.area());
  } else if constexpr (requires { shape.get_area(); }) {
    return Number(shape.get_area());
  } else {
    return Number(shape.getArea());
  }
}

// Run time: methods registered by type and name.
class MethodRegistry {
 public:
  using Method = std::function<Number(const std::any&)>;

  // Registers `method` (a member function pointer returning a number) of T
  // under `name`; `type_name` is used in errors.
  template <typename T, typename R>
  void Register(std::string type_name, std::string name,
                R (T::*method)() const) {
    type_names_[std::type_index(typeid(T))] = std::move(type_name);
    methods_[{std::type_index(typeid(T)), std::move(name)}] =
        [method](const std::any& object) {
          return Number((std::any_cast<const T&>(object).*method)());
        };
  }

  bool Has(const std::any& object, absl::string_view name) const;

  // `methodcaller(name)(object)`.
  absl::StatusOr<Number> Call(const std::any& object,
                              absl::string_view name) const;

  // The tutorial's get_area: the first of `names` the object has.
  absl::StatusOr<Number> CallFirst(const std::any& object,
                                   const std::vector<std::string>& names) const;

  // A registry that knows the three shapes above.
  static MethodRegistry ForShapes();

 private:
  std::string TypeName(const std::any& object) const;

  absl::flat_hash_map<std::type_index, std::string> type_names_;
  absl::flat_hash_map<std::pair<std::type_index, std::string>, Method> methods_;
};

}  // namespace classes

#endif  // CLASSES_CALL_BY_NAME_H_
