#include "decorators/type_assert.h"

#include "absl/strings/str_format.h"
#include "classes/py_repr.h"

namespace decorators {

absl::string_view TypeName(Type type) {
  switch (type) {
    case Type::kBool:
      return "bool";
    case Type::kInt:
      return "int";
    case Type::kFloat:
      return "float";
    case Type::kString:
      return "str";
  }
  return "?";
}

Type TypeOf(const Value& value) { return static_cast<Type>(value.index()); }

std::string Repr(const Value& value) {
  switch (TypeOf(value)) {
    case Type::kBool:
      return std::get<bool>(value) ? "True" : "False";
    case Type::kInt:
      return classes::PyRepr(std::get<int64_t>(value));
    case Type::kFloat:
      return classes::PyRepr(std::get<double>(value));
    case Type::kString:
      return absl::StrCat("'", std::get<std::string>(value), "'");
  }
  return "?";
}

absl::StatusOr<TypeAssert> TypeAssert::Create(std::vector<std::string> params,
                                              std::vector<ArgType> types,
                                              std::string function_name) {
  std::vector<std::optional<Type>> expected(params.size());
  for (const ArgType& t : types) {
    size_t position;
    if (const std::string* name = std::get_if<std::string>(&t.arg)) {
      auto it = std::find(params.begin(), params.end(), *name);
      if (it == params.end()) {
        return absl::InvalidArgumentError(
            absl::StrFormat("type_assert on %s(%s): no parameter named %s",
                            function_name, absl::StrJoin(params, ", "), *name));
      }
      position = static_cast<size_t>(it - params.begin());
    } else {
      position = std::get<size_t>(t.arg);
      if (position >= params.size()) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "type_assert on %s(%s): no argument at position %d", function_name,
            absl::StrJoin(params, ", "), position));
      }
    }
    expected[position] = t.type;
  }
  return TypeAssert(std::move(params), std::move(expected),
                    std::move(function_name));
}

absl::Status TypeAssert::Check(const std::vector<Value>& args) const {
  const std::string where =
      absl::StrFormat("%s(%s)", name_, absl::StrJoin(params_, ", "));
  if (args.size() != params_.size()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s takes %d arguments but %d were given", where,
                        params_.size(), args.size()));
  }
  for (size_t i = 0; i < args.size(); ++i) {
    if (expected_[i] && TypeOf(args[i]) != *expected_[i]) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: argument %s must be %s, got %s (%s)", where, params_[i],
          TypeName(*expected_[i]), TypeName(TypeOf(args[i])), Repr(args[i])));
    }
  }
  return absl::OkStatus();
}

}  // namespace decorators
