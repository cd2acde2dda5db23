// WarnTimeout: a decorator whose parameter can be changed later, the
// tutorial's `warn_timeout` with its `set_timeout`.
//
//   auto f = WarnTimeout(Work, {.name = "f", .timeout = absl::Seconds(1.5)});
//   f(1);                          // warns if the call took over 1.5 s
//   f.set_timeout(absl::Seconds(1));
//
// After each call that returns, if it took longer than the current timeout,
// one line goes to the warning sink: "f: 1.8s > 1.5s" (the function's name,
// the time used, the threshold), as `logging.warning('%s: %s > %s', ...)`
// does. The sink defaults to stderr ("WARNING: ..."); tests pass their own,
// and their own clock, so that no test sleeps.
//
// Thread-safety: `set_timeout` may be called while other threads call the
// wrapper (the timeout is an atomic); the sink is called from the calling
// threads and must be thread-safe (the default is). Copies of a WarnTimeout
// share the timeout, as every caller of a decorated Python function shares
// its closure. Results, references, void and move-only arguments pass through
// (call_then.h).
#ifndef DECORATORS_WARN_TIMEOUT_H_
#define DECORATORS_WARN_TIMEOUT_H_

#include <atomic>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "decorators/call_then.h"

namespace decorators {

struct WarnTimeoutOptions {
  std::string name = "<lambda>";
  absl::Duration timeout = absl::Seconds(1);
  // Receives each warning line.
  std::function<void(absl::string_view)> sink = [](absl::string_view line) {
    std::fprintf(stderr, "WARNING: %.*s\n", static_cast<int>(line.size()),
                 line.data());
  };
  std::function<absl::Time()> now = [] { return absl::Now(); };
};

template <typename F>
class WarnTimeout {
 public:
  WarnTimeout(F f, WarnTimeoutOptions options)
      : f_(std::move(f)),
        shared_(std::make_shared<Shared>(std::move(options))) {}

  template <typename... A>
  std::invoke_result_t<F&, A...> operator()(A&&... args) {
    const absl::Time start = shared_->options.now();
    return CallThen([&] { Check(start); }, f_, std::forward<A>(args)...);
  }

  void set_timeout(absl::Duration timeout) {
    shared_->timeout_ns.store(absl::ToInt64Nanoseconds(timeout),
                              std::memory_order_relaxed);
  }
  absl::Duration timeout() const {
    return absl::Nanoseconds(
        shared_->timeout_ns.load(std::memory_order_relaxed));
  }

 private:
  struct Shared {
    explicit Shared(WarnTimeoutOptions o)
        : options(std::move(o)),
          timeout_ns(absl::ToInt64Nanoseconds(options.timeout)) {}
    const WarnTimeoutOptions options;
    std::atomic<int64_t> timeout_ns;
  };

  void Check(absl::Time start) const {
    const absl::Duration used = shared_->options.now() - start;
    const absl::Duration limit = timeout();
    if (used > limit) {
      shared_->options.sink(absl::StrFormat(
          "%s: %s > %s", shared_->options.name, absl::FormatDuration(used),
          absl::FormatDuration(limit)));
    }
  }

  F f_;
  std::shared_ptr<Shared> shared_;
};

}  // namespace decorators

#endif  // DECORATORS_WARN_TIMEOUT_H_
