#include "concurrency/atomic_file.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <utility>

#include "absl/strings/str_cat.h"

namespace concurrency {
namespace {

constexpr size_t kBufferSize = 256 << 10;

absl::Status Errno(absl::string_view what, absl::string_view path) {
  return absl::ErrnoToStatus(errno, absl::StrCat(what, " ", path));
}

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

std::string DirName(absl::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == absl::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

absl::string_view BaseName(absl::string_view path) {
  size_t slash = path.rfind('/');
  return slash == absl::string_view::npos ? path : path.substr(slash + 1);
}

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
  int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("create", temp);
  return std::unique_ptr<AtomicFile>(
      new AtomicFile(std::move(path), std::move(temp), fd, mode, sync));
}

AtomicFile::AtomicFile(std::string path, std::string temp_path, int fd,
                       Mode mode, Sync sync)
    : path_(std::move(path)),
      temp_path_(std::move(temp_path)),
      fd_(fd),
      mode_(mode),
      sync_(sync) {
  buffer_.reserve(kBufferSize);
}

AtomicFile::~AtomicFile() { Abandon(); }

void AtomicFile::Abandon() {
  if (done_) return;
  done_ = true;
  close(fd_);
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
  const char* p = buffer_.data();
  size_t left = buffer_.size();
  while (left > 0) {
    ssize_t n = write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      absl::Status s = Errno("write", temp_path_);
      Abandon();
      return s;
    }
    p += n;
    left -= static_cast<size_t>(n);
    bytes_ += static_cast<uint64_t>(n);
  }
  buffer_.clear();
  return absl::OkStatus();
}

absl::Status AtomicFile::Commit() {
  if (done_) {
    return absl::FailedPreconditionError(
        absl::StrCat("commit ", path_, ": file already committed or failed"));
  }
  if (absl::Status s = Flush(); !s.ok()) return s;
  if (sync_ != Sync::kNone && fsync(fd_) != 0) {
    absl::Status s = Errno("fsync", temp_path_);
    Abandon();
    return s;
  }
  int fd = fd_;
  fd_ = -1;
  if (close(fd) != 0) {
    absl::Status s = Errno("close", temp_path_);
    Abandon();
    return s;
  }
  int rc = mode_ == Mode::kNoReplace
               ? RenameNoReplace(temp_path_.c_str(), path_.c_str())
               : rename(temp_path_.c_str(), path_.c_str());
  if (rc != 0) {
    absl::Status s = errno == EEXIST
                         ? absl::AlreadyExistsError(absl::StrCat(
                               path_, " already exists; not overwriting it"))
                         : Errno("rename to", path_);
    Abandon();
    return s;
  }
  done_ = true;
  return sync_ == Sync::kAll ? SyncDir(DirName(path_)) : absl::OkStatus();
}

absl::Status SyncDir(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno("open directory", dir);
  int rc = fsync(fd);
  absl::Status s = rc == 0 ? absl::OkStatus() : Errno("fsync directory", dir);
  close(fd);
  return s;
}

absl::StatusOr<std::string> ReadFileToString(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Errno("open", path);
  std::string out;
  char buf[64 << 10];
  while (true) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      absl::Status s = Errno("read", path);
      close(fd);
      return s;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
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

absl::Status MakeDirs(const std::string& dir) {
  if (dir.empty()) return absl::OkStatus();
  for (size_t i = 1; i <= dir.size(); ++i) {
    if (i == dir.size() || dir[i] == '/') {
      std::string prefix = dir.substr(0, i);
      if (mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) {
        return Errno("mkdir", prefix);
      }
    }
  }
  struct stat st;
  if (stat(dir.c_str(), &st) != 0) return Errno("stat", dir);
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat(dir, " exists and is not a directory"));
  }
  return absl::OkStatus();
}

}  // namespace concurrency
