#include "concurrency/pipeline/downloader.h"

#include <curl/curl.h>
#include <stdlib.h>

#include <algorithm>
#include <cmath>

#include "absl/base/call_once.h"
#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "concurrency/io/atomic_file.h"
#include "concurrency/io/file_util.h"

namespace concurrency::pipeline {
namespace {

absl::once_flag curl_init_once;

size_t AppendBody(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

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

}  // namespace

struct Downloader::Attempt {
  absl::Status status;  // OK: body holds the data
  std::string body;
  bool retryable = false;
  absl::Duration retry_after = absl::ZeroDuration();
  std::string what;  // "HTTP 503" or the curl error, for the final message
};

std::string RedactUrl(const std::string& url) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  size_t host = scheme + 3;
  size_t end = url.find_first_of("/?#", host);
  size_t at = url.rfind('@', end == std::string::npos ? url.size() : end);
  if (at == std::string::npos || at < host) return url;
  return url.substr(0, host) + url.substr(at + 1);
}

absl::StatusOr<Credentials> LoadCredentials(absl::string_view user,
                                            absl::string_view password,
                                            const std::string& path) {
  if (!user.empty() || !password.empty()) {
    return Credentials{std::string(user), std::string(password)};
  }
  if (!path.empty()) {
    absl::StatusOr<std::string> text = io::ReadFileToString(path);
    if (!text.ok()) return text.status();
    absl::string_view line = absl::StripTrailingAsciiWhitespace(*text);
    size_t colon = line.find(':');
    if (colon == absl::string_view::npos ||
        line.find('\n') != absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "credentials file ", path, ": expected one line user:password"));
    }
    return Credentials{std::string(line.substr(0, colon)),
                       std::string(line.substr(colon + 1))};
  }
  const char* env_user = getenv("PIPELINE_USER");
  const char* env_password = getenv("PIPELINE_PASSWORD");
  return Credentials{env_user ? env_user : "",
                     env_password ? env_password : ""};
}

Downloader::Downloader(DownloaderOptions options)
    : options_(std::move(options)) {
  absl::call_once(curl_init_once,
                  [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

Downloader::~Downloader() {
  absl::MutexLock l(&mu_);
  for (void* h : free_handles_) curl_easy_cleanup(static_cast<CURL*>(h));
}

int64_t Downloader::attempts() const {
  absl::MutexLock l(&mu_);
  return attempts_;
}

void* Downloader::AcquireHandle() {
  {
    absl::MutexLock l(&mu_);
    if (!free_handles_.empty()) {
      void* h = free_handles_.back();
      free_handles_.pop_back();
      return h;
    }
  }
  return curl_easy_init();
}

void Downloader::ReleaseHandle(void* handle) {
  absl::MutexLock l(&mu_);
  free_handles_.push_back(handle);
}

Downloader::Attempt Downloader::TryOnce(void* handle, const std::string& url) {
  CURL* curl = static_cast<CURL*>(handle);
  curl_easy_reset(curl);
  Attempt a;
  char error[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &a.body);
  curl_easy_setopt(
      curl, CURLOPT_CONNECTTIMEOUT_MS,
      static_cast<long>(absl::ToInt64Milliseconds(options_.connect_timeout)));
  curl_easy_setopt(
      curl, CURLOPT_TIMEOUT_MS,
      static_cast<long>(absl::ToInt64Milliseconds(options_.timeout)));
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  if (!options_.credentials.empty()) {
    curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(curl, CURLOPT_USERNAME, options_.credentials.user.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD,
                     options_.credentials.password.c_str());
  }
  CURLcode rc = curl_easy_perform(curl);
  const std::string where = absl::StrCat("GET ", RedactUrl(url));
  if (rc != CURLE_OK) {
    a.retryable = RetryableCurl(rc);
    a.what = absl::StrCat(curl_easy_strerror(rc), error[0] ? ": " : "", error);
    absl::StatusCode code =
        rc == CURLE_OPERATION_TIMEDOUT ? absl::StatusCode::kDeadlineExceeded
        : rc == CURLE_PARTIAL_FILE     ? absl::StatusCode::kDataLoss
                                       : absl::StatusCode::kUnavailable;
    a.status = absl::Status(code, absl::StrCat(where, ": ", a.what));
    a.body.clear();
    return a;
  }
  long http = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &http);
  curl_off_t length = -1;
  curl_easy_getinfo(curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
  if (http >= 200 && http < 300) {
    if (length >= 0 && static_cast<uint64_t>(length) != a.body.size()) {
      a.retryable = true;
      a.what = absl::StrFormat("body of %d bytes, Content-Length %d",
                               a.body.size(), length);
      a.status =
          absl::DataLossError(absl::StrCat(where, ": truncated ", a.what));
      a.body.clear();
    }
    return a;
  }
  a.body.clear();
  a.what = absl::StrCat("HTTP ", http);
  a.retryable = RetryableHttp(http);
  curl_off_t retry_after = 0;
  if (curl_easy_getinfo(curl, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK &&
      retry_after > 0) {
    a.retry_after = absl::Seconds(retry_after);
  }
  absl::StatusCode code = http == 404 ? absl::StatusCode::kNotFound
                          : http == 401 || http == 403
                              ? absl::StatusCode::kPermissionDenied
                          : a.retryable ? absl::StatusCode::kUnavailable
                                        : absl::StatusCode::kInvalidArgument;
  a.status = absl::Status(
      code,
      absl::StrCat(where, ": ", a.what, a.retryable ? "" : " (not retried)"));
  return a;
}

absl::StatusOr<std::string> Downloader::Fetch(const std::string& url) {
  const RetryPolicy& policy = options_.retry;
  const int max_attempts = std::max(1, policy.max_attempts);
  void* curl = AcquireHandle();
  if (curl == nullptr) {
    return absl::ResourceExhaustedError("curl_easy_init failed");
  }
  absl::BitGen rng;
  absl::Duration backoff = policy.initial_backoff;
  Attempt a;
  int attempt = 1;
  for (;; ++attempt) {
    a = TryOnce(curl, url);
    {
      absl::MutexLock l(&mu_);
      ++attempts_;
    }
    if (a.status.ok() || !a.retryable) break;
    if (attempt == max_attempts) {
      a.status = absl::Status(
          a.status.code(),
          absl::StrFormat("GET %s: gave up after %d attempts; the last got %s",
                          RedactUrl(url), attempt, a.what));
      break;
    }
    if (a.retry_after > policy.max_retry_after) {
      a.status = absl::Status(
          a.status.code(),
          absl::StrFormat(
              "GET %s: %s asked to retry after %s, longer than "
              "the %s allowed; giving up after %d attempts",
              RedactUrl(url), a.what, absl::FormatDuration(a.retry_after),
              absl::FormatDuration(policy.max_retry_after), attempt));
      break;
    }
    double scale = policy.jitter > 0 ? absl::Uniform(rng, 1.0 - policy.jitter,
                                                     1.0 + policy.jitter)
                                     : 1.0;
    absl::Duration wait = std::max(backoff * scale, a.retry_after);
    if (options_.log) {
      options_.log(absl::StrFormat(
          "GET %s: %s; retrying in %s (attempt %d of %d)", RedactUrl(url),
          a.what, absl::FormatDuration(wait), attempt + 1, max_attempts));
    }
    options_.sleep(wait);
    backoff = std::min(backoff * policy.multiplier, policy.max_backoff);
  }
  ReleaseHandle(curl);
  if (!a.status.ok()) return a.status;
  return std::move(a.body);
}

}  // namespace concurrency::pipeline
