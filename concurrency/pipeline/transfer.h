// -----------------------------------------------------------------------------
// File: transfer.h
// -----------------------------------------------------------------------------
//
// What the blocking Downloader (a thread per transfer) and the MultiFetcher
// (many transfers on one thread) share, so that both are configured the same
// way and classify an answer and decide on a retry in exactly the same way:
// their options (DownloaderOptions: credentials, timeouts, RetryPolicy),
// `RedactUrl`, one HTTP GET attempt with libcurl, and the retry schedule
// around attempts.
//
// EasyTransfer owns a curl easy handle (RAII) and the body buffer of its
// current attempt. `Prepare` sets it up for a URL; the caller performs it
// (curl_easy_perform, or a multi handle); `Finish` turns the result into an
// Attempt. Handles keep their connections between attempts.
//
// RetrySchedule says, after a failed attempt, how long to wait before the
// next one, or that there is none (and rewrites the attempt's status to say
// how many attempts were made and what the last one got).
//
// Neither is thread-safe: one owner at a time.
#ifndef CONCURRENCY_PIPELINE_TRANSFER_H_
#define CONCURRENCY_PIPELINE_TRANSFER_H_

#include <curl/curl.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "concurrency/http/credentials.h"
#include "concurrency/pipeline/memory_budget.h"

namespace concurrency::pipeline {

// Basic auth credentials (concurrency/http/credentials.h, where
// LoadCredentials picks them from flags, a file or PIPELINE_USER /
// PIPELINE_PASSWORD in the pipeline's main).
using ::concurrency::http::Credentials;

struct RetryPolicy {
  int max_attempts = 5;
  absl::Duration initial_backoff = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(10);
  double multiplier = 2.0;
  double jitter = 0.2;  // each wait is scaled by a uniform [1-j, 1+j]
  absl::Duration max_retry_after = absl::Seconds(60);
};

struct DownloaderOptions {
  Credentials credentials;
  absl::Duration connect_timeout = absl::Seconds(5);
  absl::Duration timeout = absl::Seconds(30);  // whole transfer, per attempt
  RetryPolicy retry;
  // A body larger than this fails at once and is not retried: from its
  // Content-Length before the body, or from the running count of a body of
  // unknown length. 0: no limit.
  int64_t max_page_size = int64_t{256} << 20;
  // Redirects followed (over http and https only; credentials go to the
  // original host and port only, curl's default).
  int max_redirects = 5;
  // Bodies take their bytes from this budget as they arrive; a transfer
  // whose next bytes do not fit pauses until memory is given back. Null: no
  // budget. Not owned.
  MemoryBudget* budget = nullptr;
  // How to wait between attempts; tests record the waits instead.
  std::function<void(absl::Duration)> sleep = [](absl::Duration d) {
    absl::SleepFor(d);
  };
  // Receives one line per retry ("retrying ... in 400ms"); null: silent.
  std::function<void(absl::string_view)> log;
};

// `url` without user:password@, for messages.
std::string RedactUrl(const std::string& url);

// What one attempt got.
struct Attempt {
  absl::Status status;  // OK: `body` holds the data
  std::string body;
  MemoryBudget::Grant grant;  // body's bytes, when a budget counts them
  bool retryable = false;
  absl::Duration retry_after = absl::ZeroDuration();
  std::string what;  // "HTTP 503" or the curl error, for the final message
};

class EasyTransfer {
 public:
  EasyTransfer();
  ~EasyTransfer();
  EasyTransfer(const EasyTransfer&) = delete;
  EasyTransfer& operator=(const EasyTransfer&) = delete;

  // False if curl could not allocate the handle.
  bool valid() const { return curl_ != nullptr; }
  CURL* handle() const { return curl_; }

  // Sets the handle up for GET `url` with `options`' auth and timeouts.
  void Prepare(const std::string& url, const DownloaderOptions& options);

  // Classifies the finished attempt (`rc` from curl) and hands its body
  // (and its bytes' grant) over.
  Attempt Finish(CURLcode rc);

  // Whether the body's next bytes did not fit the budget: the transfer is
  // paused (CURL_WRITEFUNC_PAUSE) until `Resume`.
  bool paused() const { return paused_; }
  // curl_easy_pause(CONT): curl hands the held bytes over again at once, and
  // the transfer may pause again.
  void Resume();
  // Body bytes taken from the budget so far.
  int64_t held() const { return taken_; }
  // Forgets the body received so far and gives its bytes back (a transfer
  // stopped to break a standstill; the caller removes it from its multi
  // handle first).
  void DropBody();

 private:
  static size_t Write(char* data, size_t size, size_t n, void* self);

  CURL* curl_;
  std::string url_;
  std::string body_;
  char error_[CURL_ERROR_SIZE] = {};
  MemoryBudget* budget_ = nullptr;
  int64_t taken_ = 0;
  int64_t max_page_ = 0;
  int max_redirects_ = 0;
  bool too_big_ = false;
  bool paused_ = false;
};

class RetrySchedule {
 public:
  explicit RetrySchedule(const RetryPolicy& policy);

  // After failed attempt `*a` of `url`: the wait before the next attempt, or
  // nullopt when there is none (not retryable, out of attempts, or a
  // Retry-After beyond the policy), with `a->status` then final.
  std::optional<absl::Duration> Next(const std::string& url, Attempt* a);

  int attempts() const { return attempts_; }

 private:
  const RetryPolicy policy_;
  absl::Duration backoff_;
  int attempts_ = 0;
  absl::BitGen rng_;
};

// Initializes libcurl once per process (curl_global_init).
void InitCurlOnce();

}  // namespace concurrency::pipeline

#endif  // CONCURRENCY_PIPELINE_TRANSFER_H_
