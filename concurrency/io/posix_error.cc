#include "concurrency/io/posix_error.h"

#include "absl/strings/str_cat.h"

namespace concurrency::io {

absl::Status PosixError(absl::string_view context, int error_number) {
  if (error_number == 0) {
    return absl::UnknownError(
        absl::StrCat(context, ": failed without an errno value"));
  }
  // ErrnoToStatus's message is "<context>: <strerror>".
  return absl::ErrnoToStatus(error_number, context);
}

}  // namespace concurrency::io
