#include "concurrency/pipeline/downloader.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "concurrency/pipeline/transfer.h"

namespace concurrency::pipeline {

Downloader::Downloader(DownloaderOptions options)
    : options_(std::move(options)) {}

Downloader::~Downloader() = default;

int64_t Downloader::attempts() const {
  absl::MutexLock l(&mu_);
  return attempts_;
}

std::unique_ptr<EasyTransfer> Downloader::AcquireTransfer() {
  {
    absl::MutexLock l(&mu_);
    if (!free_transfers_.empty()) {
      std::unique_ptr<EasyTransfer> t = std::move(free_transfers_.back());
      free_transfers_.pop_back();
      return t;
    }
  }
  return std::make_unique<EasyTransfer>();
}

void Downloader::ReleaseTransfer(std::unique_ptr<EasyTransfer> transfer) {
  absl::MutexLock l(&mu_);
  free_transfers_.push_back(std::move(transfer));
}

absl::StatusOr<std::string> Downloader::Fetch(const std::string& url) {
  std::unique_ptr<EasyTransfer> transfer = AcquireTransfer();
  if (!transfer->valid()) {
    return absl::ResourceExhaustedError("curl_easy_init failed");
  }
  RetrySchedule schedule(options_.retry);
  Attempt a;
  while (true) {
    transfer->Prepare(url, options_);
    a = transfer->Finish(curl_easy_perform(transfer->handle()));
    {
      absl::MutexLock l(&mu_);
      ++attempts_;
    }
    std::optional<absl::Duration> wait = schedule.Next(url, &a);
    if (!wait.has_value()) break;
    if (options_.log) {
      options_.log(absl::StrFormat(
          "GET %s: %s; retrying in %s (attempt %d of %d)", RedactUrl(url),
          a.what, absl::FormatDuration(*wait), schedule.attempts() + 1,
          std::max(1, options_.retry.max_attempts)));
    }
    options_.sleep(*wait);
  }
  ReleaseTransfer(std::move(transfer));
  if (!a.status.ok()) return a.status;
  return std::move(a.body);
}

}  // namespace concurrency::pipeline
