#include "concurrency/io/atomic_file.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <utility>

#include "absl/strings/str_cat.h"
#include "concurrency/io/file_util.h"
#include "concurrency/io/posix_error.h"
#include "concurrency/io/read_write.h"

namespace concurrency::io {
namespace {

constexpr size_t kBufferSize = 256 << 10;

// Moves `from` to `to` without replacing an existing `to`. renameat2 with
// RENAME_NOREPLACE is atomic; file systems without it get link()+unlink(),
// which is also safe: `to` is a complete file the moment link() succeeds.
int RenameNoReplace(const char* from, const char* to) {
  if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return -1;
  if (link(from, to) != 0) return -1;
  unlink(from);
  return 0;
}

}  // namespace

absl::StatusOr<std::unique_ptr<AtomicFile>> AtomicFile::Create(std::string path,
                                                               Mode mode,
                                                               Sync sync) {
  static std::atomic<uint64_t> counter{0};
  if (path.empty() || path.back() == '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("AtomicFile: not a file path: \"", path, "\""));
  }
  std::string dir = DirName(path);
  std::string temp = absl::StrCat(dir, "/.", BaseName(path), ".tmp.", getpid(),
                                  ".", counter.fetch_add(1));
  ScopedFd fd(
      open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd.valid()) return PosixError(absl::StrCat("create ", temp), errno);
  return std::unique_ptr<AtomicFile>(new AtomicFile(
      std::move(path), std::move(temp), std::move(fd), mode, sync));
}

AtomicFile::AtomicFile(std::string path, std::string temp_path, ScopedFd fd,
                       Mode mode, Sync sync)
    : path_(std::move(path)),
      temp_path_(std::move(temp_path)),
      fd_(std::move(fd)),
      mode_(mode),
      sync_(sync) {
  buffer_.reserve(kBufferSize);
}

AtomicFile::~AtomicFile() { Abandon(); }

void AtomicFile::Abandon() {
  if (done_) return;
  done_ = true;
  fd_.Reset();
  unlink(temp_path_.c_str());
}

absl::Status AtomicFile::Append(absl::string_view data) {
  if (done_) {
    return absl::FailedPreconditionError(
        absl::StrCat("write ", path_, ": file already committed or failed"));
  }
  if (buffer_.size() + data.size() > kBufferSize) {
    if (absl::Status s = Flush(); !s.ok()) return s;
    if (data.size() >= kBufferSize) {
      buffer_.assign(data.data(), data.size());
      return Flush();
    }
  }
  buffer_.append(data.data(), data.size());
  return absl::OkStatus();
}

absl::Status AtomicFile::Flush() {
  absl::Status s =
      WriteAll(fd_.get(), buffer_, absl::StrCat("write ", temp_path_));
  if (!s.ok()) {
    Abandon();
    return s;
  }
  bytes_ += buffer_.size();
  buffer_.clear();
  return absl::OkStatus();
}

absl::Status AtomicFile::Commit() {
  if (done_) {
    return absl::FailedPreconditionError(
        absl::StrCat("commit ", path_, ": file already committed or failed"));
  }
  if (absl::Status s = Flush(); !s.ok()) return s;
  absl::Status s;
  if ((sync_ == Sync::kAll || sync_ == Sync::kFile) && fsync(fd_.get()) != 0) {
    s = PosixError(absl::StrCat("fsync ", temp_path_), errno);
  }
  if (s.ok() && sync_ != Sync::kLater) {
    s = fd_.Close(absl::StrCat("close ", temp_path_));
  }
  if (s.ok()) {
    int rc = mode_ == Mode::kNoReplace
                 ? RenameNoReplace(temp_path_.c_str(), path_.c_str())
                 : rename(temp_path_.c_str(), path_.c_str());
    if (rc != 0) {
      s = errno == EEXIST
              ? absl::AlreadyExistsError(
                    absl::StrCat(path_, " already exists; not overwriting it"))
              : PosixError(absl::StrCat("rename to ", path_), errno);
    }
  }
  if (!s.ok()) {
    Abandon();
    return s;
  }
  done_ = true;
  return sync_ == Sync::kAll ? SyncDir(DirName(path_)) : absl::OkStatus();
}

absl::Status AtomicFile::SyncLater() {
  if (sync_ != Sync::kLater || !done_ || !fd_.valid()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "sync ", path_, ": not a committed Sync::kLater file, or synced"));
  }
  if (fsync(fd_.get()) != 0) {
    absl::Status s = PosixError(absl::StrCat("fsync ", path_), errno);
    fd_.Reset();
    return s;
  }
  return fd_.Close(absl::StrCat("close ", path_));
}

absl::Status WriteFileAtomically(const std::string& path,
                                 absl::string_view data,
                                 AtomicFile::Mode mode) {
  absl::StatusOr<std::unique_ptr<AtomicFile>> file =
      AtomicFile::Create(path, mode);
  if (!file.ok()) return file.status();
  if (absl::Status s = (*file)->Append(data); !s.ok()) return s;
  return (*file)->Commit();
}

}  // namespace concurrency::io
