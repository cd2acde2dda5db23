// -----------------------------------------------------------------------------
// File: file_util.h
// -----------------------------------------------------------------------------
//
// Small path and file helpers shared by every package: path splitting, a whole
// file read into memory, `mkdir -p`, and the directory fsync that makes a
// rename durable. Errors are PosixError statuses naming the path.
//
// Thread-safe: the functions keep no state.
#ifndef CONCURRENCY_IO_FILE_UTIL_H_
#define CONCURRENCY_IO_FILE_UTIL_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace concurrency::io {

// fsyncs the directory `dir`, making renames and unlinks in it durable.
absl::Status SyncDir(const std::string& dir);

// The directory part of `path` ("." when there is none).
std::string DirName(absl::string_view path);

// The last component of `path`.
absl::string_view BaseName(absl::string_view path);

// Reads a whole file; errors name the path.
absl::StatusOr<std::string> ReadFileToString(const std::string& path);

// The names in `dir` (without "." and ".."), sorted.
absl::StatusOr<std::vector<std::string>> ListDirectory(const std::string& dir);

// Removes `path`; a path that is already gone is fine.
absl::Status RemoveFile(const std::string& path);

// Creates `dir` and its missing parents (like `mkdir -p`).
absl::Status MakeDirs(const std::string& dir);

}  // namespace concurrency::io

#endif  // CONCURRENCY_IO_FILE_UTIL_H_
