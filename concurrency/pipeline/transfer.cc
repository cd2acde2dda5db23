#include "concurrency/pipeline/transfer.h"

#include <algorithm>
#include <utility>

#include "absl/base/call_once.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace concurrency::pipeline {

std::string RedactUrl(const std::string& url) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  size_t host = scheme + 3;
  size_t end = url.find_first_of("/?#", host);
  size_t at = url.rfind('@', end == std::string::npos ? url.size() : end);
  if (at == std::string::npos || at < host) return url;
  return url.substr(0, host) + url.substr(at + 1);
}

namespace {

absl::once_flag curl_init_once;

bool RetryableHttp(long code) {
  return code == 408 || code == 429 || (code >= 500 && code <= 599);
}

bool RetryableCurl(CURLcode rc) {
  switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
      return true;
    default:
      return false;
  }
}

absl::StatusCode CodeForHttp(long http, bool retryable) {
  if (http == 404) return absl::StatusCode::kNotFound;
  if (http == 401 || http == 403) return absl::StatusCode::kPermissionDenied;
  return retryable ? absl::StatusCode::kUnavailable
                   : absl::StatusCode::kInvalidArgument;
}

}  // namespace

void InitCurlOnce() {
  absl::call_once(curl_init_once,
                  [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

EasyTransfer::EasyTransfer() : curl_((InitCurlOnce(), curl_easy_init())) {}

EasyTransfer::~EasyTransfer() {
  DropBody();
  if (curl_ != nullptr) curl_easy_cleanup(curl_);
}

size_t EasyTransfer::Write(char* data, size_t size, size_t n, void* self) {
  auto* t = static_cast<EasyTransfer*>(self);
  const size_t bytes = size * n;
  if (t->max_page_ > 0 &&
      static_cast<int64_t>(t->body_.size() + bytes) > t->max_page_) {
    t->too_big_ = true;
    return 0;  // CURLE_WRITE_ERROR: the transfer ends here
  }
  if (t->budget_ != nullptr) {
    if (!t->budget_->TryTake(static_cast<int64_t>(bytes))) {
      t->paused_ = true;
      return CURL_WRITEFUNC_PAUSE;  // curl keeps these bytes for Resume
    }
    t->taken_ += static_cast<int64_t>(bytes);
  }
  if (t->body_.empty()) {
    // Sized once from Content-Length, up to 1 MiB (an announced size is not
    // trusted further): growing by doubling copied each body about twice.
    curl_off_t length = -1;
    if (curl_easy_getinfo(t->curl_, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T,
                          &length) == CURLE_OK &&
        length > 0) {
      t->body_.reserve(static_cast<size_t>(
          std::min<curl_off_t>(length, curl_off_t{1} << 20)));
    }
  }
  t->body_.append(data, bytes);
  return bytes;
}

void EasyTransfer::Resume() {
  paused_ = false;
  curl_easy_pause(curl_, CURLPAUSE_CONT);
}

void EasyTransfer::DropBody() {
  if (budget_ != nullptr && taken_ > 0) budget_->Give(taken_);
  taken_ = 0;
  paused_ = false;
  std::string().swap(body_);
}

void EasyTransfer::Prepare(const std::string& url,
                           const DownloaderOptions& options) {
  curl_easy_reset(curl_);
  DropBody();
  url_ = url;
  error_[0] = '\0';
  budget_ = options.budget;
  max_page_ = options.max_page_size;
  max_redirects_ = options.max_redirects;
  too_big_ = false;
  curl_easy_setopt(curl_, CURLOPT_URL, url_.c_str());
  curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl_, CURLOPT_ERRORBUFFER, error_);
  curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, Write);
  curl_easy_setopt(curl_, CURLOPT_WRITEDATA, this);
  if (max_page_ > 0) {
    // A Content-Length over the limit fails before any byte of the body.
    curl_easy_setopt(curl_, CURLOPT_MAXFILESIZE_LARGE,
                     static_cast<curl_off_t>(max_page_));
  }
  // Redirects, as curl -L, wget and aria2 follow them; never
  // CURLOPT_UNRESTRICTED_AUTH, so credentials stay with the original host
  // and port.
  curl_easy_setopt(curl_, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl_, CURLOPT_MAXREDIRS,
                   static_cast<long>(std::max(0, max_redirects_)));
  curl_easy_setopt(curl_, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(
      curl_, CURLOPT_CONNECTTIMEOUT_MS,
      static_cast<long>(absl::ToInt64Milliseconds(options.connect_timeout)));
  curl_easy_setopt(
      curl_, CURLOPT_TIMEOUT_MS,
      static_cast<long>(absl::ToInt64Milliseconds(options.timeout)));
  curl_easy_setopt(curl_, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl_, CURLOPT_PRIVATE, this);
  if (!options.credentials.empty()) {
    curl_easy_setopt(curl_, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(curl_, CURLOPT_USERNAME, options.credentials.user.c_str());
    curl_easy_setopt(curl_, CURLOPT_PASSWORD,
                     options.credentials.password.c_str());
  }
}

Attempt EasyTransfer::Finish(CURLcode rc) {
  Attempt a;
  const std::string where = absl::StrCat("GET ", RedactUrl(url_));
  if (too_big_ || rc == CURLE_FILESIZE_EXCEEDED) {
    a.what = absl::StrCat(rc == CURLE_FILESIZE_EXCEEDED
                              ? "a Content-Length over the page size limit of "
                              : "body over the page size limit of ",
                          max_page_, " bytes");
    a.status = absl::ResourceExhaustedError(
        absl::StrCat(where, ": ", a.what, " (not retried)"));
    DropBody();
    return a;
  }
  if (rc == CURLE_TOO_MANY_REDIRECTS) {
    a.what = absl::StrCat("a redirect loop: more than ", max_redirects_,
                          " redirects");
    a.status = absl::FailedPreconditionError(
        absl::StrCat(where, ": ", a.what, " (not retried)"));
    DropBody();
    return a;
  }
  if (rc != CURLE_OK) {
    DropBody();
    a.retryable = RetryableCurl(rc);
    a.what =
        absl::StrCat(curl_easy_strerror(rc), error_[0] ? ": " : "", error_);
    absl::StatusCode code =
        rc == CURLE_OPERATION_TIMEDOUT ? absl::StatusCode::kDeadlineExceeded
        : rc == CURLE_PARTIAL_FILE     ? absl::StatusCode::kDataLoss
                                       : absl::StatusCode::kUnavailable;
    a.status = absl::Status(code, absl::StrCat(where, ": ", a.what));
    return a;
  }
  long http = 0;
  curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &http);
  if (http < 200 || http >= 300) {
    DropBody();
    a.what = absl::StrCat("HTTP ", http);
    a.retryable = RetryableHttp(http);
    curl_off_t retry_after = 0;
    if (curl_easy_getinfo(curl_, CURLINFO_RETRY_AFTER, &retry_after) ==
            CURLE_OK &&
        retry_after > 0) {
      a.retry_after = absl::Seconds(retry_after);
    }
    a.status = absl::Status(
        CodeForHttp(http, a.retryable),
        absl::StrCat(where, ": ", a.what, a.retryable ? "" : " (not retried)"));
    return a;
  }
  curl_off_t length = -1;
  curl_easy_getinfo(curl_, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
  if (length >= 0 && static_cast<uint64_t>(length) != body_.size()) {
    a.retryable = true;
    a.what = absl::StrFormat("body of %d bytes, Content-Length %d",
                             body_.size(), length);
    a.status = absl::DataLossError(absl::StrCat(where, ": truncated ", a.what));
    DropBody();
    return a;
  }
  a.body = std::move(body_);
  body_.clear();
  if (budget_ != nullptr) a.grant = budget_->GrantOf(std::exchange(taken_, 0));
  return a;
}

RetrySchedule::RetrySchedule(const RetryPolicy& policy)
    : policy_(policy), backoff_(policy.initial_backoff) {}

std::optional<absl::Duration> RetrySchedule::Next(const std::string& url,
                                                  Attempt* a) {
  ++attempts_;
  if (a->status.ok() || !a->retryable) return std::nullopt;
  if (attempts_ >= std::max(1, policy_.max_attempts)) {
    a->status = absl::Status(
        a->status.code(),
        absl::StrFormat("GET %s: gave up after %d attempts; the last got %s",
                        RedactUrl(url), attempts_, a->what));
    return std::nullopt;
  }
  if (a->retry_after > policy_.max_retry_after) {
    a->status = absl::Status(
        a->status.code(),
        absl::StrFormat(
            "GET %s: %s asked to retry after %s, longer than the "
            "%s allowed; giving up after %d attempts",
            RedactUrl(url), a->what, absl::FormatDuration(a->retry_after),
            absl::FormatDuration(policy_.max_retry_after), attempts_));
    return std::nullopt;
  }
  double scale = policy_.jitter > 0 ? absl::Uniform(rng_, 1.0 - policy_.jitter,
                                                    1.0 + policy_.jitter)
                                    : 1.0;
  absl::Duration wait = std::max(backoff_ * scale, a->retry_after);
  backoff_ = std::min(backoff_ * policy_.multiplier, policy_.max_backoff);
  return wait;
}

}  // namespace concurrency::pipeline
