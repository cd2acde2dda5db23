#include "concurrency/pipeline/manifest.h"

#include <fcntl.h>
#include <zlib.h>

#include <memory>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "concurrency/io/posix_error.h"
#include "concurrency/io/read_write.h"
#include "concurrency/io/scoped_fd.h"

namespace concurrency::pipeline {
namespace {

constexpr absl::string_view kMagic = "pipeline-manifest 1";
constexpr size_t kReadChunk = 64 << 10;
// The magic line and the five settings.
constexpr size_t kHeaderLines = 6;

// Parses "A-B" (or "A") into a range.
bool ParseRange(absl::string_view text, Range* r) {
  std::pair<absl::string_view, absl::string_view> p =
      absl::StrSplit(text, absl::MaxSplits('-', 1));
  if (!absl::SimpleAtoi(p.first, &r->first)) return false;
  r->last = r->first;
  return p.second.empty() || absl::SimpleAtoi(p.second, &r->last);
}

bool ParseShard(absl::string_view text, Shard* s) {
  std::pair<absl::string_view, absl::string_view> p =
      absl::StrSplit(text, absl::MaxSplits('/', 1));
  return absl::SimpleAtoi(p.first, &s->index) &&
         absl::SimpleAtoi(p.second, &s->count) && s->count >= 1 &&
         s->index >= 0 && s->index < s->count;
}

// "archive data<k>.tgz pages=A-B size=N crc32=HEX"
bool ParseArchive(absl::string_view rest, int* slot, ArchiveRecord* a) {
  std::vector<absl::string_view> f = absl::StrSplit(rest, ' ');
  if (f.size() != 4) return false;
  std::optional<int> k = ArchiveSlotOf(f[0]);
  if (!k.has_value()) return false;
  *slot = *k;
  return absl::ConsumePrefix(&f[1], "pages=") && ParseRange(f[1], &a->pages) &&
         !a->pages.empty() && absl::ConsumePrefix(&f[2], "size=") &&
         absl::SimpleAtoi(f[2], &a->size) &&
         absl::ConsumePrefix(&f[3], "crc32=") && f[3].size() == 8 &&
         absl::SimpleHexAtoi(f[3], &a->crc32);
}

// CRC-32 of `text`, as the journal's line checksum.
uint32_t Crc(absl::string_view text) {
  return static_cast<uint32_t>(
      crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(text.data()),
            static_cast<uInt>(text.size())));
}

// Strips and checks a journal line's " sum=HEX" (a line without one, as
// version 1 wrote them, is taken as it is); false if the sum is wrong.
bool CheckSum(absl::string_view* line) {
  const size_t at = line->rfind(" sum=");
  if (at == absl::string_view::npos) return true;
  uint32_t sum = 0;
  const absl::string_view hex = line->substr(at + 5);
  if (hex.size() != 8 || !absl::SimpleHexAtoi(hex, &sum)) return false;
  *line = line->substr(0, at);
  return Crc(*line) == sum;
}

// Reads one "key value" line into `m`; false if it is not a valid one.
bool ParseLine(absl::string_view line, Manifest* m, int* seen) {
  std::pair<absl::string_view, absl::string_view> kv =
      absl::StrSplit(line, absl::MaxSplits(' ', 1));
  RunSettings& s = m->settings;
  if (kv.first == "url" && !kv.second.empty()) {
    s.url = std::string(kv.second);
  } else if (kv.first == "pages") {
    if (!absl::SimpleAtoi(kv.second, &s.pages) || s.pages < 0) return false;
  } else if (kv.first == "page_size") {
    if (!absl::SimpleAtoi(kv.second, &s.page_size)) return false;
  } else if (kv.first == "batch") {
    if (!absl::SimpleAtoi(kv.second, &s.batch) || s.batch < 1) return false;
  } else if (kv.first == "shard") {
    if (!ParseShard(kv.second, &s.shard)) return false;
  } else if (kv.first == "archive") {
    int slot = 0;
    ArchiveRecord a;
    if (!ParseArchive(kv.second, &slot, &a)) return false;
    return m->archives.emplace(slot, a).second;
  } else {
    return false;
  }
  ++*seen;
  return true;
}

}  // namespace

std::string SerializeArchiveLine(int slot, const ArchiveRecord& a) {
  const std::string line = absl::StrFormat(
      "archive %s pages=%d-%d size=%d crc32=%08x", ArchiveFileName(slot),
      a.pages.first, a.pages.last, a.size, a.crc32);
  return absl::StrFormat("%s sum=%08x\n", line, Crc(line));
}

std::string SerializeManifest(const Manifest& m) {
  const RunSettings& s = m.settings;
  std::string out = absl::StrCat(
      kMagic, "\nurl ", s.url, "\npages ", s.pages, "\npage_size ", s.page_size,
      "\nbatch ", s.batch, "\nshard ", s.shard.index, "/", s.shard.count, "\n");
  for (const auto& [slot, a] : m.archives) {
    absl::StrAppend(&out, SerializeArchiveLine(slot, a));
  }
  return out;
}

absl::StatusOr<Manifest> ParseManifest(absl::string_view text,
                                       absl::string_view source) {
  Manifest m;
  // The journal's last line may have been cut by a crash while it was
  // appended: without its line break, or with a wrong sum, it is dropped
  // (its archive, not yet recorded, is removed and redone by the rerun).
  if (!absl::ConsumeSuffix(&text, "\n")) {
    const size_t last = text.rfind('\n');
    if (last == absl::string_view::npos) {
      return absl::DataLossError(absl::StrCat(
          source, ": does not end with a line break (cut short?)"));
    }
    text = text.substr(0, last);
    m.torn_tail = true;
  }
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  if (lines.size() > kHeaderLines) {
    absl::string_view tail = lines.back();
    if (absl::StartsWith(tail, "archive ") && !CheckSum(&tail)) {
      lines.pop_back();
      m.torn_tail = true;
    }
  }
  if (m.torn_tail && lines.size() < kHeaderLines) {
    // The settings are written whole, atomically: a cut there is damage.
    return absl::DataLossError(
        absl::StrCat(source, ": does not end with a line break (cut short?)"));
  }
  if (lines[0] != kMagic) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, " line 1: not a pipeline manifest (expected \"",
                     kMagic, "\")"));
  }
  int seen = 0;  // settings lines
  for (size_t i = 1; i < lines.size(); ++i) {
    absl::string_view line = lines[i];
    if (!CheckSum(&line) || !ParseLine(line, &m, &seen)) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s line %d: not a valid manifest line: \"%s\"",
                          source, i + 1, lines[i].substr(0, 120)));
    }
  }
  if (seen != 5 || m.settings.url.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": needs each of url, pages, page_size, batch, shard once"));
  }
  return m;
}

absl::Status CheckSameRun(const RunSettings& found, const RunSettings& wanted,
                          absl::string_view source) {
  auto differs = [&](absl::string_view setting, const std::string& was,
                     const std::string& now) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s belongs to a run with %s %s, not %s: rerun with the same %s, or "
        "use another output directory",
        source, setting, was, now, setting));
  };
  if (found.url != wanted.url) return differs("url", found.url, wanted.url);
  if (found.pages != wanted.pages) {
    return differs("pages", absl::StrCat(found.pages),
                   absl::StrCat(wanted.pages));
  }
  if (found.page_size != wanted.page_size) {
    return differs("page_size", absl::StrCat(found.page_size),
                   absl::StrCat(wanted.page_size));
  }
  if (found.batch != wanted.batch) {
    return differs("batch", absl::StrCat(found.batch),
                   absl::StrCat(wanted.batch));
  }
  if (!(found.shard == wanted.shard)) {
    return differs("shard",
                   absl::StrCat(found.shard.index, "/", found.shard.count),
                   absl::StrCat(wanted.shard.index, "/", wanted.shard.count));
  }
  return absl::OkStatus();
}

absl::StatusOr<ArchiveRecord> MeasureFile(const std::string& path) {
  io::ScopedFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return io::PosixError(absl::StrCat("open ", path), errno);
  ArchiveRecord r;
  uLong crc = crc32(0L, Z_NULL, 0);
  // Not zeroed, and 64 KiB: a zeroed 1 MiB buffer per archive of ~100 KB
  // was a third of the pipeline's CPU samples in `perf` (memset and its page
  // faults).
  auto buf = std::make_unique_for_overwrite<char[]>(kReadChunk);
  const std::string context = absl::StrCat("read ", path);
  while (true) {
    absl::StatusOr<size_t> n =
        io::ReadFull(fd.get(), buf.get(), kReadChunk, context);
    if (!n.ok()) return n.status();
    crc = crc32(crc, reinterpret_cast<const Bytef*>(buf.get()),
                static_cast<uInt>(*n));
    r.size += *n;
    if (*n < kReadChunk) break;
  }
  r.crc32 = static_cast<uint32_t>(crc);
  return r;
}

}  // namespace concurrency::pipeline
