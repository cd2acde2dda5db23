// Lesson 5: comparable objects: shapes compared by area, across types, with
// all six operators from operator<=> and operator==.
//
//   bazel run //classes:shapes
#include <algorithm>
#include <cstdio>
#include <memory>
#include <vector>

#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "classes/py_repr.h"
#include "classes/shapes.h"

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("rect1 < c, c > rect2, and sorting by area.");
  absl::ParseCommandLine(argc, argv);
  using classes::CircleShape;
  using classes::Rect;

  Rect rect1(6, 9), rect2(7, 8);
  CircleShape c(8);
  std::printf("%s %s\n", classes::PyRepr(rect1.Area()).c_str(),
              classes::PyRepr(rect2.Area()).c_str());
  auto b = [](bool v) { return v ? "True" : "False"; };
  std::printf("rect1 > rect2: %s\n", b(rect1 > rect2));
  std::printf("rect1 < c: %s\n", b(rect1 < c));
  std::printf("c > rect2: %s\n", b(c > rect2));

  std::vector<std::unique_ptr<classes::Shape>> shapes;
  shapes.push_back(std::make_unique<CircleShape>(8));
  shapes.push_back(std::make_unique<Rect>(7, 8));
  shapes.push_back(std::make_unique<Rect>(6, 9));
  shapes.push_back(std::make_unique<CircleShape>(1));
  std::sort(shapes.begin(), shapes.end(),
            [](const auto& x, const auto& y) { return *x < *y; });
  std::printf("sorted by area:");
  for (const auto& s : shapes) std::printf(" %s", s->ToString().c_str());
  std::printf("\n");
  return 0;
}
