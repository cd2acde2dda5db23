// SeqlockTable: the cache behind Memoize for keys and values that are plain
// bytes (ints, enums, pointers; results of any trivially copyable type).
// A hit takes no lock and writes nothing shared, so hits scale with cores.
//
// Layout. One open-addressing array (linear probing, at most half full) of
// fixed-size slots: a tag word (the key's hash, so a key is hashed once per
// call and most mismatches cost one compare), the key's words, the value's
// words. Every word is a std::atomic<uint64_t>, read and written relaxed.
//
// Readers. A sequence counter, odd while a writer changes the array, tells a
// reader whether what it read was consistent (a seqlock): `Find` reads the
// counter, probes, reads it again, and retries on a change, spinning briefly
// and then yielding while a writer is in. Arrays replaced by a larger one are
// kept until the table is destroyed, because a reader may still be probing
// them: memory is at most twice the largest array.
//
// Writers (`Insert`, `Clear`) take the sequence counter itself as their lock
// (see WriteSection). With a capacity, a full table
// evicts by CLOCK (second chance), the usual stand-in for LRU where hits must
// not write shared state: a hit sets its slot's `referenced` byte (only when
// clear, so repeated hits write nothing), and eviction sweeps a hand over the
// slots, clearing set bytes and evicting the first clear one. An entry hit
// since the hand last passed it survives; one never hit since insertion goes
// first, so `lru_cache`'s examples evict the same keys.
//
// Thread-safety: with `kShared` (the default) every member may be called
// from any thread; without, thread-compatible.
#ifndef DECORATORS_INTERNAL_SEQLOCK_TABLE_H_
#define DECORATORS_INTERNAL_SEQLOCK_TABLE_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"

namespace decorators::memo_internal {

// `kShared` false drops the sequence counter for a table used by one thread
// at a time (thread-compatible).
template <size_t kKeyWords, size_t kValueWords, bool kShared = true>
class SeqlockTable {
 public:
  using KeyWords = std::array<uint64_t, kKeyWords>;
  using ValueWords = std::array<uint64_t, kValueWords>;

  // `capacity` 0: unbounded, the array doubles as it fills.
  explicit SeqlockTable(size_t capacity) : capacity_(capacity) {
    size_t n = kMinSlots;
    while (n < 2 * capacity) n *= 2;
    Publish(std::make_unique<Slots>(n));
  }

  SeqlockTable(const SeqlockTable&) = delete;
  SeqlockTable& operator=(const SeqlockTable&) = delete;

  // Copies the value stored for `key` into `*value` and returns true, or
  // returns false. `hash` is the key's hash.
  ABSL_ATTRIBUTE_ALWAYS_INLINE bool Find(uint64_t hash, const KeyWords& key,
                                         ValueWords* value) const {
    const uint64_t tag = hash | 1;
    if constexpr (!kShared) {
      const Slots* slots = current_.load(std::memory_order_relaxed);
      const ptrdiff_t i = slots->Lookup(tag, key, value);
      if (i >= 0 && capacity_ > 0) slots->Touch(i);
      return i >= 0;
    }
    const uint64_t seq = seq_.load(std::memory_order_acquire);
    if (ABSL_PREDICT_TRUE((seq & 1) == 0)) {
      const Slots* slots = current_.load(std::memory_order_acquire);
      const ptrdiff_t i = slots->Lookup(tag, key, value);
      std::atomic_thread_fence(std::memory_order_acquire);
      if (ABSL_PREDICT_TRUE(seq_.load(std::memory_order_relaxed) == seq)) {
        if (i >= 0 && capacity_ > 0) slots->Touch(i);
        return i >= 0;
      }
    }
    return FindAfterWrite(tag, key, value);
  }

  // Stores `value` for `key` unless the key is present (another thread
  // stored it first), evicting one entry if the table is at capacity.
  void Insert(uint64_t hash, const KeyWords& key, const ValueWords& value) {
    const uint64_t tag = hash | 1;
    WriteSection write(*this);
    Slots* slots = current_.load(std::memory_order_relaxed);
    size_t hole;
    if (!slots->FindHole(tag, key, &hole)) return;
    if (capacity_ == 0 && 2 * (size_ + 1) > slots->mask + 1) {
      slots = Grow();
      slots->FindHole(tag, key, &hole);
    } else if (capacity_ > 0 && size_ == capacity_) {
      Evict(*slots);
      --size_;
      slots->FindHole(tag, key, &hole);
    }
    slots->Fill(hole, tag, key.data(), value.data(), false);
    ++size_;
    published_size_.store(size_, std::memory_order_relaxed);
  }

  size_t size() const {
    return published_size_.load(std::memory_order_relaxed);
  }
  size_t capacity() const { return capacity_; }

  // Removes every entry; keeps the array.
  void Clear() {
    WriteSection write(*this);
    current_.load(std::memory_order_relaxed)->Reset();
    size_ = 0;
    hand_ = 0;
    published_size_.store(0, std::memory_order_relaxed);
  }

 private:
  static constexpr size_t kMinSlots = 16;
  static constexpr size_t kStride = 1 + kKeyWords + kValueWords;

  struct Slots {
    explicit Slots(size_t n)
        : mask(n - 1),
          words(std::make_unique<std::atomic<uint64_t>[]>(n * kStride)),
          referenced(std::make_unique<std::atomic<uint8_t>[]>(n)) {}

    std::atomic<uint64_t>* At(size_t i) const { return &words[i * kStride]; }
    size_t Home(uint64_t tag) const { return (tag >> 1) & mask; }

    // Returns the slot holding `key`, or -1. Safe against concurrent writes
    // (then the result is garbage, which the caller's sequence check
    // rejects): every read is atomic and the probe is bounded.
    ptrdiff_t Lookup(uint64_t tag, const KeyWords& key,
                     ValueWords* value) const {
      size_t i = Home(tag);
      for (size_t probes = 0; probes <= mask; ++probes, i = (i + 1) & mask) {
        const std::atomic<uint64_t>* w = At(i);
        const uint64_t t = w[0].load(std::memory_order_relaxed);
        if (t == 0) return -1;
        if (t == tag && KeyAt(w, key)) {
          for (size_t v = 0; v < kValueWords; ++v) {
            (*value)[v] = w[1 + kKeyWords + v].load(std::memory_order_relaxed);
          }
          return static_cast<ptrdiff_t>(i);
        }
      }
      return -1;
    }

    static bool KeyAt(const std::atomic<uint64_t>* w, const KeyWords& key) {
      for (size_t k = 0; k < kKeyWords; ++k) {
        if (w[1 + k].load(std::memory_order_relaxed) != key[k]) return false;
      }
      return true;
    }

    void Touch(size_t i) const {
      if (referenced[i].load(std::memory_order_relaxed) == 0) {
        referenced[i].store(1, std::memory_order_relaxed);
      }
    }

    // Writers only. Returns false if `key` is present, else true with the
    // first free slot of its probe run in `*hole`.
    bool FindHole(uint64_t tag, const KeyWords& key, size_t* hole) const {
      for (size_t i = Home(tag);; i = (i + 1) & mask) {
        const std::atomic<uint64_t>* w = At(i);
        const uint64_t t = w[0].load(std::memory_order_relaxed);
        if (t == 0) {
          *hole = i;
          return true;
        }
        if (t == tag && KeyAt(w, key)) return false;
      }
    }

    // Writers only. Puts an entry in the first free slot of its probe run.
    void Place(uint64_t tag, const uint64_t* key, const uint64_t* value,
               bool ref) {
      size_t i = Home(tag);
      while (At(i)[0].load(std::memory_order_relaxed) != 0) i = (i + 1) & mask;
      Fill(i, tag, key, value, ref);
    }

    // Writers only. Writes an entry into the free slot `i`.
    void Fill(size_t i, uint64_t tag, const uint64_t* key,
              const uint64_t* value, bool ref) {
      std::atomic<uint64_t>* w = At(i);
      for (size_t k = 0; k < kKeyWords; ++k) {
        w[1 + k].store(key[k], std::memory_order_relaxed);
      }
      for (size_t v = 0; v < kValueWords; ++v) {
        w[1 + kKeyWords + v].store(value[v], std::memory_order_relaxed);
      }
      referenced[i].store(ref, std::memory_order_relaxed);
      w[0].store(tag, std::memory_order_relaxed);
    }

    // Writers only. Empties slot `i` and shifts later entries of its probe
    // run back, so that no lookup stops early at the hole.
    void Erase(size_t i) {
      for (size_t j = (i + 1) & mask;; j = (j + 1) & mask) {
        const uint64_t t = At(j)[0].load(std::memory_order_relaxed);
        if (t == 0) break;
        const size_t home = Home(t);
        // The entry at j may move to i if its home is not in (i, j].
        const bool stays =
            i <= j ? (i < home && home <= j) : (i < home || home <= j);
        if (stays) continue;
        for (size_t w = 0; w < kStride; ++w) {
          At(i)[w].store(At(j)[w].load(std::memory_order_relaxed),
                         std::memory_order_relaxed);
        }
        referenced[i].store(referenced[j].load(std::memory_order_relaxed),
                            std::memory_order_relaxed);
        i = j;
      }
      At(i)[0].store(0, std::memory_order_relaxed);
    }

    // Empties every slot. (Fill() sets a slot's `referenced`.)
    void Reset() {
      for (size_t i = 0; i <= mask; ++i) {
        At(i)[0].store(0, std::memory_order_relaxed);
      }
    }

    const size_t mask;
    const std::unique_ptr<std::atomic<uint64_t>[]> words;
    const std::unique_ptr<std::atomic<uint8_t>[]> referenced;
  };

  // Writers exclude each other by making the sequence odd with one
  // compare-and-swap, and leave by making it even: one atomic
  // read-modify-write per insert, where an absl::Mutex takes two (measured:
  // they were 40 % of a cold fibonacci(50)). Waiters spin briefly, then
  // yield; every critical section is short but a Grow().
  class WriteSection {
   public:
    explicit WriteSection(SeqlockTable& t) : t_(t) {
      if constexpr (!kShared) return;
      for (int spins = 0;; ++spins) {
        uint64_t seq = t_.seq_.load(std::memory_order_relaxed);
        if ((seq & 1) == 0 && t_.seq_.compare_exchange_weak(
                                  seq, seq + 1, std::memory_order_acquire)) {
          break;
        }
        Backoff(spins);
      }
      std::atomic_thread_fence(std::memory_order_release);
    }
    ~WriteSection() {
      if constexpr (!kShared) return;
      t_.seq_.store(t_.seq_.load(std::memory_order_relaxed) + 1,
                    std::memory_order_release);
    }
    WriteSection(const WriteSection&) = delete;
    WriteSection& operator=(const WriteSection&) = delete;

   private:
    SeqlockTable& t_;
  };

  static void Backoff(int spins) {
    if (spins < 64) {
      __builtin_ia32_pause();
    } else {
      std::this_thread::yield();
    }
  }

  // The slow path of Find: a writer was in. Retries until a read is not
  // overlapped by a write.
  ABSL_ATTRIBUTE_NOINLINE bool FindAfterWrite(uint64_t tag, const KeyWords& key,
                                              ValueWords* value) const {
    for (int spins = 0;; ++spins) {
      const uint64_t seq = seq_.load(std::memory_order_acquire);
      if (seq & 1) {
        Backoff(spins);
        continue;
      }
      const Slots* slots = current_.load(std::memory_order_acquire);
      const ptrdiff_t i = slots->Lookup(tag, key, value);
      std::atomic_thread_fence(std::memory_order_acquire);
      if (seq_.load(std::memory_order_relaxed) == seq) {
        if (i >= 0 && capacity_ > 0) slots->Touch(i);
        return i >= 0;
      }
    }
  }

  void Publish(std::unique_ptr<Slots> slots) {
    current_.store(slots.get(), std::memory_order_release);
    arrays_.push_back(std::move(slots));
  }

  // Moves every entry into an array twice as large, published whole: a
  // reader sees the old array or the new one, both consistent.
  Slots* Grow() {
    const Slots& old = *current_.load(std::memory_order_relaxed);
    auto bigger = std::make_unique<Slots>(2 * (old.mask + 1));
    uint64_t words[kStride];
    for (size_t i = 0; i <= old.mask; ++i) {
      for (size_t w = 0; w < kStride; ++w) {
        words[w] = old.At(i)[w].load(std::memory_order_relaxed);
      }
      if (words[0] == 0) continue;
      bigger->Place(words[0], words + 1, words + 1 + kKeyWords,
                    old.referenced[i].load(std::memory_order_relaxed) != 0);
    }
    Slots* raw = bigger.get();
    Publish(std::move(bigger));
    return raw;
  }

  // CLOCK: at most two sweeps, since the table is full.
  void Evict(Slots& slots) {
    for (;;) {
      const size_t i = hand_;
      hand_ = (hand_ + 1) & slots.mask;
      if (slots.At(i)[0].load(std::memory_order_relaxed) == 0) continue;
      if (slots.referenced[i].load(std::memory_order_relaxed) != 0) {
        slots.referenced[i].store(0, std::memory_order_relaxed);
        continue;
      }
      slots.Erase(i);
      return;
    }
  }

  const size_t capacity_;
  // Read by every hit: on a cache line of their own. `seq_` is odd while a
  // writer is in; it is also the writers' lock.
  alignas(64) std::atomic<uint64_t> seq_{0};
  std::atomic<Slots*> current_{nullptr};
  alignas(64) std::atomic<size_t> published_size_{0};
  // Written only inside a WriteSection.
  std::vector<std::unique_ptr<Slots>> arrays_;
  size_t size_ = 0;
  size_t hand_ = 0;
};

}  // namespace decorators::memo_internal

#endif  // DECORATORS_INTERNAL_SEQLOCK_TABLE_H_
