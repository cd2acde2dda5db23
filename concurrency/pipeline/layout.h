// -----------------------------------------------------------------------------
// File: layout.h
// -----------------------------------------------------------------------------
//
// Which pages go into which archive, and what every file of an output
// directory is called. The rule is fixed by the run's settings alone, so the
// archives of a finished directory are the same whatever failures, kills and
// reruns it took to get there:
//
//   * Pages are grouped in slots of `batch` consecutive pages: slot k holds
//     pages (k-1)*batch+1 ... k*batch (the last slot may be shorter).
//   * Archive data<k>.tgz holds exactly slot k. It is written only once every
//     page of the slot is converted; until then the slot's pages wait as
//     data<page>.xml files, and a rerun fetches only the missing ones.
//   * A shard I of N (counting from 0) owns a contiguous, balanced run of
//     slots: slots floor(I*S/N)+1 ... floor((I+1)*S/N) of the S slots. So
//     shards never share an archive, and their manifests are their own:
//     manifest.txt for a single shard, manifest-I-of-N.txt for shard I of N.
//
// Thread-safe: the functions keep no state.
#ifndef CONCURRENCY_PIPELINE_LAYOUT_H_
#define CONCURRENCY_PIPELINE_LAYOUT_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace concurrency::pipeline {

struct Shard {
  int index = 0;  // from 0
  int count = 1;
  bool operator==(const Shard&) const = default;
};

// An inclusive range of pages or slots; empty when first > last.
struct Range {
  int first = 1;
  int last = 0;
  bool empty() const { return first > last; }
  int size() const { return empty() ? 0 : last - first + 1; }
  bool contains(int i) const { return first <= i && i <= last; }
  bool operator==(const Range&) const = default;
};

class Layout {
 public:
  Layout(int pages, int batch, Shard shard = {});

  int pages() const { return pages_; }
  int batch() const { return batch_; }
  const Shard& shard() const { return shard_; }

  // Slots 1 ... slot_count() of the whole run.
  int slot_count() const;
  // The pages of slot `k`.
  Range SlotPages(int k) const;
  // The slot holding `page`.
  int SlotOf(int page) const;
  // The slots and pages of this layout's shard.
  Range shard_slots() const { return shard_slots_; }
  Range shard_pages() const;

  std::string ManifestName() const;

 private:
  const int pages_;
  const int batch_;
  const Shard shard_;
  const Range shard_slots_;
};

// "data<page>.xml" and "data<k>.tgz", as the tutorial names them.
std::string XmlFileName(int page);
std::string ArchiveFileName(int k);

// The number in "data<n>.xml" (kind 'x') or "data<n>.tgz" (kind 't'), or
// nullopt for any other name.
std::optional<int> XmlPageOf(absl::string_view name);
std::optional<int> ArchiveSlotOf(absl::string_view name);

// The final name an AtomicFile temporary (".NAME.tmp.PID.N") stands for, or
// nullopt if `name` is not one.
std::optional<std::string> TempFileTarget(absl::string_view name);

}  // namespace concurrency::pipeline

#endif  // CONCURRENCY_PIPELINE_LAYOUT_H_
