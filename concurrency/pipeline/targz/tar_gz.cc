#include "concurrency/pipeline/targz/tar_gz.h"

#include <fcntl.h>
#include <libdeflate.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <thread>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "concurrency/io/posix_error.h"
#include "concurrency/io/read_write.h"
#include "concurrency/io/scoped_fd.h"

namespace concurrency::pipeline {
namespace {

constexpr size_t kBlock = 512;
constexpr uint64_t kRecord = 10240;
constexpr uint64_t kUstarMaxSize = 077777777777ULL;  // 11 octal digits
// AddMember data of at least this size gets gzip members of its own: the
// cost, a gzip header and trailer and a fresh window, is under 1 % of it.
constexpr size_t kOwnGzipMembers = 16 << 10;

// Header field offsets and lengths (POSIX ustar).
constexpr size_t kName = 0, kNameLen = 100;
constexpr size_t kMode = 100, kUid = 108, kGid = 116;
constexpr size_t kSize = 124, kMtime = 136, kChksum = 148;
constexpr size_t kType = 156, kMagic = 257, kVersion = 263;

void PutOctal(char* field, size_t len, uint64_t value) {
  // len-1 digits, zero-padded, then NUL.
  std::string digits =
      absl::StrFormat("%0*o", static_cast<int>(len - 1), value);
  std::memcpy(field, digits.data(), len - 1);
  field[len - 1] = '\0';
}

std::string PaxRecord(absl::string_view key, absl::string_view value) {
  // "LEN key=value\n" where LEN counts the whole record, itself included.
  size_t body = 1 + key.size() + 1 + value.size() + 1;
  size_t len = body + 1;
  while (absl::StrCat(len).size() + body != len) {
    len = absl::StrCat(len).size() + body;
  }
  return absl::StrCat(len, " ", key, "=", value, "\n");
}

absl::StatusOr<uint64_t> ParseOctal(absl::string_view field) {
  uint64_t v = 0;
  size_t i = 0;
  while (i < field.size() && field[i] == ' ') ++i;
  bool any = false;
  for (; i < field.size() && field[i] >= '0' && field[i] <= '7'; ++i) {
    v = v * 8 + static_cast<uint64_t>(field[i] - '0');
    any = true;
  }
  if (!any && !(i < field.size() && (field[i] == '\0' || field[i] == ' '))) {
    return absl::InvalidArgumentError("not an octal number");
  }
  return v;
}

}  // namespace

namespace {

struct CompressorDeleter {
  void operator()(libdeflate_compressor* c) const {
    libdeflate_free_compressor(c);
  }
};

// One block as one gzip member. The gzip header libdeflate writes has no
// name and a zero mtime, so the same members give the same bytes. Each
// thread keeps its compressor and its output scratch: allocating them per
// block (hundreds of KiB, zeroed) cost a quarter of the CPU time.
absl::StatusOr<std::string> CompressBlock(const char* data, size_t size,
                                          int level) {
  thread_local std::unique_ptr<libdeflate_compressor, CompressorDeleter> c;
  thread_local int c_level = -1;
  thread_local std::unique_ptr<char[]> scratch;
  thread_local size_t scratch_size = 0;
  if (c == nullptr || c_level != level) {
    c.reset(libdeflate_alloc_compressor(level));
    c_level = level;
    if (c == nullptr) {
      return absl::ResourceExhaustedError("libdeflate_alloc_compressor failed");
    }
  }
  const size_t bound = libdeflate_gzip_compress_bound(c.get(), size);
  if (scratch_size < bound) {
    scratch = std::make_unique_for_overwrite<char[]>(bound);
    scratch_size = bound;
  }
  const size_t n =
      libdeflate_gzip_compress(c.get(), data, size, scratch.get(), bound);
  if (n == 0) return absl::InternalError("libdeflate_gzip_compress failed");
  return std::string(scratch.get(), n);
}

}  // namespace

// A block being compressed, or compressed, waiting for its turn in the file.
struct TarGzWriter::Pending {
  std::unique_ptr<char[]> data;
  size_t size = 0;
  absl::Notification done;
  absl::StatusOr<std::string> gz;  // written before `done` is notified
};

absl::StatusOr<std::unique_ptr<TarGzWriter>> TarGzWriter::Create(
    std::string path, TarGzOptions options) {
  if (options.level < 0 || options.level > 12) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: gzip level %d is not in [0, 12] (libdeflate's levels)", path,
        options.level));
  }
  if (options.block_bytes < kBlock || options.threads < 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: block_bytes %d must be at least %d and threads %d not negative",
        path, options.block_bytes, kBlock, options.threads));
  }
  absl::StatusOr<std::unique_ptr<io::AtomicFile>> file =
      io::AtomicFile::Create(std::move(path), options.mode, options.sync);
  if (!file.ok()) return file.status();
  return std::unique_ptr<TarGzWriter>(
      new TarGzWriter(std::move(*file), options));
}

TarGzWriter::TarGzWriter(std::unique_ptr<io::AtomicFile> file,
                         TarGzOptions options)
    : options_(options), file_(std::move(file)) {
  int threads = options.threads;
  if (threads == 0) {
    threads =
        std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  }
  if (threads > 1) {
    pool_ = std::make_unique<ThreadPool>(threads, "targz");
    // Enough blocks in flight to keep every thread busy while the oldest is
    // written.
    max_pending_ = 2 * static_cast<size_t>(threads);
  }
}

// Waits for the compressors before the blocks they read go away.
TarGzWriter::~TarGzWriter() {
  for (const std::unique_ptr<Pending>& p : pending_)
    p->done.WaitForNotification();
}

absl::Status TarGzWriter::Fail(absl::Status status) {
  failed_ = true;
  file_->Abandon();
  return status;
}

absl::Status TarGzWriter::Append(const absl::StatusOr<std::string>& gz) {
  if (!gz.ok()) {
    return Fail(absl::Status(
        gz.status().code(), absl::StrCat(path(), ": ", gz.status().message())));
  }
  if (absl::Status s = file_->Append(*gz); !s.ok()) return Fail(s);
  file_size_ += gz->size();
  file_crc32_ = libdeflate_crc32(file_crc32_, gz->data(), gz->size());
  return absl::OkStatus();
}

absl::Status TarGzWriter::WriteOldest() {
  std::unique_ptr<Pending> p = std::move(pending_.front());
  pending_.pop_front();
  p->done.WaitForNotification();
  return Append(p->gz);
}

void TarGzWriter::Reserve(size_t n) {
  // On a pool, blocks move away once full: after the first, take whole ones.
  const size_t first = pool_ != nullptr && tar_bytes_ > block_used_
                           ? options_.block_bytes
                           : size_t{64} << 10;
  const size_t want = std::min(options_.block_bytes, block_used_ + n);
  if (want <= block_capacity_) return;
  const size_t capacity = std::min(
      options_.block_bytes, std::max({want, 2 * block_capacity_, first}));
  auto grown = std::make_unique_for_overwrite<char[]>(capacity);
  if (block_used_ > 0) std::memcpy(grown.get(), block_.get(), block_used_);
  block_ = std::move(grown);
  block_capacity_ = capacity;
}

absl::Status TarGzWriter::SubmitBlock() {
  if (block_used_ == 0) return absl::OkStatus();
  if (pool_ == nullptr) {
    // Compressed here, in order: the block is reused.
    const size_t size = std::exchange(block_used_, 0);
    return Append(CompressBlock(block_.get(), size, options_.level));
  }
  auto p = std::make_unique<Pending>();
  p->data = std::move(block_);
  p->size = std::exchange(block_used_, 0);
  block_capacity_ = 0;
  Pending* raw = p.get();
  const int level = options_.level;
  auto compress = [raw, level] {
    raw->gz = CompressBlock(raw->data.get(), raw->size, level);
    raw->data.reset();
    raw->done.Notify();
  };
  pending_.push_back(std::move(p));
  if (!pool_->Schedule(compress).ok()) compress();
  while (pending_.size() > max_pending_ ||
         (!pending_.empty() && pending_.front()->done.HasBeenNotified())) {
    if (absl::Status s = WriteOldest(); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status TarGzWriter::Write(absl::string_view bytes) {
  while (!bytes.empty()) {
    const size_t n = std::min(bytes.size(), options_.block_bytes - block_used_);
    Reserve(n);
    std::memcpy(block_.get() + block_used_, bytes.data(), n);
    block_used_ += n;
    tar_bytes_ += n;
    bytes.remove_prefix(n);
    if (block_used_ == options_.block_bytes) {
      if (absl::Status s = SubmitBlock(); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

absl::Status TarGzWriter::WritePadding(uint64_t size) {
  static constexpr char kZeros[kBlock] = {};
  const size_t pad = (kBlock - size % kBlock) % kBlock;
  return Write(absl::string_view(kZeros, pad));
}

absl::Status TarGzWriter::WriteHeader(absl::string_view name, uint64_t size,
                                      int64_t mtime, uint32_t mode, char type) {
  char h[kBlock] = {};
  std::memcpy(h + kName, name.data(), std::min(name.size(), kNameLen));
  PutOctal(h + kMode, 8, mode & 07777);
  PutOctal(h + kUid, 8, 0);
  PutOctal(h + kGid, 8, 0);
  PutOctal(h + kSize, 12, std::min(size, kUstarMaxSize));
  PutOctal(h + kMtime, 12, static_cast<uint64_t>(std::max<int64_t>(mtime, 0)));
  h[kType] = type;
  std::memcpy(h + kMagic, "ustar", 6);
  std::memcpy(h + kVersion, "00", 2);
  std::memset(h + kChksum, ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  std::string chk = absl::StrFormat("%06o", sum);
  std::memcpy(h + kChksum, chk.data(), 6);
  h[kChksum + 6] = '\0';
  h[kChksum + 7] = ' ';
  return Write(absl::string_view(h, kBlock));
}

// The member's header, after a pax header when the name or size needs one.
absl::Status TarGzWriter::WriteHeaders(absl::string_view name, uint64_t size,
                                       int64_t mtime, uint32_t mode) {
  if (failed_) {
    return absl::FailedPreconditionError(
        absl::StrCat(path(), ": archive already failed"));
  }
  if (name.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path(), ": empty member name"));
  }
  if (name.size() > kNameLen || size > kUstarMaxSize) {
    std::string pax;
    if (name.size() > kNameLen) pax += PaxRecord("path", name);
    if (size > kUstarMaxSize) pax += PaxRecord("size", absl::StrCat(size));
    std::string pax_name = absl::StrCat(
        "PaxHeaders/", name.substr(name.size() > 80 ? name.size() - 80 : 0));
    if (absl::Status s = WriteHeader(pax_name, pax.size(), mtime, 0644, 'x');
        !s.ok()) {
      return s;
    }
    if (absl::Status s = Write(pax); !s.ok()) return s;
    if (absl::Status s = WritePadding(pax.size()); !s.ok()) return s;
  }
  return WriteHeader(name, size, mtime, mode, '0');
}

absl::Status TarGzWriter::AddMember(absl::string_view name,
                                    absl::string_view data, absl::Time mtime,
                                    uint32_t mode) {
  if (absl::Status s =
          WriteHeaders(name, data.size(), absl::ToUnixSeconds(mtime), mode);
      !s.ok()) {
    return s;
  }
  const size_t size = data.size();
  if (size >= kOwnGzipMembers) {
    // The data gets gzip members of its own, the same whatever the threads.
    // Compressing on this thread, they are made straight from the caller's
    // bytes: copying pages into the block was a tenth of the pipeline's CPU.
    if (absl::Status s = SubmitBlock(); !s.ok()) return s;
    if (pool_ != nullptr) {
      if (absl::Status s = Write(data); !s.ok()) return s;
      if (absl::Status s = SubmitBlock(); !s.ok()) return s;
    }
    while (pool_ == nullptr && !data.empty()) {
      const size_t n = std::min(data.size(), options_.block_bytes);
      if (absl::Status s =
              Append(CompressBlock(data.data(), n, options_.level));
          !s.ok()) {
        return s;
      }
      tar_bytes_ += n;
      data.remove_prefix(n);
    }
  } else if (absl::Status s = Write(data); !s.ok()) {
    return s;
  }
  if (absl::Status s = WritePadding(size); !s.ok()) return s;
  ++members_;
  return absl::OkStatus();
}

// Reads the file straight into the current block, a block at a time.
absl::Status TarGzWriter::AddFile(const std::string& file_path,
                                  absl::string_view name) {
  io::ScopedFd fd(open(file_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    return io::PosixError(
        absl::StrCat(path(), ": open member source ", file_path), errno);
  }
  struct stat st;
  if (fstat(fd.get(), &st) != 0) {
    return io::PosixError(
        absl::StrCat(path(), ": stat member source ", file_path), errno);
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (absl::Status s =
          WriteHeaders(name, size, st.st_mtime, st.st_mode & 07777);
      !s.ok()) {
    return s;
  }
  const std::string context = absl::StrCat(path(), ": read ", file_path);
  uint64_t left = size;
  while (left > 0) {
    const size_t room = options_.block_bytes - block_used_;
    const size_t want = static_cast<size_t>(std::min<uint64_t>(room, left));
    Reserve(want);
    absl::StatusOr<size_t> n =
        io::ReadFull(fd.get(), block_.get() + block_used_, want, context);
    if (!n.ok()) return Fail(n.status());
    if (*n < want) break;  // the file shrank
    block_used_ += want;
    tar_bytes_ += want;
    left -= want;
    if (block_used_ == options_.block_bytes) {
      if (absl::Status s = SubmitBlock(); !s.ok()) return s;
    }
  }
  char probe;
  absl::StatusOr<size_t> extra = io::ReadFull(fd.get(), &probe, 1, context);
  if (left > 0 || !extra.ok() || *extra != 0) {
    return Fail(absl::AbortedError(absl::StrCat(
        path(), ": ", file_path, " changed size while being archived")));
  }
  if (absl::Status s = WritePadding(size); !s.ok()) return s;
  ++members_;
  return absl::OkStatus();
}

absl::Status TarGzWriter::Commit() {
  if (failed_) {
    return absl::FailedPreconditionError(
        absl::StrCat(path(), ": archive already failed"));
  }
  if (members_ == 0) {
    file_->Abandon();
    return absl::OkStatus();
  }
  // End of archive: two zero blocks, then pad to a whole record.
  uint64_t end = tar_bytes_ + 2 * kBlock;
  end = (end + kRecord - 1) / kRecord * kRecord;
  if (absl::Status s = Write(std::string(end - tar_bytes_, '\0')); !s.ok()) {
    return s;
  }
  if (absl::Status s = SubmitBlock(); !s.ok()) return s;
  while (!pending_.empty()) {
    if (absl::Status s = WriteOldest(); !s.ok()) return s;
  }
  if (absl::Status s = file_->Commit(); !s.ok()) {
    failed_ = true;
    return s;
  }
  block_.reset();  // the writer may wait a while for SyncLater()
  block_capacity_ = 0;
  written_ = true;
  return absl::OkStatus();
}

namespace {

constexpr size_t kInflateChunk = 256 << 10;
constexpr size_t kPrefix = 345, kPrefixLen = 155;  // ustar name prefix
constexpr char kUstarMagic[6] = {'u', 's', 't', 'a', 'r', '\0'};

// Inflates every gzip member of `gz` (a multi-member file is their
// concatenation) into one tar stream of at most `max_bytes`.
absl::StatusOr<std::string> Gunzip(absl::string_view gz,
                                   absl::string_view source, size_t max_bytes) {
  std::string tar;
  z_stream s{};
  if (inflateInit2(&s, 15 + 16) != Z_OK) {
    return absl::InternalError(
        absl::StrCat(source, ": zlib inflateInit2 failed"));
  }
  absl::Cleanup end = [&s] { inflateEnd(&s); };
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  s.avail_in = static_cast<uInt>(gz.size());
  std::string buf(kInflateChunk, '\0');
  while (true) {
    s.next_out = reinterpret_cast<Bytef*>(buf.data());
    s.avail_out = static_cast<uInt>(buf.size());
    int rc = inflate(&s, Z_NO_FLUSH);
    tar.append(buf.data(), buf.size() - s.avail_out);
    if (tar.size() > max_bytes) {
      return absl::ResourceExhaustedError(absl::StrCat(
          source, ": more than ", max_bytes, " bytes of tar data"));
    }
    if (rc == Z_STREAM_END) {
      if (s.avail_in == 0) return tar;
      inflateReset(&s);  // the next gzip member
      continue;
    }
    if (rc == Z_OK && (s.avail_in > 0 || s.avail_out == 0)) continue;
    return absl::DataLossError(absl::StrFormat(
        "%s: gzip stream %s at compressed byte %d", source,
        rc == Z_OK || rc == Z_BUF_ERROR ? "truncated" : "corrupt", s.total_in));
  }
}

// What a pax extended header says about the member after it.
struct PaxOverrides {
  std::string path;
  std::optional<uint64_t> size;
};

absl::StatusOr<PaxOverrides> ParsePax(absl::string_view data,
                                      absl::string_view source, size_t off) {
  PaxOverrides pax;
  while (!data.empty()) {
    size_t sp = data.find(' ');
    uint64_t len = 0;
    if (sp == absl::string_view::npos ||
        !absl::SimpleAtoi(data.substr(0, sp), &len) || len > data.size() ||
        len < sp + 2) {
      return absl::DataLossError(
          absl::StrFormat("%s: bad pax record at offset %d", source, off));
    }
    absl::string_view rec = data.substr(sp + 1, len - sp - 2);
    data.remove_prefix(len);
    size_t eq = rec.find('=');
    if (eq == absl::string_view::npos) continue;
    absl::string_view key = rec.substr(0, eq), value = rec.substr(eq + 1);
    uint64_t v;
    if (key == "path") pax.path = std::string(value);
    if (key == "size" && absl::SimpleAtoi(value, &v)) pax.size = v;
  }
  return pax;
}

// The numeric fields of one header block, checksum verified.
struct Header {
  uint64_t size = 0;
  uint64_t mode = 0;
  uint64_t mtime = 0;
  char type = '0';
};

absl::StatusOr<Header> ParseHeader(const char* h, absl::string_view source,
                                   size_t off) {
  unsigned sum = 0;
  for (size_t i = 0; i < kBlock; ++i) {
    sum += (i >= kChksum && i < kChksum + 8) ? static_cast<unsigned>(' ')
                                             : static_cast<unsigned char>(h[i]);
  }
  absl::StatusOr<uint64_t> stored =
      ParseOctal(absl::string_view(h + kChksum, 8));
  if (!stored.ok() || *stored != sum) {
    return absl::DataLossError(absl::StrFormat(
        "%s: bad tar header checksum at offset %d", source, off));
  }
  absl::StatusOr<uint64_t> size = ParseOctal(absl::string_view(h + kSize, 12));
  absl::StatusOr<uint64_t> mode = ParseOctal(absl::string_view(h + kMode, 8));
  absl::StatusOr<uint64_t> mtime =
      ParseOctal(absl::string_view(h + kMtime, 12));
  if (!size.ok() || !mode.ok() || !mtime.ok()) {
    return absl::DataLossError(absl::StrFormat(
        "%s: bad number in tar header at offset %d", source, off));
  }
  return Header{*size, *mode, *mtime, h[kType]};
}

// A member's name: the pax path, else the ustar prefix and name. Only a
// POSIX ustar header ("ustar\0") has a prefix: GNU tar's own format
// ("ustar  \0") keeps access and change times in those bytes.
std::string MemberName(const char* h, const PaxOverrides& pax) {
  if (!pax.path.empty()) return pax.path;
  std::string name(h + kName, strnlen(h + kName, kNameLen));
  const bool posix = absl::string_view(h + kMagic, 6) ==
                     absl::string_view(kUstarMagic, sizeof kUstarMagic);
  if (posix && h[kPrefix] != '\0') {
    return absl::StrCat(
        absl::string_view(h + kPrefix, strnlen(h + kPrefix, kPrefixLen)), "/",
        name);
  }
  return name;
}

absl::StatusOr<std::vector<TarMember>> ParseTar(absl::string_view tar,
                                                absl::string_view source) {
  std::vector<TarMember> members;
  PaxOverrides pax;
  size_t off = 0;
  while (true) {
    if (off + kBlock > tar.size()) {
      return absl::DataLossError(absl::StrFormat(
          "%s: tar stream ends inside a header at offset %d", source, off));
    }
    const char* h = tar.data() + off;
    if (std::all_of(h, h + kBlock, [](char c) { return c == '\0'; })) break;
    absl::StatusOr<Header> header = ParseHeader(h, source, off);
    if (!header.ok()) return header.status();
    uint64_t n = pax.size.value_or(header->size);
    off += kBlock;
    if (n > tar.size() - off) {
      return absl::DataLossError(absl::StrFormat(
          "%s: member at offset %d is truncated", source, off - kBlock));
    }
    absl::string_view data = tar.substr(off, n);
    off += (n + kBlock - 1) / kBlock * kBlock;
    if (header->type == 'x') {
      absl::StatusOr<PaxOverrides> next = ParsePax(data, source, off);
      if (!next.ok()) return next.status();
      pax = *std::move(next);
      continue;
    }
    if (header->type == '0' || header->type == '\0') {
      members.push_back({MemberName(h, pax), std::string(data),
                         static_cast<uint32_t>(header->mode),
                         static_cast<int64_t>(header->mtime)});
    }
    pax = PaxOverrides();
  }
  return members;
}

}  // namespace

absl::StatusOr<std::vector<TarMember>> ParseTarGz(absl::string_view gz,
                                                  absl::string_view source,
                                                  size_t max_bytes) {
  absl::StatusOr<std::string> tar = Gunzip(gz, source, max_bytes);
  if (!tar.ok()) return tar.status();
  return ParseTar(*tar, source);
}

absl::StatusOr<std::vector<TarMember>> ReadTarGz(const std::string& path) {
  absl::StatusOr<std::string> gz = io::ReadFileToString(path);
  if (!gz.ok()) return gz.status();
  return ParseTarGz(*gz, path);
}

}  // namespace concurrency::pipeline
