#include "classes/players.h"

#include <array>
#include <cstdlib>
#include <memory>
#include <vector>

#include "classes/heap_counter.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/testing/status_matchers.h"

namespace classes {
namespace {

// Keeps an allocation from being optimized away.
void* volatile g_keep = nullptr;

using ::testing::ElementsAre;
using ::testing_util::IsOk;
using ::testing_util::StatusIs;

constexpr int kN = 10000;

template <typename MakeAll>
int64_t BytesFor(MakeAll make_all) {
  HeapCounts before = CurrentHeap();
  auto kept = make_all();
  return CurrentHeap().usable - before.usable;
}

// What is allocated is counted while it lives, and no longer once freed.
TEST(HeapCounterTest, WhatIsFreedIsNoLongerCounted) {
  const HeapCounts before = CurrentHeap();
  HeapCounts during;
  {
    auto block = std::make_unique<std::array<char, 1000>>();
    g_keep = block.get();
    during = CurrentHeap();
  }
  const HeapCounts after = CurrentHeap();
  EXPECT_GE(during.usable - before.usable, 1000);
  EXPECT_EQ(after.usable, before.usable);
  EXPECT_EQ(after.blocks, before.blocks);
}

// glibc's own statistics grow with what malloc hands out; under a
// sanitizer, whose allocator is not glibc's, there are none to read: -1.
TEST(HeapCounterTest, MallocInUseIsGlibcsCountOrMinusOneUnderASanitizer) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  EXPECT_EQ(MallocInUse(), -1);
#else
  const int64_t before = MallocInUse();
  void* block = std::malloc(1 << 20);
  g_keep = block;
  const int64_t during = MallocInUse();
  std::free(block);
  EXPECT_GE(before, 0);
  EXPECT_GE(during - before, 1 << 20);
#endif
}

TEST(PlayersTest, DynamicAttributesLikeDict) {
  DynamicPlayer p("0001", "Jim", 20);
  EXPECT_THAT(p.AttributeNames(), ElementsAre("level", "name", "uid"));
  p.Set("z", int64_t{300});
  EXPECT_EQ(std::get<int64_t>(*p.Get("z")), 300);
  EXPECT_EQ(std::get<int64_t>(*p.Pop("z")), 300);
  EXPECT_THAT(p.Get("z").status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(p.Pop("z").status(), StatusIs(absl::StatusCode::kNotFound));
}

TEST(PlayersTest, MeasuredMemoryOrdersTheLayouts) {
  int64_t plain = BytesFor([] {
    std::vector<Player> v;
    v.reserve(kN);
    for (int i = 0; i < kN; ++i) v.push_back({"0001", "Jim", 20});
    return v;
  });
  int64_t dynamic = BytesFor([] {
    std::vector<DynamicPlayer> v;
    v.reserve(kN);
    for (int i = 0; i < kN; ++i) v.emplace_back("0001", "Jim", 20);
    return v;
  });
  int64_t compact = BytesFor([] {
    NameTable names;
    std::vector<CompactPlayer> v;
    v.reserve(kN);
    for (int i = 0; i < kN; ++i) v.push_back({1, names.Intern("Jim"), 20});
    return std::make_pair(std::move(names), std::move(v));
  });
  // The plain struct costs its sizeof and no per-instance heap block.
  EXPECT_GE(plain, int64_t{kN} * static_cast<int64_t>(sizeof(Player)));
  // Allocators round a large block up a little (a page under TSan).
  EXPECT_LT(plain,
            int64_t{kN} * static_cast<int64_t>(sizeof(Player)) * 101 / 100);
  EXPECT_GT(dynamic, 3 * plain);  // a hash table per instance
  EXPECT_LT(compact, plain / 4);  // 12 bytes and one shared name
}

TEST(PlayersTest, AddingThenRemovingAnAttributeLeavesTheTableBigger) {
  DynamicPlayer p("0001", "Jim", 20);
  size_t before = p.capacity();
  p.Set("z", int64_t{300});
  ASSERT_THAT(p.Pop("z").status(), IsOk());
  EXPECT_GT(p.capacity(), before);  // history matters, as in CPython
}

TEST(PlayersTest, NameTableStoresEachNameOnce) {
  NameTable t;
  uint32_t a = t.Intern("Jim");
  EXPECT_EQ(t.Intern("Ann"), a + 1);
  EXPECT_EQ(t.Intern("Jim"), a);
  EXPECT_EQ(t.Name(a), "Jim");
  EXPECT_EQ(t.size(), 2u);
}

}  // namespace
}  // namespace classes
