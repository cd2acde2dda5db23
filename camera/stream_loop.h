// StreamLoop: serves many MJPEG streams from one thread, writing the shared
// frame to non-blocking sockets (the way the best MJPEG servers do).
//
// The HTTP handler sends the response head and hands the socket over with
// `Add`; from then on the loop owns it. When the capture thread publishes a
// frame (`FrameReady`), every client that has finished its previous frame
// starts the new one; a client still busy with an older frame finishes it and
// then takes the newest, skipping what it missed. Partial writes wait for
// EPOLLOUT, so a slow client costs nothing while it is slow, and one that
// makes no progress for `stall_timeout` is dropped. A frame is sent straight
// from the shared buffer (sendmsg over head, JPEG, CRLF): no copy per client.
//
// Each client counts as a FrameHub subscriber while it is connected, so the
// capture runs only while someone watches. `on_update` reports a client's
// frames sent and skipped after each frame; `on_close` its end. Both run on
// the loop thread.
//
// Thread-safety: Add, FrameReady and Stop may be called from any thread.
#ifndef CAMERA_STREAM_LOOP_H_
#define CAMERA_STREAM_LOOP_H_

#include <sys/epoll.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "camera/frame_hub.h"
#include "concurrency/io/scoped_fd.h"

namespace camera {

class StreamLoop {
 public:
  using OnUpdate =
      std::function<void(int64_t id, int64_t sent, int64_t skipped)>;
  using OnClose = std::function<void(int64_t id)>;

  StreamLoop(FrameHub& hub, absl::Duration stall_timeout, OnUpdate on_update,
             OnClose on_close);
  ~StreamLoop();
  StreamLoop(const StreamLoop&) = delete;
  StreamLoop& operator=(const StreamLoop&) = delete;

  // Takes `socket` (its response head already sent) as stream `id`.
  void Add(concurrency::io::ScopedFd socket, int64_t id)
      ABSL_LOCKS_EXCLUDED(mu_);
  void FrameReady();
  // Closes every stream (on_close for each) and joins the loop thread.
  void Stop();

 private:
  struct Client {
    concurrency::io::ScopedFd fd;
    int64_t id = 0;
    std::shared_ptr<const Frame> frame;  // being sent; null when idle
    std::string head;
    size_t off = 0;  // bytes of head + JPEG + CRLF already sent
    int64_t last = 0;
    int64_t sent = 0;
    int64_t skipped = 0;
    bool want_out = false;
    absl::Time progress;
  };

  void Run();
  // The steps of one round of Run().
  void HandleEvents(const epoll_event* events, int n);
  // Adopts the streams Add() queued; returns how many, or -1 to stop.
  int AdoptPending() ABSL_LOCKS_EXCLUDED(mu_);
  void OfferLatest(int64_t* announced, bool force);
  void DropStalled();
  void CloseAll() ABSL_LOCKS_EXCLUDED(mu_);
  void Start(Client& c, std::shared_ptr<const Frame> frame);
  // Sends what it can; false if the client must be dropped.
  bool Pump(Client& c);
  void SetWantOut(Client& c, bool on);
  void Drop(int fd);
  void DropAll(const std::vector<int>& fds);

  FrameHub& hub_;
  const absl::Duration stall_timeout_;
  OnUpdate on_update_;
  OnClose on_close_;
  const concurrency::io::ScopedFd epoll_fd_;
  const concurrency::io::ScopedFd wake_fd_;  // eventfd

  absl::Mutex mu_;
  std::vector<std::pair<concurrency::io::ScopedFd, int64_t>> pending_
      ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  std::map<int, Client> clients_;  // loop thread only
  std::thread thread_;
};

}  // namespace camera

#endif  // CAMERA_STREAM_LOOP_H_
