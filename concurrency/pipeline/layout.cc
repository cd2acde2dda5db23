#include "concurrency/pipeline/layout.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace concurrency::pipeline {
namespace {

int CeilDiv(int a, int b) { return a <= 0 ? 0 : (a + b - 1) / b; }

Range ShardSlots(int slots, Shard s) {
  // 64-bit products: slots * count stays exact for any int inputs.
  auto bound = [&](int i) {
    return static_cast<int>(int64_t{i} * slots / std::max(1, s.count));
  };
  return {bound(s.index) + 1, bound(s.index + 1)};
}

std::optional<int> NumberIn(absl::string_view name, absl::string_view suffix) {
  if (!absl::ConsumePrefix(&name, "data") ||
      !absl::ConsumeSuffix(&name, suffix) || name.empty() || name.size() > 9 ||
      !std::all_of(name.begin(), name.end(), absl::ascii_isdigit) ||
      name[0] == '0') {
    return std::nullopt;
  }
  int n = 0;
  if (!absl::SimpleAtoi(name, &n)) return std::nullopt;
  return n;
}

}  // namespace

Layout::Layout(int pages, int batch, Shard shard)
    : pages_(pages),
      batch_(std::max(1, batch)),
      shard_(shard),
      shard_slots_(ShardSlots(CeilDiv(pages, std::max(1, batch)), shard)) {}

int Layout::slot_count() const { return CeilDiv(pages_, batch_); }

Range Layout::SlotPages(int k) const {
  return {(k - 1) * batch_ + 1, std::min(k * batch_, pages_)};
}

int Layout::SlotOf(int page) const { return (page - 1) / batch_ + 1; }

Range Layout::shard_pages() const {
  if (shard_slots_.empty()) return {};
  return {SlotPages(shard_slots_.first).first,
          SlotPages(shard_slots_.last).last};
}

std::string Layout::ManifestName() const {
  if (shard_.count <= 1) return "manifest.txt";
  return absl::StrCat("manifest-", shard_.index, "-of-", shard_.count, ".txt");
}

std::string XmlFileName(int page) { return absl::StrCat("data", page, ".xml"); }
std::string ArchiveFileName(int k) { return absl::StrCat("data", k, ".tgz"); }

std::optional<int> XmlPageOf(absl::string_view name) {
  return NumberIn(name, ".xml");
}

std::optional<int> ArchiveSlotOf(absl::string_view name) {
  return NumberIn(name, ".tgz");
}

std::optional<std::string> TempFileTarget(absl::string_view name) {
  if (!absl::ConsumePrefix(&name, ".")) return std::nullopt;
  size_t tmp = name.rfind(".tmp.");
  if (tmp == absl::string_view::npos || tmp == 0) return std::nullopt;
  return std::string(name.substr(0, tmp));
}

}  // namespace concurrency::pipeline
