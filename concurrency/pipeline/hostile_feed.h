// HostileFeed (test-only): a price feed on HttpServer where some pages never
// end and some announce 50 GB, to test that no feed can take the pipeline's
// memory. `GET /page/N` is page N of the demo prices (prices.h), unless N is
// one of `endless` (a chunked body that goes on until the client leaves) or
// `huge` (Content-Length: 53687091200, then bytes until the client leaves).
// `requests(N)` counts the GETs of page N.
//
// The bodies that do not end are written on threads of the feed's own,
// blocking, each dropped when its client stops reading (a send timeout) or
// leaves; the destructor shuts their sockets down and joins them.
//
// Thread-safe.
#ifndef CONCURRENCY_PIPELINE_HOSTILE_FEED_H_
#define CONCURRENCY_PIPELINE_HOSTILE_FEED_H_

#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "concurrency/http/server.h"
#include "concurrency/thread_pool.h"

namespace concurrency::pipeline {

class HostileFeed {
 public:
  static absl::StatusOr<std::unique_ptr<HostileFeed>> Start(
      std::set<int> endless, std::set<int> huge, int page_size = 100);
  ~HostileFeed();

  // "http://127.0.0.1:PORT/page/{page}"
  std::string url_template() const;
  int requests(int page) const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  HostileFeed(std::set<int> endless, std::set<int> huge, int page_size);
  http::HttpResponse Answer(const http::HttpRequest& request)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Hands `socket` to a writer thread that sends `chunk` until it fails.
  void Pour(io::ScopedFd socket, std::string chunk) ABSL_LOCKS_EXCLUDED(mu_);

  const std::set<int> endless_, huge_;
  const int page_size_;
  std::atomic<bool> stopping_{false};
  mutable absl::Mutex mu_;
  std::map<int, int> requests_ ABSL_GUARDED_BY(mu_);
  std::set<int> pouring_ ABSL_GUARDED_BY(mu_);  // sockets being written
  ThreadPool writers_;
  http::HttpServer server_;
};

}  // namespace concurrency::pipeline

#endif  // CONCURRENCY_PIPELINE_HOSTILE_FEED_H_
