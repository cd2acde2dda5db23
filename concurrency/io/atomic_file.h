// AtomicFile: a file that appears under its final name only when it is
// complete and durable.
//
// Bytes go to a hidden temporary file in the destination directory
// (`.NAME.tmp.PID.N`). `Commit()` flushes, fsyncs, closes, moves the file to
// its final name and fsyncs the directory, so after a crash at any moment the
// final name either does not exist or holds every byte. An AtomicFile that is
// destroyed without a successful `Commit()` removes its temporary file: a
// failed write (a full disk, say) leaves nothing behind under any name. A
// crash can leave a temporary file, never a half-written final one.
//
// `Sync` chooses what `Commit()` makes durable against power loss: kAll
// (the default) fsyncs the file before the rename and the directory after it;
// kFile only the file (the name may be lost on power loss, the content is
// never partial under it); kNone neither (still atomic against a killed
// process, since the page cache outlives it, but not against power loss).
// kLater is for a caller with a commit record of its own (the pipeline's
// journal), which is what says a file is whole: `Commit()` moves the file to
// its final name without an fsync and keeps the descriptor; `SyncLater()`
// fsyncs it, and the caller then syncs the directory before its record names
// the file. Until then a power loss may leave the final name with partial
// content, so nothing may rely on the name alone. It takes the disk's wait
// off the thread that writes the file. (Starting writeback at Commit() with
// sync_file_range was measured, and cost more system CPU than it saved.)
//
// `Mode::kNoReplace` (the default) refuses to overwrite an existing final
// file: `Commit()` fails with `AlreadyExists` and the temporary is dropped.
//
// Errors are `absl::Status` values naming the path and the system error.
// Not thread-safe: one writer per AtomicFile.
#ifndef CONCURRENCY_IO_ATOMIC_FILE_H_
#define CONCURRENCY_IO_ATOMIC_FILE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "concurrency/io/scoped_fd.h"

namespace concurrency::io {

class AtomicFile {
 public:
  enum class Mode { kNoReplace, kReplace };
  enum class Sync { kAll, kFile, kLater, kNone };

  static absl::StatusOr<std::unique_ptr<AtomicFile>> Create(
      std::string path, Mode mode = Mode::kNoReplace, Sync sync = Sync::kAll);

  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();

  // Buffers `data`; writes when the buffer fills.
  absl::Status Append(absl::string_view data);

  // Makes the file durable under its final name. Call at most once; after a
  // failure the temporary file is gone and the AtomicFile is spent.
  absl::Status Commit();

  // With Sync::kLater, after a successful Commit(): fsyncs and closes the
  // file. Call at most once.
  absl::Status SyncLater();

  // Drops the temporary file without committing (the destructor does this).
  void Abandon();

  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_path_; }
  uint64_t bytes_written() const { return bytes_; }

 private:
  AtomicFile(std::string path, std::string temp_path, ScopedFd fd, Mode mode,
             Sync sync);
  absl::Status Flush();

  const std::string path_;
  const std::string temp_path_;
  ScopedFd fd_;
  const Mode mode_;
  const Sync sync_;
  std::string buffer_;
  uint64_t bytes_ = 0;
  bool done_ = false;
};

// Writes `data` to `path` through an AtomicFile.
absl::Status WriteFileAtomically(
    const std::string& path, absl::string_view data,
    AtomicFile::Mode mode = AtomicFile::Mode::kNoReplace);

}  // namespace concurrency::io

#endif  // CONCURRENCY_IO_ATOMIC_FILE_H_
