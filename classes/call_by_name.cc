#include "classes/call_by_name.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "classes/py_repr.h"

namespace classes {

std::string NumberToString(const Number& n) {
  if (const int64_t* i = std::get_if<int64_t>(&n)) return PyRepr(*i);
  return PyRepr(std::get<double>(n));
}

std::string MethodRegistry::TypeName(const std::any& object) const {
  auto it = type_names_.find(std::type_index(object.type()));
  return it == type_names_.end() ? object.type().name() : it->second;
}

bool MethodRegistry::Has(const std::any& object, absl::string_view name) const {
  return methods_.contains({std::type_index(object.type()), std::string(name)});
}

absl::StatusOr<Number> MethodRegistry::Call(const std::any& object,
                                            absl::string_view name) const {
  auto it = methods_.find({std::type_index(object.type()), std::string(name)});
  if (it == methods_.end()) {
    return absl::NotFoundError(absl::StrCat(
        "'", TypeName(object), "' object has no method '", name, "'"));
  }
  return it->second(object);
}

absl::StatusOr<Number> MethodRegistry::CallFirst(
    const std::any& object, const std::vector<std::string>& names) const {
  for (const std::string& name : names) {
    if (Has(object, name)) return Call(object, name);
  }
  return absl::NotFoundError(absl::StrCat("'", TypeName(object),
                                          "' object has none of the methods ",
                                          absl::StrJoin(names, ", ")));
}

MethodRegistry MethodRegistry::ForShapes() {
  MethodRegistry r;
  r.Register("Circle", "area", &lib1::Circle::area);
  r.Register("Triangle", "get_area", &lib2::Triangle::get_area);
  r.Register("Rectangle", "getArea", &lib3::Rectangle::getArea);
  return r;
}

}  // namespace classes
