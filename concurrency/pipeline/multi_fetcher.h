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
// Memory. With `download.budget` set, every body byte is taken from that
// budget as it arrives, and the body's Grant goes to `on_done` with it (the
// second form of Run): the bytes count until whoever holds the body last
// drops its Grant. No transfer starts while the budget is full, and one
// whose next bytes do not fit pauses (curl_easy_pause) until memory is given
// back, which wakes the loop. If every transfer in flight is paused and
// nothing but their own bodies holds the budget, nothing could ever free
// it: the newest is stopped, its partial body dropped, and it starts again
// later (not counted as an attempt).
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
#include "concurrency/pipeline/memory_budget.h"
#include "concurrency/pipeline/transfer.h"

namespace concurrency::pipeline {

struct MultiFetcherOptions {
  DownloaderOptions download;  // auth, timeouts, retry policy, log
  int max_in_flight = 64;
  int max_per_host = 64;
  // Asked on every turn of the loop (at least every 250 ms): once true,
  // nothing more starts, transfers in flight are abandoned, and every URL
  // not done yet ends as Cancelled. Null: never.
  std::function<bool()> cancelled;
};

class MultiFetcher {
 public:
  using OnDone =
      absl::FunctionRef<void(size_t index, absl::StatusOr<std::string> body)>;
  using OnDoneWithGrant =
      absl::FunctionRef<void(size_t index, absl::StatusOr<std::string> body,
                             MemoryBudget::Grant grant)>;

  explicit MultiFetcher(MultiFetcherOptions options);
  MultiFetcher(const MultiFetcher&) = delete;
  MultiFetcher& operator=(const MultiFetcher&) = delete;

  // Fetches every URL; returns when each is done (on_done called for each).
  // An error means the loop itself failed (curl could not be set up).
  absl::Status Run(const std::vector<std::string>& urls, OnDone on_done);
  // The same, handing each body's Grant over with it (see Memory above).
  absl::Status Run(const std::vector<std::string>& urls,
                   OnDoneWithGrant on_done);

  // Attempts made, and the most transfers that were in flight at once.
  int64_t attempts() const { return attempts_; }
  int peak_in_flight() const { return peak_in_flight_; }
  // Transfers stopped to break a standstill of paused ones.
  int64_t restarts() const { return restarts_; }
  // The most curl easy handles one Run made. A finished, retried or stopped
  // transfer's handle is reused, so this is at most `max_in_flight`.
  int handles() const { return handles_; }

 private:
  const MultiFetcherOptions options_;
  int64_t attempts_ = 0;
  int peak_in_flight_ = 0;
  int64_t restarts_ = 0;
  int handles_ = 0;
};

}  // namespace concurrency::pipeline

#endif  // CONCURRENCY_PIPELINE_MULTI_FETCHER_H_
