// TarGzWriter and ReadTarGz: gzip-compressed POSIX ustar archives, written
// crash-safely and read back with checks.
//
// The writer streams: the tar bytes are cut into blocks of `block_bytes`
// (1 MiB), and each block is compressed on its own, with libdeflate, on a
// ThreadPool, into one gzip member; the members are appended in order to an
// io::AtomicFile (atomic_file.h), so the archive appears under its final name
// only when complete and durable. A .tar.gz of concatenated gzip members is
// what bgzip and `pigz -i` write: gzip, GNU tar, bsdtar, Python's tarfile and
// pigz all read it as one stream (tested). Independent blocks are what lets
// both cores compress; they cost little size (a block loses at most the 32 KiB
// window of history at its start), and libdeflate at a level compresses
// smaller than zlib at the same level, so archives come out smaller than
// `tar czf`'s (measured in pipeline_benchmark). Memory is at most about
// 2 x (threads + 1) blocks (less for a small archive), whatever the member
// sizes: `AddFile` reads its
// file block by block.
// Members are regular files with a ustar header; a name longer than 100
// bytes (or a size beyond ustar's 8 GiB) gets a pax extended header first, as
// GNU tar, bsdtar and Python's tarfile expect. Owners are uid/gid 0 with no
// names, so the archive depends only on names, contents, modes and times.
// The archive ends with two zero blocks and is padded to 10240 bytes, as tar
// does.
//
// An archive with no members is never left behind (the tutorial's rule):
// `Commit()` then discards the temporary file and reports `written() ==
// false`.
//
// Errors name the archive and the member. Not thread-safe (one thread calls
// the writer; it runs its own compressing threads).
#ifndef CONCURRENCY_TAR_GZ_H_
#define CONCURRENCY_TAR_GZ_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "concurrency/io/atomic_file.h"
#include "concurrency/io/file_util.h"
#include "concurrency/thread_pool.h"

namespace concurrency::pipeline {

struct TarGzOptions {
  // libdeflate's levels: 0 (stored) to 12 (smallest, slowest); 6 is gzip's
  // default, as `tar czf` uses.
  int level = 6;
  io::AtomicFile::Mode mode = io::AtomicFile::Mode::kNoReplace;
  // Threads compressing blocks: 0, one per CPU; 1, the calling thread only.
  int threads = 0;
  // What Commit() makes durable (atomic_file.h): kAll, the file and its
  // directory entry; kFile, the file only, for a caller that fsyncs the
  // directory once for several archives; kLater, nothing yet, for a caller
  // that calls SyncLater() before its own record names the archive.
  io::AtomicFile::Sync sync = io::AtomicFile::Sync::kAll;
  // Uncompressed tar bytes per gzip member.
  size_t block_bytes = size_t{1} << 20;
};

class TarGzWriter {
 public:
  static absl::StatusOr<std::unique_ptr<TarGzWriter>> Create(
      std::string path, TarGzOptions options = {});
  ~TarGzWriter();
  TarGzWriter(const TarGzWriter&) = delete;
  TarGzWriter& operator=(const TarGzWriter&) = delete;

  // Adds a regular file `name` holding `data`.
  absl::Status AddMember(absl::string_view name, absl::string_view data,
                         absl::Time mtime, uint32_t mode = 0644);

  // Adds the file at `path` under the member name `name`, with its mtime and
  // permission bits, streaming it. A file that changes size while being read
  // is an error.
  absl::Status AddFile(const std::string& path, absl::string_view name);

  // Finishes the archive and makes it durable under its final name (as
  // `sync` says); with no members, drops it instead.
  absl::Status Commit();

  // With sync = kLater, after Commit(): waits until the archive is durable
  // (io::AtomicFile::SyncLater).
  absl::Status SyncLater() { return file_->SyncLater(); }

  int members() const { return members_; }
  bool written() const { return written_; }
  // The size and CRC-32 of the archive's bytes, as written: after a
  // successful Commit(), those of the file (what MeasureFile would read back,
  // without reading it).
  uint64_t file_size() const { return file_size_; }
  uint32_t file_crc32() const { return file_crc32_; }
  const std::string& path() const { return file_->path(); }

 private:
  struct Pending;
  TarGzWriter(std::unique_ptr<io::AtomicFile> file, TarGzOptions options);
  absl::Status WriteHeaders(absl::string_view name, uint64_t size,
                            int64_t mtime, uint32_t mode);
  absl::Status WriteHeader(absl::string_view name, uint64_t size, int64_t mtime,
                           uint32_t mode, char type);
  absl::Status Write(absl::string_view bytes);
  absl::Status WritePadding(uint64_t size);
  // Grows the current block so that `n` more bytes fit, up to block_bytes.
  void Reserve(size_t n);
  // Hands the current block to the compressors (or compresses it here).
  absl::Status SubmitBlock();
  // Appends the oldest compressed block to the file.
  absl::Status WriteOldest();
  absl::Status Append(const absl::StatusOr<std::string>& gz);
  absl::Status Fail(absl::Status status);

  const TarGzOptions options_;
  std::unique_ptr<io::AtomicFile> file_;
  std::unique_ptr<ThreadPool> pool_;  // null: compress on the calling thread
  // The tar bytes not yet compressed. It grows as needed, so a small
  // archive touches only the memory it uses (a fresh 1 MiB block per archive
  // of ~100 KB was a third of the pipeline's system CPU, in page faults);
  // compressing on the calling thread, it is reused block after block.
  std::unique_ptr<char[]> block_;
  size_t block_capacity_ = 0;
  size_t block_used_ = 0;
  uint64_t file_size_ = 0;
  uint32_t file_crc32_ = 0;
  std::deque<std::unique_ptr<Pending>> pending_;  // in file order
  size_t max_pending_ = 1;
  uint64_t tar_bytes_ = 0;
  int members_ = 0;
  bool written_ = false;
  bool failed_ = false;
};

struct TarMember {
  std::string name;
  std::string data;
  uint32_t mode = 0;
  int64_t mtime = 0;
};

// Reads every regular-file member of a .tar.gz (one gzip member or several,
// concatenated). Fails, naming the archive and the offset, on a bad gzip
// stream (including a truncated one), a bad header checksum or a truncated
// member.
absl::StatusOr<std::vector<TarMember>> ReadTarGz(const std::string& path);

// The same on bytes in memory; `source` names them in errors. More than
// `max_bytes` of uncompressed tar data is ResourceExhausted (a gzip bomb).
absl::StatusOr<std::vector<TarMember>> ParseTarGz(absl::string_view gz,
                                                  absl::string_view source,
                                                  size_t max_bytes = SIZE_MAX);

}  // namespace concurrency::pipeline

#endif  // CONCURRENCY_TAR_GZ_H_
