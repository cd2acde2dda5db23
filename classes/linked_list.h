// LinkedList: memory in cyclic structures, the tutorial's doubly linked
// `Node` whose right link owns and whose left link is a `weakref`.
//
// Forward links are `shared_ptr` (they own the next node); back links are
// `weak_ptr` (they observe the previous one without keeping it alive). A node
// and its neighbour therefore never own each other, and dropping the head
// frees every node, which reference counting alone cannot do for a cycle.
// `LeakyNode` below is the counter-example: owning links both ways.
//
// Destruction is iterative. The naive chain (the head's destructor destroys
// its `right`, whose destructor destroys its `right`, ...) recurses once per
// node and overflows an 8 MiB stack somewhere below a million nodes; here the
// list unlinks its nodes one at a time, so 10,000,000 nodes are fine
// (tested).
//
// Not thread-safe (a container, like std::list).
#ifndef CLASSES_LINKED_LIST_H_
#define CLASSES_LINKED_LIST_H_

#include <cstddef>
#include <memory>
#include <utility>

namespace classes {

template <typename T>
class LinkedList {
 public:
  struct Node {
    explicit Node(T d) : data(std::move(d)) {}
    T data;
    std::shared_ptr<Node> right;  // owns the next node
    std::weak_ptr<Node> left;     // observes the previous one

    // The previous node, or null (Python's `node.left` property).
    std::shared_ptr<Node> Left() const { return left.lock(); }
  };

  LinkedList() = default;
  LinkedList(const LinkedList&) = delete;
  LinkedList& operator=(const LinkedList&) = delete;
  LinkedList(LinkedList&& other) noexcept
      : head_(std::move(other.head_)),
        tail_(std::move(other.tail_)),
        size_(std::exchange(other.size_, 0)) {}
  ~LinkedList() { Clear(); }

  // `current.add_right(node)`.
  Node& PushBack(T data) {
    auto node = std::make_shared<Node>(std::move(data));
    if (std::shared_ptr<Node> tail = tail_.lock()) {
      tail->right = node;
      node->left = tail;
    } else {
      head_ = node;
    }
    tail_ = node;
    ++size_;
    return *node;
  }

  // Frees the nodes front to back without recursion: each step detaches the
  // head's successor before the head dies, so no destructor reaches further
  // than one node. It stops at a node someone else still owns: that node and
  // the ones after it stay linked and alive, as in Python.
  void Clear() {
    while (head_ != nullptr && head_.use_count() == 1) {
      std::shared_ptr<Node> next = std::move(head_->right);
      head_ = std::move(next);
    }
    head_.reset();
    tail_.reset();
    size_ = 0;
  }

  const std::shared_ptr<Node>& head() const { return head_; }
  size_t size() const { return size_; }

 private:
  std::shared_ptr<Node> head_;
  std::weak_ptr<Node> tail_;
  size_t size_ = 0;
};

// The counter-example: both links own. Two linked nodes own each other, so
// neither count ever reaches zero and dropping every outside pointer leaks
// both. `BreakCycle` is the manual fix (or use weak back links, as above).
template <typename T>
struct LeakyNode {
  explicit LeakyNode(T d) : data(std::move(d)) {}
  T data;
  std::shared_ptr<LeakyNode> right;
  std::shared_ptr<LeakyNode> left;
};

}  // namespace classes

#endif  // CLASSES_LINKED_LIST_H_
