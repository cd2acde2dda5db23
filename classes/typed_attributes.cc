#include "classes/typed_attributes.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "classes/py_repr.h"

namespace classes {

absl::string_view AttrTypeName(AttrType t) {
  switch (t) {
    case AttrType::kBool:
      return "bool";
    case AttrType::kInt:
      return "int";
    case AttrType::kFloat:
      return "float";
    case AttrType::kString:
      return "str";
  }
  return "?";
}

AttrType TypeOf(const AttrValue& v) { return static_cast<AttrType>(v.index()); }

std::string AttrRepr(const AttrValue& v) {
  switch (TypeOf(v)) {
    case AttrType::kBool:
      return std::get<bool>(v) ? "True" : "False";
    case AttrType::kInt:
      return PyRepr(std::get<int64_t>(v));
    case AttrType::kFloat:
      return PyRepr(std::get<double>(v));
    case AttrType::kString:
      return absl::StrCat("'", std::get<std::string>(v), "'");
  }
  return "?";
}

TypedObject::TypedObject(std::string class_name, std::vector<AttrSpec> attrs,
                         Observer observer)
    : class_name_(std::move(class_name)),
      attrs_(std::move(attrs)),
      observer_(std::move(observer)) {}

absl::StatusOr<AttrType> TypedObject::Declared(absl::string_view attr) const {
  for (const AttrSpec& a : attrs_) {
    if (a.name == attr) return a.type;
  }
  return absl::NotFoundError(
      absl::StrFormat("'%s' object has no attribute '%s'", class_name_, attr));
}

absl::StatusOr<AttrValue> TypedObject::Get(absl::string_view attr) const {
  if (absl::StatusOr<AttrType> t = Declared(attr); !t.ok()) return t.status();
  auto it = values_.find(attr);
  if (it == values_.end()) {
    return absl::NotFoundError(
        absl::StrFormat("%s.%s has not been set", class_name_, attr));
  }
  if (observer_) observer_("get", attr, &it->second);
  return it->second;
}

absl::Status TypedObject::Set(absl::string_view attr, AttrValue value) {
  absl::StatusOr<AttrType> t = Declared(attr);
  if (!t.ok()) return t.status();
  if (observer_) observer_("set", attr, &value);
  if (TypeOf(value) != *t) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s.%s must be %s, got %s (%s)", class_name_, attr, AttrTypeName(*t),
        AttrTypeName(TypeOf(value)), AttrRepr(value)));
  }
  values_[attr] = std::move(value);
  return absl::OkStatus();
}

absl::Status TypedObject::SetFromText(absl::string_view attr,
                                      absl::string_view text) {
  absl::StatusOr<AttrType> t = Declared(attr);
  if (!t.ok()) return t.status();
  bool ok = true;
  AttrValue v;
  switch (*t) {
    case AttrType::kBool: {
      bool b = false;
      ok = absl::SimpleAtob(text, &b);
      v = b;
      break;
    }
    case AttrType::kInt: {
      int64_t i = 0;
      ok = absl::SimpleAtoi(text, &i);
      v = i;
      break;
    }
    case AttrType::kFloat: {
      double d = 0;
      ok = absl::SimpleAtod(text, &d);
      v = d;
      break;
    }
    case AttrType::kString:
      v = std::string(text);
      break;
  }
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s.%s must be %s, got text '%s' that is not one",
                        class_name_, attr, AttrTypeName(*t), text));
  }
  return Set(attr, std::move(v));
}

absl::Status TypedObject::Delete(absl::string_view attr) {
  if (absl::StatusOr<AttrType> t = Declared(attr); !t.ok()) return t.status();
  if (observer_) observer_("delete", attr, nullptr);
  if (values_.erase(attr) == 0) {
    return absl::NotFoundError(
        absl::StrFormat("%s.%s has not been set", class_name_, attr));
  }
  return absl::OkStatus();
}

}  // namespace classes
