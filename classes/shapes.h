// Comparable shapes: the tutorial's `@total_ordering class Shape` with `Rect`
// and `Circle`, compared by area.
//
// All six operators come from two definitions on the abstract base,
// `operator<=>` and `operator==`, so any two shapes compare across types
// (`rect < circle`) and a vector of shapes sorts by area.
//
// Equality of floating areas is exact, the same relation `<=>` uses, so that
// `a == b` exactly when neither is less than the other and sorting stays a
// strict weak ordering. (A tolerance would make "equal" non-transitive: a≈b
// and b≈c without a≈c.) Comparison is `std::partial_ordering`: a NaN area,
// impossible through the constructors, would be unordered.
//
// Constructors validate nothing beyond what C++ types say; `Area()` of a
// negative side is negative, as in the Python.
#ifndef CLASSES_SHAPES_H_
#define CLASSES_SHAPES_H_

#include <compare>
#include <ostream>
#include <string>

namespace classes {

class Shape {
 public:
  virtual ~Shape() = default;
  virtual double Area() const = 0;
  virtual std::string ToString() const = 0;

  friend std::partial_ordering operator<=>(const Shape& a, const Shape& b) {
    return a.Area() <=> b.Area();
  }
  friend bool operator==(const Shape& a, const Shape& b) {
    return a.Area() == b.Area();
  }
  friend std::ostream& operator<<(std::ostream& os, const Shape& s) {
    return os << s.ToString();
  }
};

class Rect : public Shape {
 public:
  Rect(double w, double h) : w_(w), h_(h) {}
  double Area() const override { return w_ * h_; }
  std::string ToString() const override;

 private:
  double w_, h_;
};

class CircleShape : public Shape {
 public:
  explicit CircleShape(double r) : r_(r) {}
  double Area() const override;
  std::string ToString() const override;

 private:
  double r_;
};

}  // namespace classes

#endif  // CLASSES_SHAPES_H_
