// Memoize: the tutorial's `@memo` decorator (and `functools.lru_cache`).
//
//   auto fib = Memoize<uint64_t(int)>([](auto& self, int n) -> uint64_t {
//     return n <= 1 ? 1 : self(n - 1) + self(n - 2);
//   });
//   fib(50);  // 20365011074, in microseconds
//
// `Memoize<R(Args...)>(f)` returns a callable that caches `f`'s results by
// argument values. `f` is either `R(Args...)` or, to recurse through the
// cache, `R(Self&, Args...)` where `self(args...)` is the memoized function
// itself (the counterpart of the tutorial rebinding the name `fibonacci`).
//
// Keys are the decayed arguments, so each argument type must be copyable,
// equality-comparable and hashable by absl::Hash (ints, strings, vectors,
// tuples, ...). Every result is cached, including 0, empty or false: the
// tutorial's `if not res` treated those as misses and recomputed them.
//
// `MemoOptions::capacity` bounds the cache like `lru_cache(maxsize)`; 0 (the
// default) means unbounded. A full cache evicts by CLOCK (second chance), the
// usual approximation of least-recently-used for caches whose hits must not
// write shared state: an entry hit since the clock hand last passed it is
// kept, one not hit since it was stored goes first. It evicts what LRU does
// on `lru_cache`'s examples; on others it may keep an older entry. `stats()`
// and `Clear()` are `cache_info()` and `cache_clear()`.
//
// What a call costs (measured, with dates, in decorators/README.md):
// - Arguments that are plain bytes (integers, enums, pointers, bool: types
//   with unique object representations) and a trivially copyable result take
//   a lock-free table (internal/seqlock_table.h). The arguments are packed
//   into 64-bit words and hashed once; a hit probes an open-addressing array
//   under a sequence counter and writes nothing shared, so threads hitting
//   at once do not slow each other. A miss stores its result under the
//   writers' lock with one atomic compare-and-swap, which is most of what
//   separates a cold recursion from the thread-compatible variant below.
// - Other arguments (strings, vectors, ...) or results take a mutex-guarded
//   absl::flat_hash_map (internal/locked_table.h): a hit is an uncontended
//   lock and a probe, and threads hitting at once take turns.
// - Hits and misses are counted per thread (internal/hit_counts.h): a
//   relaxed load and store, no read-modify-write.
// - `operator()` is always inlined: a recursion like fibonacci's then costs
//   one native frame per level instead of three, and deep native recursion
//   mispredicts its returns once it is deeper than the CPU's return stack.
//
// Thread-safety: calls from many threads are safe. No lock is held while `f`
// runs (it may recurse, or be slow), so two threads missing on the same key
// at once may both compute it; the first result stored wins, as with
// `lru_cache`. Copies of a Memoized share one cache.
#ifndef DECORATORS_MEMOIZE_H_
#define DECORATORS_MEMOIZE_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "absl/hash/hash.h"
#include "decorators/internal/hit_counts.h"
#include "decorators/internal/locked_table.h"
#include "decorators/internal/seqlock_table.h"

namespace decorators {

struct MemoOptions {
  size_t capacity = 0;  // 0: unbounded
};

struct MemoStats {
  int64_t hits = 0;
  int64_t misses = 0;
  size_t size = 0;
  size_t capacity = 0;
};

namespace memo_internal {

// Arguments whose bytes are their value: equal bytes iff equal arguments.
template <typename T>
inline constexpr bool kPlainBytes = std::is_trivially_copyable_v<T>&&
    std::has_unique_object_representations_v<T>;

template <typename R>
inline constexpr bool kPlainResult =
    std::is_trivially_copyable_v<R>&& std::is_default_constructible_v<R>;

constexpr size_t WordsFor(size_t bytes) {
  return bytes == 0 ? 1 : (bytes + 7) / 8;
}

}  // namespace memo_internal

// Who may call a Memoized: any threads at once, or one thread at a time.
enum class MemoThreads { kMany, kOne };

template <typename Signature, MemoThreads kThreads = MemoThreads::kMany>
class Memoized;

template <typename R, typename... Args, MemoThreads kThreads>
class Memoized<R(Args...), kThreads> {
  static_assert(!std::is_void_v<R>,
                "a function returning void has nothing "
                "to cache");
  static_assert((std::is_copy_constructible_v<std::decay_t<Args>> && ...),
                "memoized arguments become cache keys: they must be copyable");

 public:
  using Key = std::tuple<std::decay_t<Args>...>;
  using Self = Memoized<R(Args...), kThreads>;

  template <typename F>
  Memoized(F f, MemoOptions options)
      : state_(std::make_shared<State>(options.capacity)) {
    if constexpr (std::is_invocable_r_v<R, F&, Self&, Args...>) {
      state_->fn = [f = std::move(f)](Self& self, Args... args) mutable -> R {
        return std::invoke(f, self, std::forward<Args>(args)...);
      };
    } else {
      static_assert(std::is_invocable_r_v<R, F&, Args...>,
                    "Memoize<R(Args...)>(f): f must be callable as "
                    "R(Args...) or R(Self&, Args...)");
      state_->fn = [f = std::move(f)](Self&, Args... args) mutable -> R {
        return std::invoke(f, std::forward<Args>(args)...);
      };
    }
  }

  ABSL_ATTRIBUTE_ALWAYS_INLINE R operator()(Args... args) {
    State& s = *state_;
    if constexpr (kLockFree) {
      const KeyWords key = Pack(args...);
      const uint64_t hash = absl::Hash<KeyWords>{}(key);
      ValueWords words;
      if (ABSL_PREDICT_TRUE(s.table.Find(hash, key, &words))) {
        s.counts.AddHit();
        return Unpack(words);
      }
      return Miss(hash, key, std::forward<Args>(args)...);
    } else {
      Key key(args...);
      if (std::optional<R> hit = s.table.Find(key)) {
        s.counts.AddHit();
        return *std::move(hit);
      }
      s.counts.AddMiss();
      R result = s.fn(*this, std::forward<Args>(args)...);
      s.table.Insert(key, result);
      return result;
    }
  }

  // A sum over threads: exact once calls have returned; while other threads
  // call, a recent value.
  MemoStats stats() const {
    const State& s = *state_;
    MemoStats stats;
    stats.hits = s.counts.SumHits() - s.cleared_hits.load();
    stats.misses = s.counts.SumMisses() - s.cleared_misses.load();
    stats.size = s.table.size();
    stats.capacity = s.table.capacity();
    return stats;
  }

  void Clear() {
    State& s = *state_;
    s.table.Clear();
    s.cleared_hits.store(s.counts.SumHits());
    s.cleared_misses.store(s.counts.SumMisses());
  }

 private:
  static constexpr bool kShared = kThreads == MemoThreads::kMany;
  static constexpr bool kLockFree =
      (memo_internal::kPlainBytes<std::decay_t<Args>> && ...) &&
      memo_internal::kPlainResult<R>;
  static constexpr size_t kKeyWords =
      memo_internal::WordsFor((sizeof(std::decay_t<Args>) + ... + 0));
  static constexpr size_t kValueWords = memo_internal::WordsFor(sizeof(R));
  using KeyWords = std::array<uint64_t, kKeyWords>;
  using ValueWords = std::array<uint64_t, kValueWords>;
  using Table = std::conditional_t<
      kLockFree, memo_internal::SeqlockTable<kKeyWords, kValueWords, kShared>,
      memo_internal::LockedTable<Key, R>>;

  // Out of line, so that a hit does not pay for the miss path's frame.
  template <typename K>
  ABSL_ATTRIBUTE_ALWAYS_INLINE R Miss(uint64_t hash, const K& key,
                                      Args... args) {
    State& s = *state_;
    s.counts.AddMiss();
    R result = s.fn(*this, std::forward<Args>(args)...);
    s.table.Insert(hash, key, PackResult(result));
    return result;
  }

  // The arguments' bytes, back to back, zero-padded to whole words.
  static KeyWords Pack(const std::decay_t<Args>&... args) {
    KeyWords words{};
    [[maybe_unused]] char* p = reinterpret_cast<char*>(words.data());
    ((std::memcpy(p, &args, sizeof(args)), p += sizeof(args)), ...);
    return words;
  }
  static ValueWords PackResult(const R& value) {
    ValueWords words{};
    std::memcpy(words.data(), &value, sizeof(R));
    return words;
  }
  static R Unpack(const ValueWords& words) {
    R value;
    std::memcpy(static_cast<void*>(&value), words.data(), sizeof(R));
    return value;
  }

  struct State {
    explicit State(size_t capacity) : table(capacity) {}

    std::function<R(Self&, Args...)> fn;
    Table table;
    memo_internal::HitCounts<kShared> counts;
    // The counts at the last Clear(), subtracted by stats().
    std::atomic<int64_t> cleared_hits{0};
    std::atomic<int64_t> cleared_misses{0};
  };

  std::shared_ptr<State> state_;
};

// Memoize<R(Args...)>(f[, options]): see above.
template <typename Signature, typename F>
Memoized<Signature> Memoize(F f, MemoOptions options = {}) {
  return Memoized<Signature>(std::move(f), options);
}

// The same cache for a function called from one thread at a time (it and
// its copies): thread-compatible, not thread-safe. It drops what sharing
// costs: the atomic read-modify-write per stored result, the sequence checks
// per lookup and the per-thread counters, which makes a cold recursion
// faster (decorators/README.md); hits cost the same. Arguments that are not
// plain bytes still take a mutex.
template <typename Signature, typename F>
Memoized<Signature, MemoThreads::kOne> MemoizeThreadCompatible(
    F f, MemoOptions options = {}) {
  return Memoized<Signature, MemoThreads::kOne>(std::move(f), options);
}

}  // namespace decorators

#endif  // DECORATORS_MEMOIZE_H_
