#include "camera/stream_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>

#include "absl/time/clock.h"
#include "camera/http.h"

namespace camera {
namespace {

constexpr uint64_t kWakeTag = ~uint64_t{0};

}  // namespace

StreamLoop::StreamLoop(FrameHub& hub, absl::Duration stall_timeout,
                       OnUpdate on_update, OnClose on_close)
    : hub_(hub),
      stall_timeout_(stall_timeout),
      on_update_(std::move(on_update)),
      on_close_(std::move(on_close)),
      epoll_fd_(epoll_create1(EPOLL_CLOEXEC)),
      wake_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeTag;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  thread_ = std::thread([this] { Run(); });
}

StreamLoop::~StreamLoop() {
  Stop();
  close(epoll_fd_);
  close(wake_fd_);
}

void StreamLoop::Add(int fd, int64_t id) {
  {
    absl::MutexLock l(&mu_);
    pending_.emplace_back(fd, id);
  }
  hub_.AddSubscriber();
  FrameReady();
}

void StreamLoop::FrameReady() {
  uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof one);
}

void StreamLoop::Stop() {
  {
    absl::MutexLock l(&mu_);
    if (stopping_) {
      if (thread_.joinable()) thread_.join();
      return;
    }
    stopping_ = true;
  }
  FrameReady();
  thread_.join();
}

void StreamLoop::SetWantOut(Client& c, bool on) {
  if (c.want_out == on) return;
  c.want_out = on;
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP | (on ? EPOLLOUT : 0u);
  ev.data.u64 = static_cast<uint64_t>(c.fd);
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd, &ev);
}

void StreamLoop::Drop(int fd) {
  auto it = clients_.find(fd);
  if (it == clients_.end()) return;
  int64_t id = it->second.id;
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  close(fd);
  clients_.erase(it);
  hub_.RemoveSubscriber();
  on_close_(id);
}

void StreamLoop::Start(Client& c, std::shared_ptr<const Frame> frame) {
  if (c.last > 0) c.skipped += frame->number - c.last - 1;
  c.last = frame->number;
  c.head = MultipartPartHead(frame->jpeg.size(), frame->number);
  c.frame = std::move(frame);
  c.off = 0;
  c.progress = absl::Now();
}

bool StreamLoop::Pump(Client& c) {
  static const char kCrlf[] = "\r\n";
  while (c.frame != nullptr) {
    const size_t total = c.head.size() + c.frame->jpeg.size() + 2;
    iovec all[3] = {
        {const_cast<char*>(c.head.data()), c.head.size()},
        {const_cast<char*>(c.frame->jpeg.data()), c.frame->jpeg.size()},
        {const_cast<char*>(kCrlf), 2}};
    iovec* v = all;
    int count = 3;
    size_t skip = c.off;
    while (count > 0 && skip >= v->iov_len) {
      skip -= v->iov_len;
      ++v;
      --count;
    }
    v->iov_base = static_cast<char*>(v->iov_base) + skip;
    v->iov_len -= skip;
    msghdr msg{};
    msg.msg_iov = v;
    msg.msg_iovlen = static_cast<size_t>(count);
    ssize_t n = sendmsg(c.fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        SetWantOut(c, true);
        return true;
      }
      return false;  // the client went away
    }
    c.off += static_cast<size_t>(n);
    c.progress = absl::Now();
    if (c.off < total) continue;
    ++c.sent;
    on_update_(c.id, c.sent, c.skipped);
    c.frame = nullptr;
    // Already a newer frame? Take it at once: that is the skipping.
    std::shared_ptr<const Frame> latest = hub_.Latest();
    if (latest != nullptr && latest->number > c.last)
      Start(c, std::move(latest));
  }
  SetWantOut(c, false);
  return true;
}

void StreamLoop::Run() {
  std::vector<epoll_event> events(256);
  int64_t announced = 0;  // the newest frame clients were offered
  while (true) {
    int n = epoll_wait(epoll_fd_, events.data(),
                       static_cast<int>(events.size()), 250);
    std::vector<int> dead;
    for (int i = 0; i < n; ++i) {
      if (events[i].data.u64 == kWakeTag) {
        uint64_t count;
        (void)!read(wake_fd_, &count, sizeof count);
        continue;
      }
      int fd = static_cast<int>(events[i].data.u64);
      auto it = clients_.find(fd);
      if (it == clients_.end()) continue;
      Client& c = it->second;
      if (events[i].events & (EPOLLERR | EPOLLHUP | EPOLLRDHUP)) {
        dead.push_back(fd);
        continue;
      }
      if (events[i].events & EPOLLIN) {  // clients have nothing to say
        char buf[512];
        ssize_t got = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
          dead.push_back(fd);
          continue;
        }
      }
      if ((events[i].events & EPOLLOUT) && !Pump(c)) dead.push_back(fd);
    }
    for (int fd : dead) Drop(fd);

    std::vector<std::pair<int, int64_t>> added;
    bool stop;
    {
      absl::MutexLock l(&mu_);
      added.swap(pending_);
      stop = stopping_;
    }
    for (auto [fd, id] : added) {
      Client c;
      c.fd = fd;
      c.id = id;
      c.progress = absl::Now();
      clients_.emplace(fd, std::move(c));
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLRDHUP;
      ev.data.u64 = static_cast<uint64_t>(fd);
      epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
    }
    if (stop) break;

    // A new frame (or a new client): every idle client starts it.
    std::shared_ptr<const Frame> latest = hub_.Latest();
    if (latest != nullptr && (latest->number > announced || !added.empty())) {
      announced = latest->number;
      dead.clear();
      for (auto& [fd, c] : clients_) {
        if (c.frame == nullptr && latest->number > c.last) {
          Start(c, latest);
          if (!Pump(c)) dead.push_back(fd);
        }
      }
      for (int fd : dead) Drop(fd);
    }
    // A client that accepted nothing for stall_timeout is dropped.
    const absl::Time now = absl::Now();
    dead.clear();
    for (auto& [fd, c] : clients_) {
      if (c.frame != nullptr && now - c.progress > stall_timeout_)
        dead.push_back(fd);
    }
    for (int fd : dead) Drop(fd);
  }
  std::vector<int> all;
  for (auto& [fd, c] : clients_) all.push_back(fd);
  for (int fd : all) Drop(fd);
  // Streams added after the last round: close them too.
  std::vector<std::pair<int, int64_t>> late;
  {
    absl::MutexLock l(&mu_);
    late.swap(pending_);
  }
  for (auto [fd, id] : late) {
    close(fd);
    hub_.RemoveSubscriber();
    on_close_(id);
  }
}

}  // namespace camera
