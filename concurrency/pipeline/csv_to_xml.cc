#include "concurrency/pipeline/csv_to_xml.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
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
#include "pugixml.hpp"

namespace concurrency::pipeline {
namespace {

constexpr size_t kReadChunk = 1 << 20;

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

struct StringWriter : pugi::xml_writer {
  explicit StringWriter(std::string* out) : out(out) {}
  void write(const void* data, size_t size) override {
    out->append(static_cast<const char*>(data), size);
  }
  std::string* out;
};

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

// One `Row` element, reused for every record: each record overwrites the
// cells' text and the row is printed at once, so no node is allocated per
// record. Printed text collects in `text` until it is worth a sink call.
struct CsvToXmlConverter::Batch {
  pugi::xml_document doc;
  pugi::xml_node row;
  std::vector<pugi::xml_node> cells;
  std::string text;
};

namespace {
constexpr size_t kFlushBytes = 256 << 10;
}  // namespace

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
      chunk, [this](absl::Span<const std::string> fields, int64_t line) {
        return OnRecord(fields, line);
      });
}

absl::Status CsvToXmlConverter::OnRecord(absl::Span<const std::string> fields,
                                         int64_t line) {
  if (!have_header_) {
    have_header_ = true;
    names_ = XmlElementNames(fields);
    batch_->row = batch_->doc.append_child("Row");
    for (const std::string& name : names_) {
      batch_->cells.push_back(batch_->row.append_child(name.c_str()));
    }
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
  for (size_t i = 0; i < names_.size(); ++i) {
    pugi::xml_node cell = batch_->cells[i];
    if (i < fields.size() && !fields[i].empty()) {
      cell.text().set(fields[i].data(), fields[i].size());
    } else if (cell.first_child()) {
      cell.remove_children();  // an empty element prints as <name />
    }
  }
  StringWriter writer(&batch_->text);
  batch_->row.print(writer, "\t", pugi::format_indent, pugi::encoding_utf8,
                    /*depth=*/1);
  ++rows_;
  if (batch_->text.size() >= kFlushBytes) return FlushRows();
  return absl::OkStatus();
}

absl::Status CsvToXmlConverter::FlushRows() {
  if (batch_->text.empty()) return absl::OkStatus();
  absl::Status s = sink_(batch_->text);
  batch_->text.clear();
  return s;
}

absl::Status CsvToXmlConverter::Finish() {
  absl::Status s =
      parser_.Finish([this](absl::Span<const std::string> fields,
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
                              const CsvToXmlOptions& options, bool replace,
                              io::AtomicFile::Sync sync) {
  io::ScopedFd fd(open(csv_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid())
    return io::PosixError(absl::StrCat("open ", csv_path), errno);
  absl::StatusOr<std::unique_ptr<io::AtomicFile>> out =
      io::AtomicFile::Create(xml_path,
                             replace ? io::AtomicFile::Mode::kReplace
                                     : io::AtomicFile::Mode::kNoReplace,
                             sync);
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
