#include "decorators/memoize.h"

#include <array>
#include <atomic>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/hash/hash.h"
#include "absl/numeric/int128.h"
#include "absl/strings/str_cat.h"
#include "decorators/internal/seqlock_table.h"
#include "gtest/gtest.h"

namespace decorators {
namespace {

TEST(MemoizeTest, FibonacciRecursesThroughTheCache) {
  int calls = 0;
  auto fib = Memoize<uint64_t(int)>([&calls](auto& self, int n) -> uint64_t {
    ++calls;
    return n <= 1 ? 1 : self(n - 1) + self(n - 2);
  });
  EXPECT_EQ(fib(50), 20365011074u);  // the tutorial's F(0) = F(1) = 1
  EXPECT_EQ(calls, 51);              // each n in [0, 50] computed once
  MemoStats s = fib.stats();
  EXPECT_EQ(s.misses, 51);
  EXPECT_EQ(s.hits, 48);  // self(n - 2) for n in [3, 50]
  EXPECT_EQ(s.size, 51u);
  EXPECT_EQ(fib(50), 20365011074u);
  EXPECT_EQ(calls, 51);
}

TEST(MemoizeTest, ClimbNeeds128BitsAndCachesZeroResults) {
  int calls = 0;
  auto climb = Memoize<absl::uint128(int, std::vector<int>)>(
      [&calls](auto& self, int n, std::vector<int> steps) -> absl::uint128 {
        ++calls;
        if (n == 0) return 1;
        if (n < 0) return 0;
        absl::uint128 count = 0;
        for (int step : steps) count += self(n - step, steps);
        return count;
      });
  absl::uint128 ways = climb(100, {1, 2, 3});
  std::ostringstream text;
  text << ways;
  EXPECT_EQ(text.str(), "180396380815100901214157639");
  EXPECT_GT(ways, absl::uint128(UINT64_MAX));
  // 103 distinct arguments (-2..100): each computed exactly once. The
  // tutorial's `if not res` recomputed the cached 0 of n = -1 (104 calls).
  EXPECT_EQ(calls, 103);
  EXPECT_EQ(climb.stats().size, 103u);
}

TEST(MemoizeTest, NonRecursiveFunctionsAndStrings) {
  int calls = 0;
  auto upper =
      Memoize<std::string(const std::string&)>([&calls](const std::string& s) {
        ++calls;
        return absl::StrCat(s, "!");
      });
  EXPECT_EQ(upper("a"), "a!");
  EXPECT_EQ(upper("a"), "a!");
  EXPECT_EQ(upper("b"), "b!");
  EXPECT_EQ(calls, 2);
}

// With no capacity given the cache is unbounded, as lru_cache(None):
// nothing is ever evicted, for plain-byte keys and for strings alike.
TEST(MemoizeTest, ByDefaultNothingIsEvicted) {
  int calls = 0;
  auto square = Memoize<int(int)>([&calls](int x) {
    ++calls;
    return x * x;
  });
  auto twice =
      Memoize<std::string(const std::string&)>([&calls](const std::string& s) {
        ++calls;
        return s + s;
      });
  for (int round = 0; round < 2; ++round) {
    for (int x = 0; x < 500; ++x) {
      EXPECT_EQ(square(x), x * x);
      EXPECT_EQ(twice(absl::StrCat(x)), absl::StrCat(x, x));
    }
  }
  EXPECT_EQ(calls, 1000);
  EXPECT_EQ(square.stats().hits, 500);
  EXPECT_EQ(twice.stats().hits, 500);
}

TEST(MemoizeTest, FalsyResultsAreHits) {
  int calls = 0;
  auto zero = Memoize<int(int)>([&calls](int) {
    ++calls;
    return 0;
  });
  zero(1);
  zero(1);
  zero(1);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(zero.stats().hits, 2);
}

TEST(MemoizeTest, LeastRecentlyUsedEviction) {
  std::vector<int> computed;
  auto square = Memoize<int(int)>(
      [&computed](int x) {
        computed.push_back(x);
        return x * x;
      },
      {.capacity = 2});
  square(1);
  square(2);
  square(1);  // 1 is now the most recent
  square(3);  // evicts 2
  EXPECT_EQ(square.stats().size, 2u);
  square(1);  // still cached
  square(2);  // recomputed
  EXPECT_EQ(computed, (std::vector<int>{1, 2, 3, 2}));
  EXPECT_EQ(square.stats().capacity, 2u);
}

TEST(MemoizeTest, ClearEmptiesTheCacheAndStats) {
  int calls = 0;
  auto id = Memoize<int(int)>([&calls](int x) {
    ++calls;
    return x;
  });
  id(1);
  id.Clear();
  EXPECT_EQ(id.stats().size, 0u);
  EXPECT_EQ(id.stats().misses, 0);
  id(1);
  EXPECT_EQ(calls, 2);
}

TEST(MemoizeTest, CopiesShareOneCache) {
  int calls = 0;
  auto a = Memoize<int(int)>([&calls](int x) {
    ++calls;
    return x;
  });
  auto b = a;
  a(7);
  b(7);
  EXPECT_EQ(calls, 1);
}

TEST(MemoizeTest, ManyThreadsAgreeOnEveryValue) {
  std::atomic<int> calls{0};
  auto fib = Memoize<uint64_t(int)>([&calls](auto& self, int n) -> uint64_t {
    calls.fetch_add(1);
    return n <= 1 ? 1 : self(n - 1) + self(n - 2);
  });
  std::vector<std::thread> threads;
  std::vector<uint64_t> results(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int n = 0; n <= 90; ++n) results[t] = fib(n);
    });
  }
  for (auto& t : threads) t.join();
  for (uint64_t r : results)
    EXPECT_EQ(r, 4660046610375530309u);  // F(90), with F(0) = F(1) = 1
  // Races may compute a value twice, never more often than once per thread
  // (nothing is evicted, and a thread never misses a key it has stored).
  EXPECT_LE(calls.load(), 8 * 91);
  EXPECT_EQ(fib.stats().size, 91u);
}

TEST(MemoizeTest, BoundedCacheUnderManyThreads) {
  auto fib = Memoize<uint64_t(int)>(
      [](auto& self, int n) -> uint64_t {
        return n <= 1 ? 1 : self(n - 1) + self(n - 2);
      },
      {.capacity = 64});
  std::vector<std::thread> threads;
  std::vector<uint64_t> results(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int n = 0; n <= 90; ++n) results[t] = fib(n);
    });
  }
  for (auto& t : threads) t.join();
  for (uint64_t r : results) EXPECT_EQ(r, 4660046610375530309u);
  EXPECT_LE(fib.stats().size, 64u);
}

TEST(MemoizeThreadCompatibleTest, CachesCountsAndEvictsAsMemoizeDoes) {
  int calls = 0;
  auto fib = MemoizeThreadCompatible<uint64_t(int)>(
      [&calls](auto& self, int n) -> uint64_t {
        ++calls;
        return n <= 1 ? 1 : self(n - 1) + self(n - 2);
      });
  EXPECT_EQ(fib(50), 20365011074u);
  EXPECT_EQ(calls, 51);
  EXPECT_EQ(fib.stats().hits, 48);
  EXPECT_EQ(fib.stats().misses, 51);
  fib.Clear();
  EXPECT_EQ(fib.stats().size, 0u);
  EXPECT_EQ(fib(50), 20365011074u);
  EXPECT_EQ(calls, 102);

  std::vector<int> computed;
  auto square = MemoizeThreadCompatible<int(int)>(
      [&computed](int x) {
        computed.push_back(x);
        return x * x;
      },
      {.capacity = 2});
  for (int x : {1, 2, 1, 3, 1, 2}) square(x);
  EXPECT_EQ(computed, (std::vector<int>{1, 2, 3, 2}));
  EXPECT_EQ(square.stats().size, 2u);
}

TEST(MemoizeTest, ClockKeepsEntriesHitSinceTheHandPassed) {
  std::vector<int> computed;
  auto square = Memoize<int(int)>(
      [&computed](int x) {
        computed.push_back(x);
        return x * x;
      },
      {.capacity = 3});
  for (int x : {1, 2, 3, 1, 3}) square(x);
  square(4);  // 2 is the only entry not hit since it was stored
  for (int x : {1, 3, 4, 2}) square(x);
  EXPECT_EQ(computed, (std::vector<int>{1, 2, 3, 4, 2}));
  EXPECT_EQ(square.stats().size, 3u);
}

TEST(MemoizeTest, StringKeysEvictTheSameWay) {
  std::vector<std::string> computed;
  auto shout = Memoize<std::string(std::string)>(
      [&computed](std::string s) {
        computed.push_back(s);
        return absl::StrCat(s, "!");
      },
      {.capacity = 2});
  for (const char* s : {"a", "b", "a", "c", "a", "b"}) shout(s);
  EXPECT_EQ(computed, (std::vector<std::string>{"a", "b", "c", "b"}));
  EXPECT_EQ(shout("b"), "b!");
  EXPECT_EQ(shout.stats().size, 2u);
}

// When every entry was hit since the hand last passed, the hand clears them
// all on one sweep and takes the first it passed: a new key still gets a
// place.
TEST(MemoizeTest, AFullCacheOfHitEntriesStillTakesANewKey) {
  std::vector<std::string> computed;
  auto shout = Memoize<std::string(std::string)>(
      [&computed](std::string s) {
        computed.push_back(s);
        return absl::StrCat(s, "!");
      },
      {.capacity = 2});
  for (const char* s : {"a", "b", "a", "b", "c", "b", "a"}) shout(s);
  EXPECT_EQ(computed, (std::vector<std::string>{"a", "b", "c", "a"}));
  // Plain keys live in a hash table whose slots are the clock face: which
  // of the two goes depends on the hash (and differs between builds).
  std::vector<int> squared;
  auto square = Memoize<int(int)>(
      [&squared](int x) {
        squared.push_back(x);
        return x * x;
      },
      {.capacity = 2});
  for (int x : {1, 2, 1, 2, 3, 3}) square(x);
  EXPECT_EQ(squared, (std::vector<int>{1, 2, 3}));  // 3 was kept, and hit
  EXPECT_EQ(square.stats().size, 2u);
}

TEST(MemoizeTest, SeveralWordKeysAndWideResults) {
  int calls = 0;
  auto f = Memoize<absl::uint128(int, int64_t, bool, char)>(
      [&calls](int a, int64_t b, bool c, char d) {
        ++calls;
        return absl::MakeUint128(a, b) + (c ? d : 0);
      });
  EXPECT_EQ(f(1, 2, true, 'x'), absl::MakeUint128(1, 2 + 'x'));
  EXPECT_EQ(f(1, 2, false, 'x'), absl::MakeUint128(1, 2));
  EXPECT_EQ(f(1, 2, true, 'y'), absl::MakeUint128(1, 2 + 'y'));
  EXPECT_EQ(f(1, 2, true, 'x'), absl::MakeUint128(1, 2 + 'x'));
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(f.stats().hits, 1);
}

TEST(MemoizeTest, ResultsStayRightWhileTheTableGrows) {
  auto id = Memoize<int64_t(int64_t)>([](int64_t x) { return 3 * x + 1; });
  for (int64_t x = 0; x < 16; ++x) id(x);
  std::atomic<bool> done{false};
  std::atomic<int> wrong{0};
  std::thread reader([&] {
    while (!done.load()) {
      for (int64_t x = 0; x < 16; ++x) {
        if (id(x) != 3 * x + 1) wrong.fetch_add(1);
      }
    }
  });
  for (int64_t x = 16; x < 20000; ++x) ASSERT_EQ(id(x), 3 * x + 1);
  done.store(true);
  reader.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(id.stats().size, 20000u);
}

// Hits from two threads while a third fills a small cache past its capacity:
// every result is right, the bound holds, and every call is counted once.
template <typename Key, typename MakeKey>
void HitWhileEvicting(MakeKey make_key) {
  auto f = Memoize<int64_t(Key)>(
      [](const Key& k) {
        return static_cast<int64_t>(absl::Hash<Key>{}(k) % 1000003);
      },
      {.capacity = 64});
  auto expected = [](const Key& k) {
    return static_cast<int64_t>(absl::Hash<Key>{}(k) % 1000003);
  };
  constexpr int kRounds = 2000;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&] {
      for (int round = 0; round < kRounds; ++round) {
        for (int i = 0; i < 8; ++i) {
          if (f(make_key(i)) != expected(make_key(i))) wrong.fetch_add(1);
        }
      }
    });
  }
  threads.emplace_back([&] {
    for (int i = 100; i < 100 + 8 * kRounds; ++i) {
      if (f(make_key(i)) != expected(make_key(i))) wrong.fetch_add(1);
    }
  });
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  MemoStats s = f.stats();
  EXPECT_LE(s.size, 64u);
  EXPECT_EQ(s.hits + s.misses, 3 * 8 * kRounds);
}

TEST(MemoizeTest, HitsDuringEvictionWithIntKeys) {
  HitWhileEvicting<int>([](int i) { return i; });
}

TEST(MemoizeTest, HitsDuringEvictionWithStringKeys) {
  HitWhileEvicting<std::string>([](int i) { return absl::StrCat("k", i); });
}

// Keys whose hashes collide are still different keys: the tag (the hash)
// only short-cuts the comparison, in a lookup and in an insertion alike.
TEST(SeqlockTableTest, KeysWithTheSameHashAreKeptApart) {
  // On the heap, as Memoize keeps it: its cache-line alignment is more than
  // ASan's fake stack frames (detect_stack_use_after_return) promise.
  auto owned = std::make_unique<memo_internal::SeqlockTable<1, 1>>(0);
  memo_internal::SeqlockTable<1, 1>& table = *owned;
  constexpr uint64_t kHash = 0x5eed;
  for (uint64_t k = 1; k <= 40; ++k) {  // enough to grow the table twice
    table.Insert(kHash, {k}, {10 * k});
  }
  EXPECT_EQ(table.size(), 40u);
  for (uint64_t k = 1; k <= 40; ++k) {
    std::array<uint64_t, 1> value{};
    ASSERT_TRUE(table.Find(kHash, {k}, &value)) << k;
    EXPECT_EQ(value[0], 10 * k);
  }
  std::array<uint64_t, 1> value{};
  EXPECT_FALSE(table.Find(kHash, {41}, &value));
  EXPECT_FALSE(table.Find(kHash + 2, {1}, &value));  // same key, other hash
}

}  // namespace
}  // namespace decorators
