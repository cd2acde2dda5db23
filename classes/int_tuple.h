// IntTuple: the tutorial's `class IntTuple(tuple)` whose `__new__` keeps only
// the positive integers of what it is given.
//
//   IntTuple t({1, -1, "abc", 6, Item::List({"x", "y"}), 3});
//   t.ToString();  // "(1, 6, 3)"
//
// Python's tuple is built in `__new__` because it is immutable: by the time
// `__init__` runs, there is nothing left to change. A C++ constructor is
// both at once, so the filtering simply happens before the (const) storage
// is created; what makes the result immutable is that IntTuple has no
// mutators and its elements are a `shared_ptr<const std::vector>`: copies
// share them and cost a reference count.
//
// It behaves as a read-only sequence: size, operator[] (and `at`, which
// returns an error instead of throwing), iteration, comparison (==, <=>, as
// tuples compare: element by element, then by length), hashing with
// absl::Hash, and printing as Python prints a tuple: "()", "(1,)", "(1, 6, 3)".
//
// Thread-safety: immutable, so any number of threads may read one IntTuple.
#ifndef CLASSES_INT_TUPLE_H_
#define CLASSES_INT_TUPLE_H_

#include <compare>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace classes {

// One element of a heterogeneous Python-like sequence: an int, a float, a
// string or a nested list.
class Item {
 public:
  using List = std::vector<Item>;
  Item(int v) : v_(int64_t{v}) {}  // NOLINT: implicit, like a literal
  Item(int64_t v) : v_(v) {}       // NOLINT
  Item(double v) : v_(v) {}        // NOLINT
  Item(const char* v) : v_(std::string(v)) {}  // NOLINT
  Item(std::string v) : v_(std::move(v)) {}    // NOLINT
  Item(List v) : v_(std::move(v)) {}           // NOLINT
  static Item ListOf(std::initializer_list<Item> items) {
    return Item(List(items));
  }

  const int64_t* AsInt() const { return std::get_if<int64_t>(&v_); }

 private:
  std::variant<int64_t, double, std::string, List> v_;
};

class IntTuple {
 public:
  using const_iterator = std::vector<int64_t>::const_iterator;

  IntTuple() : IntTuple(absl::Span<const Item>()) {}
  IntTuple(std::initializer_list<Item> items)
      : IntTuple(absl::Span<const Item>(items.begin(), items.size())) {}
  // `__new__`: keeps the items that are ints greater than 0, in order.
  explicit IntTuple(absl::Span<const Item> items);

  size_t size() const { return data_->size(); }
  bool empty() const { return data_->empty(); }
  int64_t operator[](size_t i) const { return (*data_)[i]; }
  absl::StatusOr<int64_t> at(size_t i) const;
  const_iterator begin() const { return data_->begin(); }
  const_iterator end() const { return data_->end(); }

  friend bool operator==(const IntTuple& a, const IntTuple& b) {
    return a.data_ == b.data_ || *a.data_ == *b.data_;
  }
  friend std::strong_ordering operator<=>(const IntTuple& a,
                                          const IntTuple& b) {
    return *a.data_ <=> *b.data_;
  }
  template <typename H>
  friend H AbslHashValue(H h, const IntTuple& t) {
    return H::combine(std::move(h), *t.data_);
  }

  // "(1, 6, 3)", as Python prints the tuple.
  std::string ToString() const;

  // Whether two tuples share their storage (copies do).
  bool SharesStorageWith(const IntTuple& other) const {
    return data_ == other.data_;
  }

 private:
  std::shared_ptr<const std::vector<int64_t>> data_;
};

}  // namespace classes

#endif  // CLASSES_INT_TUPLE_H_
