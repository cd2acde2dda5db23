#include "classes/players.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace classes {

DynamicPlayer::DynamicPlayer(std::string uid, std::string name, int64_t level) {
  attrs_["uid"] = std::move(uid);
  attrs_["name"] = std::move(name);
  attrs_["level"] = level;
}

absl::StatusOr<DynamicPlayer::Value> DynamicPlayer::Get(
    absl::string_view attr) const {
  auto it = attrs_.find(attr);
  if (it == attrs_.end()) {
    return absl::NotFoundError(
        absl::StrCat("'DynamicPlayer' object has no attribute '", attr, "'"));
  }
  return it->second;
}

absl::StatusOr<DynamicPlayer::Value> DynamicPlayer::Pop(
    absl::string_view attr) {
  auto it = attrs_.find(attr);
  if (it == attrs_.end()) {
    return absl::NotFoundError(absl::StrCat("KeyError: '", attr, "'"));
  }
  Value v = std::move(it->second);
  attrs_.erase(it);
  return v;
}

std::vector<std::string> DynamicPlayer::AttributeNames() const {
  std::vector<std::string> names;
  for (const auto& [name, value] : attrs_) names.push_back(name);
  std::sort(names.begin(), names.end());
  return names;
}

uint32_t NameTable::Intern(absl::string_view name) {
  auto [it, inserted] =
      ids_.try_emplace(name, static_cast<uint32_t>(names_.size()));
  if (inserted) names_.emplace_back(name);
  return it->second;
}

}  // namespace classes
