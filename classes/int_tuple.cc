#include "classes/int_tuple.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace classes {

IntTuple::IntTuple(absl::Span<const Item> items) {
  std::vector<int64_t> kept;
  for (const Item& item : items) {
    if (const int64_t* v = item.AsInt(); v != nullptr && *v > 0) {
      kept.push_back(*v);
    }
  }
  data_ = std::make_shared<const std::vector<int64_t>>(std::move(kept));
}

absl::StatusOr<int64_t> IntTuple::at(size_t i) const {
  if (i >= data_->size()) {
    return absl::OutOfRangeError(absl::StrCat("tuple index ", i,
                                              " out of range for ", ToString(),
                                              " (size ", data_->size(), ")"));
  }
  return (*data_)[i];
}

std::string IntTuple::ToString() const {
  if (data_->size() == 1) return absl::StrCat("(", (*data_)[0], ",)");
  return absl::StrCat("(", absl::StrJoin(*data_, ", "), ")");
}

}  // namespace classes
