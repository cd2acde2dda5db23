#include "concurrency/pipeline/multi_fetcher.h"

#include <curl/curl.h>

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "concurrency/pipeline/transfer.h"

namespace concurrency::pipeline {
namespace {

// The longest the loop sleeps without looking at its timers.
constexpr absl::Duration kMaxPoll = absl::Milliseconds(250);
// No transfer starts with less than this left in the budget (curl hands a
// body over in pieces of up to 16 KiB).
constexpr int64_t kStartRoom = 64 << 10;

struct Timer {
  absl::Time due;
  size_t index;
  bool operator>(const Timer& o) const { return due > o.due; }
};

// The state of one Run: which URLs wait, which are in flight on which
// transfer, and when the retries are due.
class Loop {
 public:
  Loop(CURLM* multi, const MultiFetcherOptions& options,
       const std::vector<std::string>& urls,
       MultiFetcher::OnDoneWithGrant on_done)
      : multi_(multi),
        options_(options),
        budget_(options.download.budget),
        urls_(urls),
        on_done_(on_done) {
    for (size_t i = 0; i < urls.size(); ++i) waiting_.push_back(i);
  }

  // Transfers still in flight (after an error) leave the multi handle first.
  ~Loop() {
    for (const auto& [t, i] : index_of_) {
      curl_multi_remove_handle(multi_, t->handle());
    }
  }

  absl::Status Run() {
    while (!waiting_.empty() || !timers_.empty() || in_flight_ > 0) {
      if (options_.cancelled && options_.cancelled()) {
        CancelAll();
        break;
      }
      ResumePaused();
      StartDueRetries();
      if (absl::Status s = StartWaiting(); !s.ok()) return s;
      int running = 0;
      if (CURLMcode rc = curl_multi_perform(multi_, &running); rc != CURLM_OK) {
        return absl::InternalError(
            absl::StrCat("curl_multi_perform: ", curl_multi_strerror(rc)));
      }
      HarvestDone();
      BreakStandstill();
      if (absl::Status s = Wait(); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  int64_t attempts() const { return attempts_; }
  int peak_in_flight() const { return peak_; }
  int64_t restarts() const { return restarts_; }
  int handles() const { return static_cast<int>(owned_.size()); }

 private:
  struct Job {
    std::optional<RetrySchedule> schedule;
    EasyTransfer* transfer = nullptr;
    int64_t started = 0;  // order of its latest start
  };

  // Stopped: every URL not done yet ends as Cancelled.
  void CancelAll() {
    std::vector<size_t> left(waiting_.begin(), waiting_.end());
    waiting_.clear();
    for (; !timers_.empty(); timers_.pop()) left.push_back(timers_.top().index);
    for (const auto& [t, i] : index_of_) {
      curl_multi_remove_handle(multi_, t->handle());
      t->DropBody();
      free_.push_back(t);
      left.push_back(i);
    }
    index_of_.clear();
    in_flight_ = 0;
    std::sort(left.begin(), left.end());
    for (size_t i : left) {
      on_done_(
          i,
          absl::CancelledError(absl::StrCat("GET ", RedactUrl(urls_[i]),
                                            ": stopped before it finished")),
          MemoryBudget::Grant());
    }
  }

  // Paused transfers go on while the budget has room (each may pause again
  // at once, inside Resume).
  void ResumePaused() {
    if (budget_ == nullptr) return;
    for (const auto& [t, i] : index_of_) {
      if (!t->paused()) continue;
      if (!budget_->HasRoom(1)) return;
      t->Resume();
    }
  }

  // Every transfer in flight paused, and no memory given back through a
  // whole wait of the loop: nothing is coming, and if several transfers
  // share what is left, none may ever fit. The newest is stopped, its body
  // dropped, and it waits to start again, so that older ones can finish; a
  // transfer alone waits for memory (its consumer's to give back).
  void BreakStandstill() {
    if (budget_ == nullptr || in_flight_ < 2) {
      standstill_gives_ = -1;
      return;
    }
    EasyTransfer* newest = nullptr;
    for (const auto& [t, i] : index_of_) {
      if (!t->paused()) {
        standstill_gives_ = -1;
        return;
      }
      if (newest == nullptr ||
          jobs_[i].started > jobs_[index_of_[newest]].started) {
        newest = t;
      }
    }
    const int64_t gives = budget_->gives();
    if (standstill_gives_ != gives) {  // first seen, or memory came back
      standstill_gives_ = gives;
      return;
    }
    const size_t i = index_of_[newest];
    curl_multi_remove_handle(multi_, newest->handle());
    newest->DropBody();
    index_of_.erase(newest);
    free_.push_back(newest);
    --in_flight_;
    ++restarts_;
    waiting_.push_front(i);
  }

  void StartDueRetries() {
    const absl::Time now = absl::Now();
    while (!timers_.empty() && timers_.top().due <= now) {
      waiting_.push_front(timers_.top().index);  // retries go first
      timers_.pop();
    }
  }

  absl::Status StartWaiting() {
    while (!waiting_.empty() && in_flight_ < options_.max_in_flight) {
      if (budget_ != nullptr && in_flight_ > 0 &&
          !budget_->HasRoom(kStartRoom)) {
        break;  // the budget is full: no new transfer
      }
      size_t i = waiting_.front();
      waiting_.pop_front();
      EasyTransfer* t = Acquire();
      if (t == nullptr) return absl::ResourceExhaustedError("curl_easy_init");
      jobs_[i].transfer = t;
      jobs_[i].started = ++starts_;
      index_of_[t] = i;
      t->Prepare(urls_[i], options_.download);
      curl_multi_add_handle(multi_, t->handle());
      peak_ = std::max(peak_, ++in_flight_);
    }
    return absl::OkStatus();
  }

  void HarvestDone() {
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      EasyTransfer* t = nullptr;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &t);
      CURLcode rc = msg->data.result;
      curl_multi_remove_handle(multi_, msg->easy_handle);
      --in_flight_;
      const size_t i = index_of_[t];
      index_of_.erase(t);
      Attempt a = t->Finish(rc);
      free_.push_back(t);
      ++attempts_;
      Decide(i, std::move(a));
    }
  }

  // After attempt `a` of URL `i`: a retry timer, or the end.
  void Decide(size_t i, Attempt a) {
    Job& job = jobs_[i];
    if (!job.schedule.has_value())
      job.schedule.emplace(options_.download.retry);
    std::optional<absl::Duration> wait = job.schedule->Next(urls_[i], &a);
    if (wait.has_value()) {
      if (options_.download.log) {
        options_.download.log(absl::StrFormat(
            "GET %s: %s; retrying in %s (attempt %d of %d)",
            RedactUrl(urls_[i]), a.what, absl::FormatDuration(*wait),
            job.schedule->attempts() + 1,
            std::max(1, options_.download.retry.max_attempts)));
      }
      timers_.push({absl::Now() + *wait, i});
      return;
    }
    job.schedule.reset();
    if (a.status.ok()) {
      on_done_(i, std::move(a.body), std::move(a.grant));
    } else {
      on_done_(i, std::move(a.status), MemoryBudget::Grant());
    }
  }

  absl::Status Wait() {
    long curl_ms = -1;
    curl_multi_timeout(multi_, &curl_ms);
    absl::Duration wait = curl_ms < 0 ? kMaxPoll : absl::Milliseconds(curl_ms);
    wait = std::min(wait, kMaxPoll);
    if (!timers_.empty()) {
      wait = std::min(wait, std::max(absl::ZeroDuration(),
                                     timers_.top().due - absl::Now()));
    }
    if (in_flight_ == 0 && waiting_.empty() && timers_.empty()) {
      return absl::OkStatus();
    }
    // URLs wait and nothing is in flight: start them now (sleeping here
    // cost up to kMaxPoll per URL when transfers ran one at a time).
    if (in_flight_ == 0 && !waiting_.empty()) return absl::OkStatus();
    if (in_flight_ == 0) {  // only timers: nothing for curl to watch
      absl::SleepFor(wait);
      return absl::OkStatus();
    }
    int ready = 0;
    CURLMcode rc = curl_multi_poll(
        multi_, nullptr, 0, static_cast<int>(absl::ToInt64Milliseconds(wait)),
        &ready);
    if (rc != CURLM_OK) {
      return absl::InternalError(
          absl::StrCat("curl_multi_poll: ", curl_multi_strerror(rc)));
    }
    return absl::OkStatus();
  }

  EasyTransfer* Acquire() {
    if (!free_.empty()) {
      EasyTransfer* t = free_.back();
      free_.pop_back();
      return t;
    }
    owned_.push_back(std::make_unique<EasyTransfer>());
    return owned_.back()->valid() ? owned_.back().get() : nullptr;
  }

  CURLM* const multi_;
  const MultiFetcherOptions& options_;
  MemoryBudget* const budget_;
  const std::vector<std::string>& urls_;
  MultiFetcher::OnDoneWithGrant on_done_;

  std::deque<size_t> waiting_;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers_;
  std::map<size_t, Job> jobs_;
  std::map<EasyTransfer*, size_t> index_of_;
  std::vector<std::unique_ptr<EasyTransfer>> owned_;
  std::vector<EasyTransfer*> free_;
  int in_flight_ = 0;
  int peak_ = 0;
  int64_t attempts_ = 0;
  int64_t starts_ = 0;
  int64_t restarts_ = 0;
  int64_t standstill_gives_ = -1;  // budget's gives() when all paused
};

}  // namespace

MultiFetcher::MultiFetcher(MultiFetcherOptions options)
    : options_(std::move(options)) {
  InitCurlOnce();
}

absl::Status MultiFetcher::Run(const std::vector<std::string>& urls,
                               OnDone on_done) {
  return Run(urls, [&](size_t i, absl::StatusOr<std::string> body,
                       MemoryBudget::Grant) { on_done(i, std::move(body)); });
}

absl::Status MultiFetcher::Run(const std::vector<std::string>& urls,
                               OnDoneWithGrant on_done) {
  CURLM* multi = curl_multi_init();
  if (multi == nullptr) return absl::ResourceExhaustedError("curl_multi_init");
  absl::Cleanup cleanup = [multi] { curl_multi_cleanup(multi); };
  curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS,
                    static_cast<long>(std::max(1, options_.max_per_host)));
  // Connections kept for reuse: as many as may be in flight.
  curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS,
                    static_cast<long>(std::max(1, options_.max_in_flight)));
  // Memory given back wakes the loop, to resume what paused.
  MemoryBudget* budget = options_.download.budget;
  if (budget != nullptr) {
    budget->SetOnGive([multi] { curl_multi_wakeup(multi); });
  }
  absl::Cleanup no_waker = [budget] {
    if (budget != nullptr) budget->SetOnGive(nullptr);
  };
  // Declared after `cleanup`, the loop (and its easy handles) goes first.
  Loop loop(multi, options_, urls, on_done);
  absl::Status s = loop.Run();
  attempts_ += loop.attempts();
  restarts_ += loop.restarts();
  handles_ = std::max(handles_, loop.handles());
  peak_in_flight_ = std::max(peak_in_flight_, loop.peak_in_flight());
  return s;
}

}  // namespace concurrency::pipeline
