#include "classes/shapes.h"

#include <cmath>
#include <numbers>

#include "absl/strings/str_cat.h"
#include "classes/py_repr.h"

namespace classes {
namespace {

// Python's %s of an int stays an int: Rect(6, 9) prints as "Rect:(6, 9)".
std::string Num(double v) {
  if (v == std::trunc(v) && std::abs(v) < 1e15) {
    return absl::StrCat(static_cast<int64_t>(v));
  }
  return PyRepr(v);
}

}  // namespace

std::string Rect::ToString() const {
  return absl::StrCat("Rect:(", Num(w_), ", ", Num(h_), ")");
}

double CircleShape::Area() const { return std::pow(r_, 2) * std::numbers::pi; }

std::string CircleShape::ToString() const {
  return absl::StrCat("Circle:(", Num(r_), ")");
}

}  // namespace classes
