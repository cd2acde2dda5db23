// LockedTable: the cache behind Memoize for keys or values that are not plain
// bytes (strings, vectors, ...). One absl::Mutex guards an
// absl::flat_hash_map from key to entry index and a vector of entries; a hit
// costs an uncontended lock and copies the value out.
//
// With a capacity, eviction is CLOCK (second chance), as in SeqlockTable, so
// both tables evict the same way: the entry vector is the clock face, a hit
// sets its entry's `referenced`, and a full table replaces the first entry
// the hand finds unreferenced. No list node per entry.
//
// Thread-safety: every member may be called from any thread.
#ifndef DECORATORS_INTERNAL_LOCKED_TABLE_H_
#define DECORATORS_INTERNAL_LOCKED_TABLE_H_

#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace decorators::memo_internal {

template <typename Key, typename Value>
class LockedTable {
 public:
  // `capacity` 0: unbounded.
  explicit LockedTable(size_t capacity) : capacity_(capacity) {}

  LockedTable(const LockedTable&) = delete;
  LockedTable& operator=(const LockedTable&) = delete;

  // Returns a copy of the value stored for `key`, or nullopt.
  std::optional<Value> Find(const Key& key) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock l(&mu_);
    auto it = index_.find(key);
    if (it == index_.end()) return std::nullopt;
    Entry& e = entries_[it->second];
    e.referenced = true;
    return e.value;
  }

  // Stores `value` for `key` unless the key is present (another thread
  // stored it first), replacing one entry if the table is at capacity.
  void Insert(const Key& key, const Value& value) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock l(&mu_);
    if (index_.contains(key)) return;
    if (capacity_ == 0 || entries_.size() < capacity_) {
      index_.emplace(key, entries_.size());
      entries_.push_back(Entry{key, value, false});
      return;
    }
    const size_t i = Victim();
    index_.erase(entries_[i].key);
    entries_[i] = Entry{key, value, false};
    index_.emplace(key, i);
  }

  size_t size() const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock l(&mu_);
    return entries_.size();
  }
  size_t capacity() const { return capacity_; }

  void Clear() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock l(&mu_);
    index_.clear();
    entries_.clear();
    hand_ = 0;
  }

 private:
  struct Entry {
    Key key;
    Value value;
    bool referenced;
  };

  // CLOCK over a full vector: at most two sweeps.
  size_t Victim() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (;;) {
      const size_t i = hand_;
      hand_ = (hand_ + 1) % entries_.size();
      if (!entries_[i].referenced) return i;
      entries_[i].referenced = false;
    }
  }

  const size_t capacity_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<Key, size_t> index_ ABSL_GUARDED_BY(mu_);
  std::vector<Entry> entries_ ABSL_GUARDED_BY(mu_);
  size_t hand_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace decorators::memo_internal

#endif  // DECORATORS_INTERNAL_LOCKED_TABLE_H_
