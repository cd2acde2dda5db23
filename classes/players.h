// Many instances, little memory: the tutorial's Player1 (attributes in a
// per-instance `__dict__`) against Player2 (`__slots__`), in C++.
//
// `Player` is the plain struct: its members are fixed at compile time, like
// `__slots__`, and an instance is exactly `sizeof(Player)` bytes with no
// per-instance heap block (the short strings fit in std::string's inline
// buffer).
//
// `DynamicPlayer` is the `__dict__` version: attributes live in a per-
// instance hash map and can be added, read and removed at run time by name
// (`p1.__dict__['z'] = 300`). Every instance then pays for a heap block with
// room for more attributes than it has. As in Python, the cost depends on
// history: adding a fourth attribute grows the table, and removing it again
// does not shrink it.
//
// `CompactPlayer` beats the plain struct: the uid as a 32-bit number, the
// level as 16 bits, and the name as a 32-bit index into a `NameTable` that
// stores each distinct name once (a million players share a few thousand
// names). 12 bytes instead of 72.
#ifndef CLASSES_PLAYERS_H_
#define CLASSES_PLAYERS_H_

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace classes {

struct Player {
  std::string uid;
  std::string name;
  int32_t level = 0;
};

class DynamicPlayer {
 public:
  using Value = std::variant<int64_t, std::string>;

  DynamicPlayer(std::string uid, std::string name, int64_t level);

  void Set(absl::string_view attr, Value value) {
    attrs_[attr] = std::move(value);
  }
  absl::StatusOr<Value> Get(absl::string_view attr) const;
  // Removes and returns the attribute (`__dict__.pop`).
  absl::StatusOr<Value> Pop(absl::string_view attr);
  // The attribute names, sorted (`vars(p1).keys()`).
  std::vector<std::string> AttributeNames() const;
  // What the table itself occupies: capacity and bytes (`sys.getsizeof`).
  size_t capacity() const { return attrs_.capacity(); }

 private:
  absl::flat_hash_map<std::string, Value> attrs_;
};

// Stores each distinct name once; not thread-safe.
class NameTable {
 public:
  uint32_t Intern(absl::string_view name);
  absl::string_view Name(uint32_t id) const { return names_[id]; }
  size_t size() const { return names_.size(); }

 private:
  std::vector<std::string> names_;
  absl::flat_hash_map<std::string, uint32_t> ids_;
};

struct CompactPlayer {
  uint32_t uid = 0;
  uint32_t name_id = 0;  // in a NameTable
  uint16_t level = 0;
};
static_assert(sizeof(CompactPlayer) == 12);

}  // namespace classes

#endif  // CLASSES_PLAYERS_H_
