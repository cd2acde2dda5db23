// StreamLoop: serves many MJPEG streams from one thread, writing the shared
// frame to non-blocking sockets (the way the best MJPEG servers do).
//
// The HTTP handler sends the response head and hands the socket over with
// `Add`; from then on the loop owns it. When the capture thread publishes a
// frame (`FrameReady`), every client that has finished its previous frame
// starts the new one; a client still busy with an older frame finishes it and
// then takes the newest, skipping what it missed. Partial writes wait for an
// edge-triggered EPOLLOUT, so a slow client costs nothing while it is slow,
// and one that makes no progress for `stall_timeout` is dropped.
//
// Per client and frame the loop makes one send() (of the part, head, JPEG
// and CRLF, built once per frame into a buffer every client shares) and one
// relaxed store of its counts; nothing else. That is what
// keeps it near a bare send() loop at 1,000 clients (camera/README.md).
//
// Each client counts as a FrameHub subscriber while it is connected, so the
// capture runs only while someone watches. `on_close` reports a client's end,
// on the loop thread.
//
// Thread-safety: Add, FrameReady and Stop may be called from any thread.
#ifndef CAMERA_STREAM_LOOP_H_
#define CAMERA_STREAM_LOOP_H_

#include <sys/epoll.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "camera/frame_hub.h"
#include "camera/stream_counts.h"
#include "concurrency/io/scoped_fd.h"

namespace camera {

class StreamLoop {
 public:
  using OnClose = std::function<void(int64_t id)>;

  // Starts the loop's thread. Errors (no epoll instance or eventfd to be
  // had: the process's descriptor limit, the kernel's epoll limits) name
  // the call that failed.
  static absl::StatusOr<std::unique_ptr<StreamLoop>> Create(
      FrameHub& hub, absl::Duration stall_timeout, OnClose on_close);
  ~StreamLoop();
  StreamLoop(const StreamLoop&) = delete;
  StreamLoop& operator=(const StreamLoop&) = delete;

  // Takes `socket` (its response head already sent) as stream `id`, whose
  // frames sent and skipped go to `counts`.
  void Add(concurrency::io::ScopedFd socket, int64_t id,
           std::shared_ptr<StreamCounts> counts) ABSL_LOCKS_EXCLUDED(mu_);
  void FrameReady();
  // Closes every stream (on_close for each) and joins the loop thread.
  void Stop();

 private:
  // A frame as every client sends it: head, JPEG and CRLF in one buffer,
  // built once per frame, so that each client's send is one plain send().
  struct Part {
    int64_t number = 0;
    std::string bytes;
  };
  struct Pending {
    concurrency::io::ScopedFd fd;
    int64_t id;
    std::shared_ptr<StreamCounts> counts;
  };
  struct Client {
    concurrency::io::ScopedFd fd;
    int64_t id = 0;
    std::shared_ptr<StreamCounts> counts;
    size_t index = 0;                  // in clients_
    std::shared_ptr<const Part> part;  // being sent; null when idle
    size_t off = 0;                    // bytes of it already sent
    int64_t last = 0;                  // its frame number
    int64_t sent = 0;
    int64_t skipped = 0;
    absl::Time progress;
  };

  StreamLoop(FrameHub& hub, absl::Duration stall_timeout, OnClose on_close,
             concurrency::io::ScopedFd epoll_fd,
             concurrency::io::ScopedFd wake_fd);

  void Run();
  // The steps of one round of Run().
  void HandleEvents(const epoll_event* events, int n);
  // Adopts the streams Add() queued; returns how many, or -1 to stop.
  int AdoptPending() ABSL_LOCKS_EXCLUDED(mu_);
  void OfferLatest(bool force);
  void DropStalled();
  void CloseAll() ABSL_LOCKS_EXCLUDED(mu_);
  void Start(Client& c, std::shared_ptr<const Part> part);
  // Sends what it can; false if the client must be dropped.
  bool Pump(Client& c);
  void Drop(Client* c);
  void DropAll(const std::vector<Client*>& dead);

  FrameHub& hub_;
  const absl::Duration stall_timeout_;
  OnClose on_close_;
  const concurrency::io::ScopedFd epoll_fd_;
  const concurrency::io::ScopedFd wake_fd_;  // eventfd

  absl::Mutex mu_;
  std::vector<Pending> pending_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  // Loop thread only.
  std::vector<std::unique_ptr<Client>> clients_;
  std::shared_ptr<const Part> latest_;  // the newest frame offered
  absl::Time now_;                      // this round's time
  std::thread thread_;
};

}  // namespace camera

#endif  // CAMERA_STREAM_LOOP_H_
