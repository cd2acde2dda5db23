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
// Keys are the decayed arguments as a std::tuple, hashed with absl::Hash and
// stored in an absl::flat_hash_map, so each argument type must be copyable,
// equality-comparable and hashable by absl::Hash (ints, strings, vectors,
// tuples, ...). Every result is cached, including 0, empty or false: the
// tutorial's `if not res` treated those as misses and recomputed them.
//
// `MemoOptions::capacity` bounds the cache with least-recently-used eviction,
// like `lru_cache(maxsize)`; 0 (the default) means unbounded. `stats()` and
// `Clear()` are `cache_info()` and `cache_clear()`.
//
// Thread-safety: calls from many threads are safe. The lock is not held
// while `f` runs (it may recurse, or be slow), so two threads missing on the
// same key at once may both compute it; the first result stored wins, as
// with `lru_cache`. Copies of a Memoized share one cache.
#ifndef DECORATORS_MEMOIZE_H_
#define DECORATORS_MEMOIZE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/synchronization/mutex.h"

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

template <typename Signature>
class Memoized;

template <typename R, typename... Args>
class Memoized<R(Args...)> {
  static_assert(!std::is_void_v<R>,
                "a function returning void has nothing "
                "to cache");
  static_assert((std::is_copy_constructible_v<std::decay_t<Args>> && ...),
                "memoized arguments become cache keys: they must be copyable");

 public:
  using Key = std::tuple<std::decay_t<Args>...>;
  using Self = Memoized<R(Args...)>;

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

  R operator()(Args... args) {
    Key key(args...);
    if (std::optional<R> hit = state_->Find(key)) return *std::move(hit);
    R result = state_->fn(*this, std::forward<Args>(args)...);
    state_->Insert(std::move(key), result);
    return result;
  }

  MemoStats stats() const { return state_->Stats(); }
  void Clear() { state_->Clear(); }

 private:
  struct State {
    explicit State(size_t capacity) : capacity(capacity) {}

    std::optional<R> Find(const Key& key) ABSL_LOCKS_EXCLUDED(mu) {
      absl::MutexLock l(&mu);
      auto it = index.find(key);
      if (it == index.end()) {
        ++misses;
        return std::nullopt;
      }
      ++hits;
      if (capacity > 0) order.splice(order.begin(), order, it->second);
      return it->second->second;
    }

    void Insert(Key key, const R& value) ABSL_LOCKS_EXCLUDED(mu) {
      absl::MutexLock l(&mu);
      if (index.contains(key)) return;  // another thread stored it first
      order.emplace_front(key, value);
      index.emplace(std::move(key), order.begin());
      if (capacity > 0 && index.size() > capacity) {
        index.erase(order.back().first);
        order.pop_back();
      }
    }

    MemoStats Stats() ABSL_LOCKS_EXCLUDED(mu) {
      absl::MutexLock l(&mu);
      return {hits, misses, index.size(), capacity};
    }

    void Clear() ABSL_LOCKS_EXCLUDED(mu) {
      absl::MutexLock l(&mu);
      index.clear();
      order.clear();
      hits = misses = 0;
    }

    using Order = std::list<std::pair<Key, R>>;
    std::function<R(Self&, Args...)> fn;
    const size_t capacity;
    absl::Mutex mu;
    // `order` holds the entries, most recently used first; `index` finds
    // them. (The list is only reordered when a capacity is set.)
    Order order ABSL_GUARDED_BY(mu);
    absl::flat_hash_map<Key, typename Order::iterator> index
        ABSL_GUARDED_BY(mu);
    int64_t hits ABSL_GUARDED_BY(mu) = 0;
    int64_t misses ABSL_GUARDED_BY(mu) = 0;
  };

  std::shared_ptr<State> state_;
};

// Memoize<R(Args...)>(f[, options]): see above.
template <typename Signature, typename F>
Memoized<Signature> Memoize(F f, MemoOptions options = {}) {
  return Memoized<Signature>(std::move(f), options);
}

}  // namespace decorators

#endif  // DECORATORS_MEMOIZE_H_
