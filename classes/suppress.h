// RunSuppressing: what a Python `__exit__` that returns True does to an
// exception raised inside its `with` block: it catches it, reports it, and
// the program goes on after the block.
//
// clang-format off
//   absl::Status s = RunSuppressing([&] { ...; throw std::runtime_error("TEST"); },
//                                   [](absl::string_view what) { log(what); });
//   // s is an Internal error "suppressed exception: TEST"; execution continues.
// clang-format on
//
// The default, in C++ as in Python without `return True`, is to let the
// exception propagate: just call the body. Destructors (RAII) run either way,
// which is what the tutorial's `__exit__` is for. Suppressing is rarely
// right: it hides failures (the anchors found the MJPEG streamer's errors
// swallowed this way), so the helper at least makes the suppression visible
// through `report` and the returned Status.
#ifndef CLASSES_SUPPRESS_H_
#define CLASSES_SUPPRESS_H_

#include <exception>
#include <functional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace classes {

template <typename Body>
absl::Status RunSuppressing(
    Body&& body, const std::function<void(absl::string_view)>& report) {
  std::string what;
  try {
    std::forward<Body>(body)();
    return absl::OkStatus();
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
    what = "an exception not derived from std::exception";
  }
  if (report) report(what);
  return absl::InternalError(absl::StrCat("suppressed exception: ", what));
}

}  // namespace classes

#endif  // CLASSES_SUPPRESS_H_
