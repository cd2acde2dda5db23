#include "concurrency/pipeline/csv/csv_to_xml.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "concurrency/io/atomic_file.h"
#include "concurrency/io/file_util.h"
#include "concurrency/io/posix_error.h"
#include "concurrency/io/read_write.h"
#include "concurrency/io/scoped_fd.h"
#include "concurrency/pipeline/csv/internal/csv_scan.h"

namespace concurrency::pipeline {
namespace {

constexpr size_t kReadChunk = 1 << 20;
constexpr size_t kTagBytes = 32;

constexpr absl::string_view kProlog =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Data>\n";
constexpr absl::string_view kEpilog = "</Data>\n";

bool IsNameStartChar(uint32_t c) {
  return (c >= 'A' && c <= 'Z') || c == '_' || (c >= 'a' && c <= 'z') ||
         (c >= 0xC0 && c <= 0xD6) || (c >= 0xD8 && c <= 0xF6) ||
         (c >= 0xF8 && c <= 0x2FF) || (c >= 0x370 && c <= 0x37D) ||
         (c >= 0x37F && c <= 0x1FFF) || (c >= 0x200C && c <= 0x200D) ||
         (c >= 0x2070 && c <= 0x218F) || (c >= 0x2C00 && c <= 0x2FEF) ||
         (c >= 0x3001 && c <= 0xD7FF) || (c >= 0xF900 && c <= 0xFDCF) ||
         (c >= 0xFDF0 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0xEFFFF);
}

bool IsNameChar(uint32_t c) {
  return IsNameStartChar(c) || c == '-' || c == '.' || (c >= '0' && c <= '9') ||
         c == 0xB7 || (c >= 0x300 && c <= 0x36F) ||
         (c >= 0x203F && c <= 0x2040);
}

// Decodes the code point at `s[*i]` and advances `*i`. The CSV parser has
// validated the UTF-8 already; a stray byte decodes as itself.
uint32_t NextCodePoint(absl::string_view s, size_t* i) {
  auto b = static_cast<unsigned char>(s[*i]);
  int len = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
  if (*i + static_cast<size_t>(len) > s.size()) len = 1;
  uint32_t cp = len == 1   ? b
                : len == 2 ? (b & 0x1F)
                : len == 3 ? (b & 0x0F)
                           : (b & 0x07);
  for (int k = 1; k < len; ++k) {
    cp = (cp << 6) | (static_cast<unsigned char>(s[*i + k]) & 0x3F);
  }
  *i += static_cast<size_t>(len);
  return cp;
}

std::string SanitizeName(absl::string_view header, size_t position) {
  absl::string_view trimmed = header;
  while (!trimmed.empty() &&
         (trimmed.front() == ' ' || trimmed.front() == '\t')) {
    trimmed.remove_prefix(1);
  }
  while (!trimmed.empty() &&
         (trimmed.back() == ' ' || trimmed.back() == '\t')) {
    trimmed.remove_suffix(1);
  }
  if (trimmed.empty()) return absl::StrCat("column_", position + 1);
  std::string name;
  bool first = true;
  bool needs_prefix = false;
  for (size_t i = 0; i < trimmed.size();) {
    size_t start = i;
    uint32_t cp = NextCodePoint(trimmed, &i);
    if (first && !IsNameStartChar(cp)) needs_prefix = true;
    first = false;
    if (IsNameChar(cp)) {
      name.append(trimmed.data() + start, i - start);
    } else {
      name.push_back('_');
    }
  }
  if (needs_prefix || absl::StartsWithIgnoreCase(name, "xml")) {
    name = absl::StrCat("_", name);  // not insert(): gcc 12 -O2 -Wrestrict
  }
  return name;
}

// XML text escapes '&', '<' and '>' (controls were refused by the parser).
// Returns the end of what it wrote at `w`, at most 5 bytes per input byte.
char* EscapeSpecials(char* w, absl::string_view text,
                     const csv_internal::ScanOps& scan) {
  const char* p = text.data();
  const char* const end = p + text.size();
  while (true) {
    const char* q = scan.find_xml_special(p, end);
    std::memcpy(w, p, static_cast<size_t>(q - p));
    w += q - p;
    if (q == end) return w;
    const absl::string_view entity = *q == '&'   ? "&amp;"
                                     : *q == '<' ? "&lt;"
                                                 : "&gt;";
    std::memcpy(w, entity.data(), entity.size());
    w += entity.size();
    p = q + 1;
  }
}

}  // namespace

std::vector<std::string> XmlElementNames(
    absl::Span<const std::string> headers) {
  std::vector<std::string> names;
  names.reserve(headers.size());
  absl::flat_hash_set<std::string> taken;
  for (size_t i = 0; i < headers.size(); ++i) {
    std::string base = SanitizeName(headers[i], i);
    std::string name = base;
    for (int suffix = 2; taken.contains(name); ++suffix) {
      name = absl::StrCat(base, "_", suffix);
    }
    taken.insert(name);
    names.push_back(std::move(name));
  }
  return names;
}

// The bytes of a row, written straight into one output buffer. What
// pugixml's `print` writes for a `Row` of text elements at depth 1, indented
// with tabs, is fixed but for the text: each column's open tag, close tag and
// empty-element tag are precomputed, and copied 32 bytes at a time when they
// fit (the buffer keeps slack for the over-copy).
struct CsvToXmlConverter::Batch {
  struct Tag {
    char bytes[kTagBytes] = {};
    size_t size = 0;
    std::string long_bytes;  // when size > kTagBytes
  };
  struct Column {
    Tag open;   // \t\t<name>
    Tag close;  // </name>\n
    Tag empty;  // \t\t<name />\n
  };

  static Tag MakeTag(std::string bytes) {
    Tag t;
    t.size = bytes.size();
    if (t.size <= kTagBytes) {
      std::memcpy(t.bytes, bytes.data(), t.size);
    } else {
      t.long_bytes = std::move(bytes);
    }
    return t;
  }

  static char* Put(char* w, const Tag& t) {
    if (t.size <= kTagBytes) {
      std::memcpy(w, t.bytes, kTagBytes);
    } else {
      std::memcpy(w, t.long_bytes.data(), t.size);
    }
    return w + t.size;
  }

  // Makes room for `n` more bytes (plus the over-copy slack).
  void Reserve(size_t n) {
    if (size + n + kTagBytes <= capacity) return;
    capacity = std::max(2 * capacity, size + n + kTagBytes);
    auto bigger = std::make_unique<char[]>(capacity);
    if (size > 0) std::memcpy(bigger.get(), buf.get(), size);
    buf = std::move(bigger);
  }

  std::vector<Column> columns;
  size_t fixed_row_bytes = 0;  // a row's bytes without its text
  std::unique_ptr<char[]> buf;
  size_t size = 0;
  size_t capacity = 0;
  const csv_internal::ScanOps* scan = &csv_internal::BestScan();
};

namespace {
constexpr size_t kFlushBytes = CsvToXmlConverter::kPieceBytes;
constexpr absl::string_view kRowOpen = "\t<Row>\n";
constexpr absl::string_view kRowClose = "\t</Row>\n";
// Longer records take the general path (the fast one reserves room for the
// worst case up front).
constexpr size_t kMaxFastRecord = 4096;

// Writes one field's element at `w`: `<name />` when empty, else the open
// tag, the escaped text and the close tag. `slack`: 16 bytes past the text
// may be read.
template <typename Column, typename Put>
char* PutField(char* w, const Column& c, absl::string_view text, bool slack,
               Put put, const csv_internal::ScanOps& scan) {
  if (text.empty()) return put(w, c.empty);
  w = put(w, c.open);
  char* plain =
      slack
          ? csv_internal::CopyPlainXmlTextWithSlack(w, text.data(), text.size())
          : csv_internal::CopyPlainXmlText(w, text.data(), text.size());
  w = plain != nullptr ? plain : EscapeSpecials(w, text, scan);
  return put(w, c.close);
}
}  // namespace

// The parser's fast path (csv_parser.h): whole records of exactly the
// header's field count, unquoted, LF-ended, converted straight from the
// input bytes, with no field list in between. Anything else is left to the
// general path, which gives the same bytes (and the errors).
class CsvToXmlConverter::FastRows : public CsvParser::FastPath {
 public:
  explicit FastRows(CsvToXmlConverter* c) : c_(*c) {}

  absl::Status Consume(const char* p, const char* end, size_t* used,
                       int64_t* records) override {
    const char* const start = p;
    Batch& b = *c_.batch_;
    const size_t ncols = b.columns.size();
    while (p < end) {
      const char* limit = std::min(end, p + kMaxFastRecord);
      b.Reserve(b.fixed_row_bytes + 5 * static_cast<size_t>(limit - p));
      char* w = b.buf.get() + b.size;
      std::memcpy(w, kRowOpen.data(), kRowOpen.size());
      w += kRowOpen.size();
      const char* r = p;
      size_t i = 0;
      for (; i < ncols; ++i) {
        const char* q = csv_internal::FindFieldEnd(r, limit);
        if (q == limit || *q != (i + 1 < ncols ? ',' : '\n')) break;
        if (i == 0 && q == r && ncols == 1) break;  // an empty line
        w = PutField(w, b.columns[i], absl::string_view(r, q - r),
                     end - q >= 16, Batch::Put, *b.scan);
        r = q + 1;
      }
      if (i < ncols) break;  // not a simple record: b.size is unchanged
      std::memcpy(w, kRowClose.data(), kRowClose.size());
      w += kRowClose.size();
      b.size = static_cast<size_t>(w - b.buf.get());
      ++c_.rows_;
      ++*records;
      p = r;
      if (b.size >= kFlushBytes) {
        if (absl::Status s = c_.FlushRows(); !s.ok()) return s;
      }
    }
    *used = static_cast<size_t>(p - start);
    return absl::OkStatus();
  }

 private:
  CsvToXmlConverter& c_;
};

CsvToXmlConverter::CsvToXmlConverter(std::string source, Sink sink,
                                     CsvToXmlOptions options)
    : source_(source),
      sink_(std::move(sink)),
      options_(options),
      parser_(std::move(source)),
      batch_(std::make_unique<Batch>()) {}

CsvToXmlConverter::~CsvToXmlConverter() = default;

absl::Status CsvToXmlConverter::Feed(absl::string_view chunk) {
  return parser_.Feed(
      chunk, [this](absl::Span<const absl::string_view> fields, int64_t line) {
        return OnRecord(fields, line);
      });
}

void CsvToXmlConverter::StartDocument(
    absl::Span<const absl::string_view> headers) {
  have_header_ = true;
  names_ =
      XmlElementNames(std::vector<std::string>(headers.begin(), headers.end()));
  Batch& b = *batch_;
  b.fixed_row_bytes = kRowOpen.size() + kRowClose.size();
  for (const std::string& name : names_) {
    b.columns.push_back({Batch::MakeTag(absl::StrCat("\t\t<", name, ">")),
                         Batch::MakeTag(absl::StrCat("</", name, ">\n")),
                         Batch::MakeTag(absl::StrCat("\t\t<", name, " />\n"))});
    const Batch::Column& c = b.columns.back();
    b.fixed_row_bytes += c.open.size + c.close.size + kTagBytes;
  }
  fast_rows_ = std::make_unique<FastRows>(this);
  parser_.set_fast_path(fast_rows_.get());
}

absl::Status CsvToXmlConverter::OnRecord(
    absl::Span<const absl::string_view> fields, int64_t line) {
  if (!have_header_) {
    StartDocument(fields);
    return sink_(kProlog);
  }
  if (fields.size() != names_.size()) {
    bool pad =
        options_.ragged == RaggedRows::kPad && fields.size() < names_.size();
    if (!pad) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: line %d: the record has %d fields but the header has %d%s",
          source_, line, fields.size(), names_.size(),
          fields.size() < names_.size() ? " (--ragged=pad pads short records)"
                                        : ""));
    }
  }
  Batch& b = *batch_;
  size_t text = 0;
  for (absl::string_view f : fields) text += f.size();
  b.Reserve(b.fixed_row_bytes + 5 * text);
  char* w = b.buf.get() + b.size;
  const bool slack = parser_.views_have_slack();
  std::memcpy(w, kRowOpen.data(), kRowOpen.size());
  w += kRowOpen.size();
  for (size_t i = 0; i < b.columns.size(); ++i) {
    w = PutField(w, b.columns[i],
                 i < fields.size() ? fields[i] : absl::string_view(), slack,
                 Batch::Put, *b.scan);
  }
  std::memcpy(w, kRowClose.data(), kRowClose.size());
  w += kRowClose.size();
  b.size = static_cast<size_t>(w - b.buf.get());
  ++rows_;
  if (b.size >= kFlushBytes) return FlushRows();
  return absl::OkStatus();
}

absl::Status CsvToXmlConverter::FlushRows() {
  Batch& b = *batch_;
  if (b.size == 0) return absl::OkStatus();
  absl::Status s = sink_(absl::string_view(b.buf.get(), b.size));
  b.size = 0;
  return s;
}

absl::Status CsvToXmlConverter::Finish() {
  absl::Status s =
      parser_.Finish([this](absl::Span<const absl::string_view> fields,
                            int64_t line) { return OnRecord(fields, line); });
  if (!s.ok()) return s;
  if (!have_header_) {
    return absl::InvalidArgumentError(absl::StrCat(
        source_, ": the CSV is empty: no header line to name the columns"));
  }
  if (s = FlushRows(); !s.ok()) return s;
  return sink_(kEpilog);
}

absl::StatusOr<std::string> CsvToXml(absl::string_view csv,
                                     absl::string_view source,
                                     const CsvToXmlOptions& options) {
  std::string out;
  CsvToXmlConverter converter(
      std::string(source),
      [&out](absl::string_view bytes) {
        out.append(bytes.data(), bytes.size());
        return absl::OkStatus();
      },
      options);
  if (absl::Status s = converter.Feed(csv); !s.ok()) return s;
  if (absl::Status s = converter.Finish(); !s.ok()) return s;
  return out;
}

absl::Status CsvFileToXmlFile(const std::string& csv_path,
                              const std::string& xml_path,
                              const CsvToXmlOptions& options,
                              io::AtomicFile::Mode mode,
                              io::AtomicFile::Sync sync) {
  io::ScopedFd fd(open(csv_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid())
    return io::PosixError(absl::StrCat("open ", csv_path), errno);
  absl::StatusOr<std::unique_ptr<io::AtomicFile>> out =
      io::AtomicFile::Create(xml_path, mode, sync);
  if (!out.ok()) return out.status();
  io::AtomicFile* file = out->get();
  CsvToXmlConverter converter(
      csv_path, [file](absl::string_view bytes) { return file->Append(bytes); },
      options);
  std::string buf(kReadChunk, '\0');
  const std::string context = absl::StrCat("read ", csv_path);
  while (true) {
    absl::StatusOr<size_t> n =
        io::ReadFull(fd.get(), buf.data(), buf.size(), context);
    if (!n.ok()) return n.status();
    if (*n == 0) break;
    if (absl::Status s = converter.Feed(absl::string_view(buf.data(), *n));
        !s.ok()) {
      return s;
    }
    if (*n < buf.size()) break;  // end of file
  }
  if (absl::Status s = converter.Finish(); !s.ok()) return s;
  return file->Commit();
}

}  // namespace concurrency::pipeline
