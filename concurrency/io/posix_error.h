// -----------------------------------------------------------------------------
// File: posix_error.h
// -----------------------------------------------------------------------------
//
// PosixError is the repository's one way of turning an `errno` value into an
// `absl::Status`. The status code follows absl::ErrnoToStatus (ENOENT is
// NotFound, ENOSPC ResourceExhausted, EACCES PermissionDenied, ...), and the
// message names what failed first, then the system's words:
//
//   return PosixError(absl::StrCat("open ", path), errno);
//   // -> NOT_FOUND: open /tmp/x.csv: No such file or directory
//
// Read errno immediately after the failing call: anything in between (even
// building the context string) may change it.
#ifndef CONCURRENCY_IO_POSIX_ERROR_H_
#define CONCURRENCY_IO_POSIX_ERROR_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace concurrency::io {

// Returns a non-OK status for `error_number` (an errno value) whose message is
// "<context>: <strerror text>". `context` names the operation and its object,
// e.g. "rename /a/.x.tmp to /a/x". An `error_number` of 0 still gives a
// non-OK status (Unknown), so a caller's failure is never lost.
absl::Status PosixError(absl::string_view context, int error_number);

}  // namespace concurrency::io

#endif  // CONCURRENCY_IO_POSIX_ERROR_H_
