// CallInfo: a decorator that is a member of a class, the tutorial's
// `CallInfo.info`: an object owning a log file whose `Info(f, name)` wraps
// functions so that each call appends one line to that file.
//
// clang-format off
//   absl::StatusOr<std::shared_ptr<CallInfo>> ci1 = CallInfo::Open("mylog1.log");
//   auto f = (*ci1)->Info(F, "f");  // @ci1.info
//   f();                            // mylog1.log: "f -> 11/25/26 15:30:01\t0.30012\t1"
//   (*ci1)->set_format("%(func_name)s -> %(call_time)s\t%(call_n)s");
//   (*ci1)->turn_on_off(false);
// clang-format on
//
// The line comes from a template in Python's %-format syntax, with the fields
// `func_name` (the name given to Info), `call_time` (when the call began, as
// `time.strftime('%x %X')` in local time), `used_time` (seconds, a float) and
// `call_n` (this function's calls so far, this one included). Conversions
// `s`, `r`, `d`, `i`, `f` with optional `-` flag, width and precision, and
// `%%`. A template that names an unknown field, or asks `d` of a string, is
// refused by `set_format` (and `Open`), not at call time.
//
// Thread-safety: wrapped functions may be called from many threads; each
// line is written whole with one write() under a mutex, so lines never
// interleave. `set_format` and `turn_on_off` may be called at any time. A
// wrapper keeps its CallInfo alive (shared_ptr). With logging off a call
// costs an atomic load and a counter increment (call_n keeps counting, as in
// Python). Calls that throw are not logged or counted (Python skips them too).
#ifndef DECORATORS_CALL_INFO_H_
#define DECORATORS_CALL_INFO_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "concurrency/io/scoped_fd.h"
#include "decorators/call_then.h"

namespace decorators {

inline constexpr absl::string_view kDefaultCallFormat =
    "%(func_name)s -> %(call_time)s\t%(used_time)s\t%(call_n)s";

// What one call reports.
struct CallRecord {
  absl::string_view func_name;
  absl::Time call_time;
  absl::Duration used_time;
  int64_t call_n = 0;
};

// A parsed %-format template over the CallRecord fields.
class CallFormat {
 public:
  static absl::StatusOr<CallFormat> Parse(absl::string_view format);
  std::string Format(const CallRecord& record, absl::TimeZone tz) const;

 private:
  struct Piece {
    std::string literal;  // when field < 0
    int field = -1;
    char conversion = 's';
    bool left = false;
    int width = 0;
    int precision = -1;
  };

  static absl::Status ParseField(absl::string_view format, size_t* i, Piece* p);
  static absl::Status ParseSpec(absl::string_view format, size_t* i, Piece* p);
  void AddLiteral(std::string* literal);

  std::vector<Piece> pieces_;
};

struct CallInfoOptions {
  std::string format = std::string(kDefaultCallFormat);
  bool on = true;
  std::function<absl::Time()> now = [] { return absl::Now(); };
  absl::TimeZone time_zone = absl::LocalTimeZone();
};

template <typename F>
class CallLogged;

class CallInfo : public std::enable_shared_from_this<CallInfo> {
 public:
  // Opens (creates or appends to) `log_path`.
  static absl::StatusOr<std::shared_ptr<CallInfo>> Open(
      std::string log_path, CallInfoOptions options = {});
  CallInfo(const CallInfo&) = delete;
  CallInfo& operator=(const CallInfo&) = delete;

  // The decorator: wraps `f`, logging each call under `name`.
  template <typename F>
  CallLogged<F> Info(F f, std::string name) {
    return CallLogged<F>(shared_from_this(), std::move(f), std::move(name));
  }

  absl::Status set_format(absl::string_view format) ABSL_LOCKS_EXCLUDED(mu_);
  void turn_on_off(bool on) { on_.store(on, std::memory_order_relaxed); }
  bool is_on() const { return on_.load(std::memory_order_relaxed); }
  const std::string& path() const { return path_; }

  // Writes the line for `record`. Errors writing the log are counted, not
  // thrown into the caller's call.
  void Log(const CallRecord& record) ABSL_LOCKS_EXCLUDED(mu_);
  absl::Time Now() const { return options_.now(); }
  int64_t write_errors() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  CallInfo(std::string path, concurrency::io::ScopedFd fd, CallFormat format,
           CallInfoOptions options);

  const std::string path_;
  const concurrency::io::ScopedFd fd_;
  const CallInfoOptions options_;
  std::atomic<bool> on_;
  mutable absl::Mutex mu_;
  CallFormat format_ ABSL_GUARDED_BY(mu_);
  int64_t write_errors_ ABSL_GUARDED_BY(mu_) = 0;
};

template <typename F>
class CallLogged {
 public:
  CallLogged(std::shared_ptr<CallInfo> info, F f, std::string name)
      : info_(std::move(info)),
        f_(std::move(f)),
        name_(std::move(name)),
        calls_(std::make_shared<std::atomic<int64_t>>(0)) {}

  template <typename... A>
  std::invoke_result_t<F&, A...> operator()(A&&... args) {
    if (!info_->is_on()) {
      return CallThen([&] { calls_->fetch_add(1, std::memory_order_relaxed); },
                      f_, std::forward<A>(args)...);
    }
    const absl::Time start = info_->Now();
    return CallThen(
        [&] {
          CallRecord r{name_, start, info_->Now() - start,
                       calls_->fetch_add(1, std::memory_order_relaxed) + 1};
          info_->Log(r);
        },
        f_, std::forward<A>(args)...);
  }

  int64_t calls() const { return calls_->load(); }
  const std::string& name() const { return name_; }

 private:
  std::shared_ptr<CallInfo> info_;
  F f_;
  std::string name_;
  std::shared_ptr<std::atomic<int64_t>> calls_;
};

}  // namespace decorators

#endif  // DECORATORS_CALL_INFO_H_
