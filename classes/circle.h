// Circle: managed attributes, the tutorial's `R = property(get_radius,
// set_radius)` and `@property S` with its setter.
//
// `radius()` reads the radius rounded to one decimal, as `round(r, 1)` does
// (correctly rounded from the exact binary value, so ties follow the double,
// not the decimal text). `set_radius` validates: a negative, NaN or infinite
// radius is an `InvalidArgument` error and the old radius stays. `area()` is
// r² π and `set_area(s)` sets the radius to √(s / π), validated the same way.
//
// The tutorial's `c.S = 99.88; print(c.S)` prints 99.88000000000001: setting
// the area stores √(99.88/π), and squaring it back and multiplying by π
// rounds twice, so the last bit differs from 99.88 (both are the nearest
// doubles to their exact results; 99.88 itself is not representable).
// `print(c.R)` prints 5.6: the stored radius 5.638... rounded to one decimal.
//
// Not thread-safe for writes (a value type like `double`).
#ifndef CLASSES_CIRCLE_H_
#define CLASSES_CIRCLE_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace classes {

class Circle {
 public:
  // Fails on a negative, NaN or infinite radius.
  static absl::StatusOr<Circle> Create(double radius);

  // The radius rounded to one decimal (the property R's getter).
  double radius() const;
  // The radius as stored, unrounded.
  double exact_radius() const { return radius_; }
  absl::Status set_radius(double radius);

  // r² π (the property S).
  double area() const;
  absl::Status set_area(double area);

 private:
  explicit Circle(double radius) : radius_(radius) {}
  double radius_;
};

}  // namespace classes

#endif  // CLASSES_CIRCLE_H_
