#include "camera/stream_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "camera/mjpeg.h"
#include "concurrency/io/posix_error.h"
#include "concurrency/io/read_write.h"

namespace camera {
namespace {

using concurrency::io::ScopedFd;

constexpr int kMaxEvents = 256;
constexpr absl::Duration kTick = absl::Milliseconds(250);  // stall checks

}  // namespace

absl::StatusOr<std::unique_ptr<StreamLoop>> StreamLoop::Create(
    FrameHub& hub, absl::Duration stall_timeout, OnClose on_close) {
  ScopedFd epoll_fd(epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_fd.valid()) {
    return concurrency::io::PosixError("stream loop: epoll_create1", errno);
  }
  ScopedFd wake_fd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake_fd.valid()) {
    return concurrency::io::PosixError("stream loop: eventfd", errno);
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;  // the wake-up; clients carry their Client*
  if (epoll_ctl(epoll_fd.get(), EPOLL_CTL_ADD, wake_fd.get(), &ev) != 0) {
    return concurrency::io::PosixError("stream loop: epoll_ctl", errno);
  }
  return std::unique_ptr<StreamLoop>(
      new StreamLoop(hub, stall_timeout, std::move(on_close),
                     std::move(epoll_fd), std::move(wake_fd)));
}

StreamLoop::StreamLoop(FrameHub& hub, absl::Duration stall_timeout,
                       OnClose on_close, ScopedFd epoll_fd, ScopedFd wake_fd)
    : hub_(hub),
      stall_timeout_(stall_timeout),
      on_close_(std::move(on_close)),
      epoll_fd_(std::move(epoll_fd)),
      wake_fd_(std::move(wake_fd)) {
  thread_ = std::thread([this] { Run(); });
}

StreamLoop::~StreamLoop() { Stop(); }

void StreamLoop::Add(ScopedFd socket, int64_t id,
                     std::shared_ptr<StreamCounts> counts) {
  {
    absl::MutexLock l(&mu_);
    pending_.push_back({std::move(socket), id, std::move(counts)});
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

void StreamLoop::Drop(Client* c) {
  const int64_t id = c->id;
  epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, c->fd.get(), nullptr);
  // Swap with the last and pop: Client objects stay where they are, so the
  // other pointers in a dead list (and in epoll) remain valid.
  const size_t i = c->index;
  if (i + 1 != clients_.size()) {
    clients_[i] = std::move(clients_.back());
    clients_[i]->index = i;
  }
  clients_.pop_back();  // closes the socket
  hub_.RemoveSubscriber();
  on_close_(id);
}

void StreamLoop::DropAll(const std::vector<Client*>& dead) {
  for (Client* c : dead) Drop(c);
}

void StreamLoop::Start(Client& c, std::shared_ptr<const Part> part) {
  const int64_t number = part->number;
  if (c.last > 0) c.skipped += number - c.last - 1;
  c.last = number;
  c.part = std::move(part);
  c.off = 0;
  c.progress = now_;
}

bool StreamLoop::Pump(Client& c) {
  while (c.part != nullptr) {
    const absl::string_view bytes = c.part->bytes;
    absl::StatusOr<size_t> n =
        concurrency::io::SendSome(c.fd.get(), {bytes}, c.off, "stream");
    if (!n.ok()) return false;  // the client went away
    if (*n == 0) return true;   // full: an EPOLLOUT edge brings us back
    c.off += *n;
    c.progress = now_;
    if (c.off < bytes.size()) continue;
    c.counts->Store(++c.sent, c.skipped);
    c.part = nullptr;
    // Already a newer frame? Take it at once: that is the skipping.
    if (latest_ != nullptr && latest_->number > c.last) {
      Start(c, latest_);
    }
  }
  return true;
}

void StreamLoop::HandleEvents(const epoll_event* events, int n) {
  std::vector<Client*> dead;
  for (int i = 0; i < n; ++i) {
    auto* c = static_cast<Client*>(events[i].data.ptr);
    if (c == nullptr) {
      uint64_t count;
      (void)!read(wake_fd_.get(), &count, sizeof count);
      continue;
    }
    if (events[i].events & (EPOLLERR | EPOLLHUP | EPOLLRDHUP)) {
      dead.push_back(c);
      continue;
    }
    if (events[i].events & EPOLLIN) {  // clients have nothing to say
      char buf[512];
      ssize_t got;
      while ((got = recv(c->fd.get(), buf, sizeof buf, MSG_DONTWAIT)) > 0) {
      }
      if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
        dead.push_back(c);
        continue;
      }
    }
    if ((events[i].events & EPOLLOUT) && !Pump(*c)) dead.push_back(c);
  }
  DropAll(dead);
}

int StreamLoop::AdoptPending() {
  std::vector<Pending> added;
  {
    absl::MutexLock l(&mu_);
    if (stopping_) return -1;
    added.swap(pending_);
  }
  for (Pending& a : added) {
    auto c = std::make_unique<Client>();
    c->fd = std::move(a.fd);
    c->id = a.id;
    c->counts = std::move(a.counts);
    c->index = clients_.size();
    c->progress = now_;
    // Edge-triggered: EPOLLOUT comes once after the socket was full, so a
    // writable socket costs no wake-ups and no epoll_ctl per frame.
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.ptr = c.get();
    const bool watched =
        epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, c->fd.get(), &ev) == 0;
    clients_.push_back(std::move(c));
    // The kernel's epoll limits (max_user_watches) were reached: a stream
    // that would never be woken is closed at once, not kept silent.
    if (!watched) Drop(clients_.back().get());
  }
  return static_cast<int>(added.size());
}

void StreamLoop::OfferLatest(bool force) {
  std::shared_ptr<const Frame> frame = hub_.Latest();
  if (frame == nullptr) return;
  const bool fresh = latest_ == nullptr || frame->number > latest_->number;
  if (!fresh && !force) return;
  if (fresh) {
    auto part = std::make_shared<Part>();
    part->number = frame->number;
    part->bytes =
        absl::StrCat(MultipartPartHead(frame->jpeg.size(), frame->number),
                     frame->jpeg, kPartEnd);
    latest_ = std::move(part);
  }
  std::vector<Client*> dead;
  for (const std::unique_ptr<Client>& c : clients_) {
    if (c->part == nullptr && latest_->number > c->last) {
      Start(*c, latest_);
      if (!Pump(*c)) dead.push_back(c.get());
    }
  }
  DropAll(dead);
}

void StreamLoop::DropStalled() {
  std::vector<Client*> dead;
  for (const std::unique_ptr<Client>& c : clients_) {
    if (c->part != nullptr && now_ - c->progress > stall_timeout_) {
      dead.push_back(c.get());
    }
  }
  DropAll(dead);
}

void StreamLoop::CloseAll() {
  while (!clients_.empty()) Drop(clients_.back().get());
  // Streams added after the last round: close them too.
  std::vector<Pending> late;
  {
    absl::MutexLock l(&mu_);
    late.swap(pending_);
  }
  for (Pending& p : late) {
    p.fd.Reset();
    hub_.RemoveSubscriber();
    on_close_(p.id);
  }
}

void StreamLoop::Run() {
  epoll_event events[kMaxEvents];
  now_ = absl::Now();
  absl::Time next_tick = now_ + kTick;
  while (true) {
    const int n = epoll_wait(epoll_fd_.get(), events, kMaxEvents,
                             absl::ToInt64Milliseconds(kTick));
    now_ = absl::Now();
    HandleEvents(events, n);
    const int added = AdoptPending();
    if (added < 0) break;
    // A new frame (or a new client): every idle client starts it.
    OfferLatest(added > 0);
    if (now_ >= next_tick) {
      DropStalled();
      next_tick = now_ + kTick;
    }
  }
  CloseAll();
}

}  // namespace camera
