// Lesson 4: managed attributes: a radius read rounded and written validated,
// and an area that can be read and set.
//
//   bazel run //classes:circle
#include <cstdio>
#include <limits>

#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "classes/circle.h"
#include "classes/py_repr.h"

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Circle(5.712); c.S = 99.88; print(c.S) -> 99.88000000000001; "
      "print(c.R) -> 5.6");
  absl::ParseCommandLine(argc, argv);
  using classes::PyRepr;

  absl::StatusOr<classes::Circle> c = classes::Circle::Create(5.712);
  if (!c.ok()) return 1;
  (void)c->set_area(99.88);                          // c.S = 99.88
  std::printf("%s\n", PyRepr(c->area()).c_str());    // print(c.S)
  std::printf("%s\n", PyRepr(c->radius()).c_str());  // print(c.R)
  std::printf(
      "Why: setting S stores r = sqrt(99.88 / pi) = %s; reading S computes "
      "r ** 2 * pi,\nrounding twice, and lands one bit away from 99.88 (which "
      "no double holds exactly). R reads r rounded to one decimal.\n",
      PyRepr(c->exact_radius()).c_str());
  std::printf("c.R = -1     -> %s\n", c->set_radius(-1).ToString().c_str());
  std::printf("c.R = nan    -> %s\n",
              c->set_radius(std::numeric_limits<double>::quiet_NaN())
                  .ToString()
                  .c_str());
  std::printf("the radius is still %s\n", PyRepr(c->exact_radius()).c_str());
  return 0;
}
