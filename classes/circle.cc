#include "classes/circle.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numbers>

#include "absl/strings/str_format.h"

namespace classes {
namespace {

absl::Status Check(const char* what, double v) {
  if (std::isnan(v) || std::isinf(v) || v < 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "Circle: %s must be a finite number >= 0, got %g", what, v));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Circle> Circle::Create(double radius) {
  if (absl::Status s = Check("radius", radius); !s.ok()) return s;
  return Circle(radius);
}

double Circle::radius() const {
  // Python's round(x, 1) rounds the exact binary value correctly; so does
  // printf's %.1f. Parsing the text back gives the double Python returns.
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f", radius_);
  return std::strtod(buf, nullptr);
}

absl::Status Circle::set_radius(double radius) {
  if (absl::Status s = Check("radius", radius); !s.ok()) return s;
  radius_ = radius;
  return absl::OkStatus();
}

double Circle::area() const { return std::pow(radius_, 2) * std::numbers::pi; }

absl::Status Circle::set_area(double area) {
  if (absl::Status s = Check("area", area); !s.ok()) return s;
  radius_ = std::sqrt(area / std::numbers::pi);
  return absl::OkStatus();
}

}  // namespace classes
