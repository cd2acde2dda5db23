// Lesson 7: memory in cyclic structures: weak back links let reference
// counting free a doubly linked list; owning ones leak it.
//
//   bazel run -c opt //classes:linked_list
#include <atomic>
#include <cstdio>
#include <memory>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/time/clock.h"
#include "classes/linked_list.h"

ABSL_FLAG(int, n, 1000, "Nodes of the tutorial's list.");
ABSL_FLAG(int, big, 10000000, "Nodes of the list destroyed iteratively.");

namespace {

std::atomic<int64_t> g_live{0};

struct Data {
  explicit Data(int v) : value(v) { ++g_live; }
  Data(Data&& o) noexcept : value(o.value) { ++g_live; }
  ~Data() { --g_live; }
  int value;
};

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "head = create_linklist(1000); head = None frees every node.");
  absl::ParseCommandLine(argc, argv);

  {
    auto a = std::make_shared<Data>(1);
    std::weak_ptr<Data> a2 = a;  // a2 = weakref.ref(a)
    std::shared_ptr<Data> a3 = a2.lock();
    std::printf("a3 is a: %s\n", a3 == a ? "True" : "False");
    a.reset();
    a3.reset();
    std::printf("a2() is None: %s\n", a2.lock() == nullptr ? "True" : "False");
  }
  {
    classes::LinkedList<Data> list;
    for (int i = 1; i <= absl::GetFlag(FLAGS_n); ++i) list.PushBack(Data(i));
    auto second = list.head()->right;
    std::printf("head.right = Node:<%d>, head.right.left = Node:<%d>\n",
                second->data.value, second->Left()->data.value);
    std::printf("live nodes: %lld\n", static_cast<long long>(g_live.load()));
  }  // head = None
  std::printf("after head = None: %lld live nodes\n",
              static_cast<long long>(g_live.load()));
  {
    std::weak_ptr<classes::LeakyNode<Data>> watch;
    {
      auto head = std::make_shared<classes::LeakyNode<Data>>(Data(1));
      head->right = std::make_shared<classes::LeakyNode<Data>>(Data(2));
      head->right->left = head;  // an owning back link: a cycle
      watch = head;
    }
    std::printf(
        "with owning back links, after dropping the head: %lld live "
        "nodes (leaked)\n",
        static_cast<long long>(g_live.load()));
    watch.lock()->right->left.reset();  // break the cycle by hand
    std::printf("after breaking the cycle: %lld live nodes\n",
                static_cast<long long>(g_live.load()));
  }
  {
    const int big = absl::GetFlag(FLAGS_big);
    absl::Time t0 = absl::Now();
    {
      classes::LinkedList<Data> list;
      for (int i = 0; i < big; ++i) list.PushBack(Data(i));
      std::printf("%d nodes built in %s; destroying...\n", big,
                  absl::FormatDuration(absl::Now() - t0).c_str());
      t0 = absl::Now();
    }
    std::printf(
        "destroyed iteratively in %s, %lld live nodes (a recursive "
        "destructor chain would have overflowed the stack)\n",
        absl::FormatDuration(absl::Now() - t0).c_str(),
        static_cast<long long>(g_live.load()));
  }
  return 0;
}
