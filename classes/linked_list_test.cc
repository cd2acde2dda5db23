#include "classes/linked_list.h"

#include <atomic>

#include "gtest/gtest.h"

namespace classes {
namespace {

std::atomic<int64_t> g_live{0};

struct Counted {
  explicit Counted(int v) : value(v) { ++g_live; }
  Counted(Counted&& o) noexcept : value(o.value) { ++g_live; }
  ~Counted() { --g_live; }
  int value;
};

TEST(LinkedListTest, WeakBackLinksFreeEveryNode) {
  g_live = 0;
  {
    LinkedList<Counted> list;
    for (int i = 1; i <= 1000; ++i) list.PushBack(Counted(i));
    EXPECT_EQ(g_live.load(), 1000);
    auto second = list.head()->right;
    EXPECT_EQ(second->data.value, 2);
    EXPECT_EQ(second->Left(), list.head());  // head.right.left is head
    EXPECT_EQ(list.head()->Left(), nullptr);
  }
  EXPECT_EQ(g_live.load(), 0);
}

TEST(LinkedListTest, ABackLinkDoesNotKeepItsTargetAlive) {
  g_live = 0;
  std::shared_ptr<LinkedList<Counted>::Node> second;
  {
    LinkedList<Counted> list;
    list.PushBack(Counted(1));
    list.PushBack(Counted(2));
    list.PushBack(Counted(3));
    second = list.head()->right;  // an outside owner of node 2 only
    ASSERT_NE(second->Left(), nullptr);
    EXPECT_EQ(second->Left()->data.value, 1);
  }
  // The list is gone. Node 2 lives on (we own it) and so does node 3 (node
  // 2's right owns it), but node 1, held only by node 2's weak left link,
  // was freed: like `a2()` returning None after `del a`.
  EXPECT_EQ(g_live.load(), 2);
  EXPECT_EQ(second->Left(), nullptr);
  EXPECT_EQ(second->right->Left(), second);
  second.reset();
  EXPECT_EQ(g_live.load(), 0);
}

TEST(LinkedListTest, OwningBackLinksLeakUntilBrokenByHand) {
  g_live = 0;
  std::weak_ptr<LeakyNode<Counted>> watch;
  {
    auto head = std::make_shared<LeakyNode<Counted>>(Counted(1));
    auto next = std::make_shared<LeakyNode<Counted>>(Counted(2));
    head->right = next;
    next->left = head;  // owning: a cycle
    watch = head;
  }
  // Nothing outside points at them any more, yet both are alive.
  EXPECT_EQ(g_live.load(), 2);
  ASSERT_NE(watch.lock(), nullptr);
  watch.lock()->right->left.reset();  // break the cycle
  EXPECT_EQ(g_live.load(), 0);
}

TEST(LinkedListTest, TenMillionNodesDoNotOverflowTheStack) {
  g_live = 0;
  {
    LinkedList<Counted> list;
    for (int i = 0; i < 10'000'000; ++i) list.PushBack(Counted(i));
    EXPECT_EQ(list.size(), 10'000'000u);
  }  // a recursive destructor chain would need ~10M frames here
  EXPECT_EQ(g_live.load(), 0);
}

TEST(LinkedListTest, ClearAndReuse) {
  g_live = 0;
  LinkedList<Counted> list;
  list.PushBack(Counted(1));
  list.Clear();
  EXPECT_EQ(g_live.load(), 0);
  list.PushBack(Counted(2));
  EXPECT_EQ(list.head()->data.value, 2);
  EXPECT_EQ(list.size(), 1u);
}

}  // namespace
}  // namespace classes
