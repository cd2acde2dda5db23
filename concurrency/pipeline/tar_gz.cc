#include "concurrency/pipeline/tar_gz.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "concurrency/io/posix_error.h"

namespace concurrency::pipeline {
namespace {

constexpr size_t kBlock = 512;
constexpr uint64_t kRecord = 10240;
constexpr uint64_t kUstarMaxSize = 077777777777ULL;  // 11 octal digits

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

struct TarGzWriter::Zlib {
  z_stream stream{};
  bool initialized = false;
  ~Zlib() {
    if (initialized) deflateEnd(&stream);
  }
};

absl::StatusOr<std::unique_ptr<TarGzWriter>> TarGzWriter::Create(
    std::string path, TarGzOptions options) {
  if (options.level < 0 || options.level > 9) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: gzip level %d is not in [0, 9]", path, options.level));
  }
  absl::StatusOr<std::unique_ptr<io::AtomicFile>> file =
      io::AtomicFile::Create(std::move(path), options.mode);
  if (!file.ok()) return file.status();
  auto writer = std::unique_ptr<TarGzWriter>(
      new TarGzWriter(std::move(*file), options.level));
  if (!writer->z_->initialized) {
    return absl::InternalError(
        absl::StrCat(writer->path(), ": zlib deflateInit2 failed"));
  }
  return writer;
}

TarGzWriter::TarGzWriter(std::unique_ptr<io::AtomicFile> file, int level)
    : file_(std::move(file)), z_(std::make_unique<Zlib>()) {
  // windowBits 15 + 16: a gzip wrapper with a zero mtime, so the same members
  // give the same bytes.
  z_->initialized = deflateInit2(&z_->stream, level, Z_DEFLATED, 15 + 16, 8,
                                 Z_DEFAULT_STRATEGY) == Z_OK;
  out_.resize(256 << 10);
}

TarGzWriter::~TarGzWriter() = default;

absl::Status TarGzWriter::Fail(absl::Status status) {
  failed_ = true;
  file_->Abandon();
  return status;
}

absl::Status TarGzWriter::Deflate(absl::string_view bytes, int flush) {
  z_stream& s = z_->stream;
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  s.avail_in = static_cast<uInt>(bytes.size());
  int rc;
  do {
    s.next_out = reinterpret_cast<Bytef*>(out_.data());
    s.avail_out = static_cast<uInt>(out_.size());
    rc = deflate(&s, flush);
    if (rc == Z_STREAM_ERROR) {
      return Fail(
          absl::InternalError(absl::StrCat(path(), ": zlib deflate failed")));
    }
    size_t have = out_.size() - s.avail_out;
    if (have > 0) {
      if (absl::Status st = file_->Append(absl::string_view(out_.data(), have));
          !st.ok()) {
        return Fail(st);
      }
    }
  } while (s.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
  return absl::OkStatus();
}

absl::Status TarGzWriter::Write(absl::string_view bytes) {
  // Feed at most 1 GiB per call: avail_in is 32-bit.
  while (!bytes.empty()) {
    absl::string_view part = bytes.substr(0, size_t{1} << 30);
    if (absl::Status s = Deflate(part, Z_NO_FLUSH); !s.ok()) return s;
    tar_bytes_ += part.size();
    bytes.remove_prefix(part.size());
  }
  return absl::OkStatus();
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

absl::Status TarGzWriter::AddMember(absl::string_view name,
                                    absl::string_view data, absl::Time mtime,
                                    uint32_t mode) {
  if (failed_) {
    return absl::FailedPreconditionError(
        absl::StrCat(path(), ": archive already failed"));
  }
  if (name.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path(), ": empty member name"));
  }
  int64_t secs = absl::ToUnixSeconds(mtime);
  if (name.size() > kNameLen || data.size() > kUstarMaxSize) {
    std::string pax;
    if (name.size() > kNameLen) pax += PaxRecord("path", name);
    if (data.size() > kUstarMaxSize)
      pax += PaxRecord("size", absl::StrCat(data.size()));
    std::string pax_name = absl::StrCat(
        "PaxHeaders/", name.substr(name.size() > 80 ? name.size() - 80 : 0));
    if (absl::Status s = WriteHeader(pax_name, pax.size(), secs, 0644, 'x');
        !s.ok()) {
      return s;
    }
    pax.resize((pax.size() + kBlock - 1) / kBlock * kBlock, '\0');
    if (absl::Status s = Write(pax); !s.ok()) return s;
  }
  if (absl::Status s = WriteHeader(name, data.size(), secs, mode, '0');
      !s.ok()) {
    return s;
  }
  if (absl::Status s = Write(data); !s.ok()) return s;
  size_t pad = (kBlock - data.size() % kBlock) % kBlock;
  if (absl::Status s = Write(std::string(pad, '\0')); !s.ok()) return s;
  ++members_;
  return absl::OkStatus();
}

absl::Status TarGzWriter::AddFile(const std::string& file_path,
                                  absl::string_view name) {
  struct stat st;
  if (stat(file_path.c_str(), &st) != 0) {
    return io::PosixError(
        absl::StrCat(path(), ": stat member source ", file_path), errno);
  }
  absl::StatusOr<std::string> data = io::ReadFileToString(file_path);
  if (!data.ok()) return data.status();
  if (data->size() != static_cast<uint64_t>(st.st_size)) {
    return absl::AbortedError(absl::StrCat(
        path(), ": ", file_path, " changed size while being archived"));
  }
  return AddMember(name, *data, absl::FromUnixSeconds(st.st_mtime),
                   st.st_mode & 07777);
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
  if (absl::Status s = Deflate("", Z_FINISH); !s.ok()) return s;
  if (absl::Status s = file_->Commit(); !s.ok()) {
    failed_ = true;
    return s;
  }
  written_ = true;
  return absl::OkStatus();
}

namespace {

constexpr size_t kInflateChunk = 256 << 10;
constexpr size_t kPrefix = 345, kPrefixLen = 155;  // ustar name prefix

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

// A member's name: the pax path, else the ustar prefix and name.
std::string MemberName(const char* h, const PaxOverrides& pax) {
  if (!pax.path.empty()) return pax.path;
  std::string name(h + kName, strnlen(h + kName, kNameLen));
  if (std::memcmp(h + kMagic, "ustar", 5) == 0 && h[kPrefix] != '\0') {
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
