// -----------------------------------------------------------------------------
// File: multi_fetcher.h
// -----------------------------------------------------------------------------
//
// MultiFetcher keeps many HTTP GETs in flight from one thread, with libcurl's
// multi interface, the way `curl --parallel` and aria2 do: up to
// `max_in_flight` transfers at once, at most `max_per_host` connections to
// any one host, connections reused between transfers. Each URL gets the
// Downloader's treatment (transfer.h): the same classification of answers
// and the same bounded retries, where a retry's wait is a timer on the loop,
// not a sleeping thread.
//
//   MultiFetcher fetcher(options);
//   absl::Status s = fetcher.Run(urls, [](size_t i, absl::StatusOr<std::string>
//   body) {
//     ...  // called on the Run thread as each URL is finally done
//   });
//
// `on_done` runs on the calling thread, once per URL, with the body or the
// final error (the same codes as Downloader::Fetch). It may block (a full
// queue downstream): the loop then waits, which bounds memory.
//
// Threads: none of its own (libcurl may resolve names on a helper thread per
// lookup). Thread-compatible: one Run at a time.
#ifndef CONCURRENCY_PIPELINE_MULTI_FETCHER_H_
#define CONCURRENCY_PIPELINE_MULTI_FETCHER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "concurrency/pipeline/transfer.h"

namespace concurrency::pipeline {

struct MultiFetcherOptions {
  DownloaderOptions download;  // auth, timeouts, retry policy, log
  int max_in_flight = 64;
  int max_per_host = 64;
};

class MultiFetcher {
 public:
  using OnDone =
      absl::FunctionRef<void(size_t index, absl::StatusOr<std::string> body)>;

  explicit MultiFetcher(MultiFetcherOptions options);
  MultiFetcher(const MultiFetcher&) = delete;
  MultiFetcher& operator=(const MultiFetcher&) = delete;

  // Fetches every URL; returns when each is done (on_done called for each).
  // An error means the loop itself failed (curl could not be set up).
  absl::Status Run(const std::vector<std::string>& urls, OnDone on_done);

  // Attempts made, and the most transfers that were in flight at once.
  int64_t attempts() const { return attempts_; }
  int peak_in_flight() const { return peak_in_flight_; }

 private:
  const MultiFetcherOptions options_;
  int64_t attempts_ = 0;
  int peak_in_flight_ = 0;
};

}  // namespace concurrency::pipeline

#endif  // CONCURRENCY_PIPELINE_MULTI_FETCHER_H_
