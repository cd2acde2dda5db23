// Downloader: fetches URLs into memory with libcurl, with HTTP basic auth,
// timeouts and a bounded retry policy.
//
// What is retried: connection failures, timeouts, a truncated body, and HTTP
// 408, 429 and 5xx, with exponential backoff and jitter; a `Retry-After`
// header (seconds or an HTTP date) lengthens the wait, and one beyond
// `max_retry_after` ends the retries at once. Other 4xx answers (401, 403,
// 404, ...) are final on the first attempt. After `max_attempts` the error
// says how many attempts were made and what the last one got. The tutorial's
// `while not csv_file` loop retried forever, at ~650 requests/s.
//
// A body shorter than its Content-Length is never returned as data (libcurl
// reports it as a partial file; the length is also checked here).
//
// Credentials never appear in errors or logs: they travel as CURLOPT_USERNAME
// and CURLOPT_PASSWORD, and URLs are printed without any userinfo.
//
// Its options (DownloaderOptions, RetryPolicy, Credentials) are transfer.h's,
// shared with the MultiFetcher.
//
// Thread-safety: `Fetch` may be called from many threads at once; each call
// takes a curl easy handle from a small pool, so connections are reused
// across calls. This is the blocking, thread-per-transfer downloader of the
// first two lessons, which teach threads; the pipeline itself keeps many
// transfers in flight from one thread (multi_fetcher.h). Both classify
// answers and retry through transfer.h.
#ifndef CONCURRENCY_PIPELINE_DOWNLOADER_H_
#define CONCURRENCY_PIPELINE_DOWNLOADER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "concurrency/pipeline/transfer.h"

namespace concurrency::pipeline {

class Downloader {
 public:
  explicit Downloader(DownloaderOptions options);
  ~Downloader();
  Downloader(const Downloader&) = delete;
  Downloader& operator=(const Downloader&) = delete;

  // The body of a 2xx answer to GET `url`. Errors: NotFound (404),
  // PermissionDenied (401, 403), InvalidArgument (other 4xx), Unavailable
  // (5xx, 429, connection failures after the last attempt),
  // DeadlineExceeded (timeouts), DataLoss (truncated body). Each names the
  // URL, the status or curl error, and the number of attempts.
  absl::StatusOr<std::string> Fetch(const std::string& url);

  // Attempts made by all calls so far.
  int64_t attempts() const;

 private:
  std::unique_ptr<EasyTransfer> AcquireTransfer() ABSL_LOCKS_EXCLUDED(mu_);
  void ReleaseTransfer(std::unique_ptr<EasyTransfer> transfer)
      ABSL_LOCKS_EXCLUDED(mu_);

  const DownloaderOptions options_;
  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<EasyTransfer>> free_transfers_
      ABSL_GUARDED_BY(mu_);
  int64_t attempts_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace concurrency::pipeline

#endif  // CONCURRENCY_PIPELINE_DOWNLOADER_H_
