// Type-checked attributes, the tutorial's descriptor `Attr(key, type_)` on a
// `Person` with `name = Attr('name', str)` and `age = Attr('age', int)`.
//
// Run time: a `TypedObject` declares its attributes (name and type) and is
// read and written by attribute name, for example from text input. A value
// of the wrong type is refused with `InvalidArgument` naming the attribute
// and both types ("Person.age must be int, got str ('32')"), and the old
// value stays. Reading an attribute never set, or one not declared, is
// `NotFound` (Python's AttributeError / KeyError). Every get, set and delete
// is reported to an observer, as the tutorial prints in `__get__`, `__set__`
// and `__delete__`.
//
// Compile time: when the attribute set is known, a plain struct does the job
// and C++ refuses `p.age = "32"` before the program runs; `Typed<T>` also
// refuses the conversions C++ would otherwise make silently (a double into
// an int field). See the static_asserts in the tests and the binary.
//
// Not thread-safe (an object with mutable state, like a Python instance).
#ifndef CLASSES_TYPED_ATTRIBUTES_H_
#define CLASSES_TYPED_ATTRIBUTES_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace classes {

using AttrValue = std::variant<bool, int64_t, double, std::string>;
enum class AttrType { kBool, kInt, kFloat, kString };

absl::string_view AttrTypeName(AttrType t);  // "bool", "int", "float", "str"
AttrType TypeOf(const AttrValue& v);
std::string AttrRepr(const AttrValue& v);  // 32, 'liushuo', 3.5, True

struct AttrSpec {
  std::string name;
  AttrType type;
};

class TypedObject {
 public:
  // What happened: "get", "set" or "delete", the attribute, and the value
  // (for get and set).
  using Observer = std::function<void(
      absl::string_view op, absl::string_view attr, const AttrValue* value)>;

  TypedObject(std::string class_name, std::vector<AttrSpec> attrs,
              Observer observer = nullptr);

  absl::StatusOr<AttrValue> Get(absl::string_view attr) const;
  absl::Status Set(absl::string_view attr, AttrValue value);
  // Parses `text` as the attribute's declared type ("32" for an int); text
  // that does not parse is refused like a value of the wrong type.
  absl::Status SetFromText(absl::string_view attr, absl::string_view text);
  absl::Status Delete(absl::string_view attr);

  const std::vector<AttrSpec>& attrs() const { return attrs_; }

 private:
  absl::StatusOr<AttrType> Declared(absl::string_view attr) const;

  std::string class_name_;
  std::vector<AttrSpec> attrs_;
  Observer observer_;
  absl::flat_hash_map<std::string, AttrValue> values_;  // the instance __dict__
};

// A field that only accepts exactly T: `Typed<int64_t> age; age = 32;`
// compiles, `age = 3.5` and `age = "32"` do not.
template <typename T>
class Typed {
 public:
  Typed() = default;
  explicit Typed(T v) : v_(std::move(v)) {}
  template <typename U>
  requires std::same_as<std::remove_cvref_t<U>, T> Typed& operator=(U&& v) {
    v_ = std::forward<U>(v);
    return *this;
  }
  template <typename U>
  requires(!std::same_as<std::remove_cvref_t<U>, T>) Typed& operator=(U&&) =
      delete;
  const T& get() const { return v_; }

 private:
  T v_{};
};

}  // namespace classes

#endif  // CLASSES_TYPED_ATTRIBUTES_H_
