#include "camera/stream_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "absl/time/clock.h"
#include "camera/mjpeg.h"
#include "concurrency/io/read_write.h"

namespace camera {
namespace {

using concurrency::io::ScopedFd;

constexpr uint64_t kWakeTag = ~uint64_t{0};
constexpr int kMaxEvents = 256;
constexpr int kTickMs = 250;  // how often stalls are looked for

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
  epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, wake_fd_.get(), &ev);
  thread_ = std::thread([this] { Run(); });
}

StreamLoop::~StreamLoop() { Stop(); }

void StreamLoop::Add(ScopedFd socket, int64_t id) {
  {
    absl::MutexLock l(&mu_);
    pending_.emplace_back(std::move(socket), id);
  }
  hub_.AddSubscriber();
  FrameReady();
}

void StreamLoop::FrameReady() {
  uint64_t one = 1;
  (void)!write(wake_fd_.get(), &one, sizeof one);
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
  ev.data.u64 = static_cast<uint64_t>(c.fd.get());
  epoll_ctl(epoll_fd_.get(), EPOLL_CTL_MOD, c.fd.get(), &ev);
}

void StreamLoop::Drop(int fd) {
  auto it = clients_.find(fd);
  if (it == clients_.end()) return;
  int64_t id = it->second.id;
  epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, fd, nullptr);
  clients_.erase(it);  // closes the socket
  hub_.RemoveSubscriber();
  on_close_(id);
}

void StreamLoop::DropAll(const std::vector<int>& fds) {
  for (int fd : fds) Drop(fd);
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
  while (c.frame != nullptr) {
    const absl::string_view jpeg = c.frame->jpeg;
    const absl::string_view pieces[] = {c.head, jpeg, kPartEnd};
    const size_t total = c.head.size() + jpeg.size() + kPartEnd.size();
    absl::StatusOr<size_t> n =
        concurrency::io::SendSome(c.fd.get(), pieces, c.off, "stream");
    if (!n.ok()) return false;  // the client went away
    if (*n == 0) {
      SetWantOut(c, true);
      return true;
    }
    c.off += *n;
    c.progress = absl::Now();
    if (c.off < total) continue;
    ++c.sent;
    on_update_(c.id, c.sent, c.skipped);
    c.frame = nullptr;
    // Already a newer frame? Take it at once: that is the skipping.
    std::shared_ptr<const Frame> latest = hub_.Latest();
    if (latest != nullptr && latest->number > c.last) {
      Start(c, std::move(latest));
    }
  }
  SetWantOut(c, false);
  return true;
}

void StreamLoop::HandleEvents(const epoll_event* events, int n) {
  std::vector<int> dead;
  for (int i = 0; i < n; ++i) {
    if (events[i].data.u64 == kWakeTag) {
      uint64_t count;
      (void)!read(wake_fd_.get(), &count, sizeof count);
      continue;
    }
    int fd = static_cast<int>(events[i].data.u64);
    auto it = clients_.find(fd);
    if (it == clients_.end()) continue;
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
    if ((events[i].events & EPOLLOUT) && !Pump(it->second)) dead.push_back(fd);
  }
  DropAll(dead);
}

int StreamLoop::AdoptPending() {
  std::vector<std::pair<ScopedFd, int64_t>> added;
  {
    absl::MutexLock l(&mu_);
    if (stopping_) return -1;
    added.swap(pending_);
  }
  for (auto& [socket, id] : added) {
    int fd = socket.get();
    Client c;
    c.fd = std::move(socket);
    c.id = id;
    c.progress = absl::Now();
    clients_.emplace(fd, std::move(c));
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.u64 = static_cast<uint64_t>(fd);
    epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, fd, &ev);
  }
  return static_cast<int>(added.size());
}

void StreamLoop::OfferLatest(int64_t* announced, bool force) {
  std::shared_ptr<const Frame> latest = hub_.Latest();
  if (latest == nullptr || (latest->number <= *announced && !force)) return;
  *announced = latest->number;
  std::vector<int> dead;
  for (auto& [fd, c] : clients_) {
    if (c.frame == nullptr && latest->number > c.last) {
      Start(c, latest);
      if (!Pump(c)) dead.push_back(fd);
    }
  }
  DropAll(dead);
}

void StreamLoop::DropStalled() {
  const absl::Time now = absl::Now();
  std::vector<int> dead;
  for (auto& [fd, c] : clients_) {
    if (c.frame != nullptr && now - c.progress > stall_timeout_) {
      dead.push_back(fd);
    }
  }
  DropAll(dead);
}

void StreamLoop::CloseAll() {
  std::vector<int> all;
  for (auto& [fd, c] : clients_) all.push_back(fd);
  DropAll(all);
  // Streams added after the last round: close them too.
  std::vector<std::pair<ScopedFd, int64_t>> late;
  {
    absl::MutexLock l(&mu_);
    late.swap(pending_);
  }
  for (auto& [socket, id] : late) {
    socket.Reset();
    hub_.RemoveSubscriber();
    on_close_(id);
  }
}

void StreamLoop::Run() {
  epoll_event events[kMaxEvents];
  int64_t announced = 0;  // the newest frame clients were offered
  while (true) {
    int n = epoll_wait(epoll_fd_.get(), events, kMaxEvents, kTickMs);
    HandleEvents(events, n);
    int added = AdoptPending();
    if (added < 0) break;
    // A new frame (or a new client): every idle client starts it.
    OfferLatest(&announced, added > 0);
    DropStalled();
  }
  CloseAll();
}

}  // namespace camera
