// Lesson 8: calling a method by its name: three libraries' shapes with
// area(), get_area() and getArea().
//
//   bazel run //classes:call_by_name
//   bazel run //classes:call_by_name -- --method=perimeter
#include <any>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_join.h"
#include "classes/call_by_name.h"

ABSL_FLAG(std::string, method, "",
          "Also call this method name on each shape at run time.");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "get_area(shape) tries area, get_area and getArea; prints "
      "[3.141592653589793, 6.0, 24].");
  absl::ParseCommandLine(argc, argv);
  using namespace classes;  // NOLINT: a lesson's short story

  lib1::Circle shape1{1};
  lib2::Triangle shape2{3, 4, 5};
  lib3::Rectangle shape3{4, 6};

  // Compile time: requires-expressions pick the member.
  std::vector<std::string> areas = {NumberToString(GetArea(shape1)),
                                    NumberToString(GetArea(shape2)),
                                    NumberToString(GetArea(shape3))};
  std::printf("[%s]\n", absl::StrJoin(areas, ", ").c_str());

  // Run time: names looked up in a registry, as hasattr + methodcaller do.
  MethodRegistry registry = MethodRegistry::ForShapes();
  const std::vector<std::string> names = {"area", "get_area", "getArea"};
  std::vector<std::any> shape_list = {shape1, shape2, shape3};
  areas.clear();
  for (const std::any& shape : shape_list) {
    absl::StatusOr<Number> a = registry.CallFirst(shape, names);
    areas.push_back(a.ok() ? NumberToString(*a) : a.status().ToString());
  }
  std::printf("[%s]  (by name, at run time)\n",
              absl::StrJoin(areas, ", ").c_str());
  if (const std::string m = absl::GetFlag(FLAGS_method); !m.empty()) {
    for (const std::any& shape : shape_list) {
      absl::StatusOr<Number> r = registry.Call(shape, m);
      std::printf(
          "%s -> %s\n", m.c_str(),
          r.ok() ? NumberToString(*r).c_str() : r.status().ToString().c_str());
    }
  }
  return 0;
}
