// CSV to XML, as the tutorial's `csv_to_xml` writes it, streaming.
//
// The output is the tutorial's document: a root `Data`, one `Row` per CSV
// record, in it one element per column named after the header, one element
// per line, indented with tabs:
//
//   <?xml version="1.0" encoding="UTF-8"?>
//   <Data>
//   	<Row>
//   		<date>2020-07-10</date>
//   		<open>123.45</open>
//   	</Row>
//   </Data>
//
// The bytes are exactly those of pugixml's serialization of that document
// (`print` with a tab indent; text escapes '&', '<' and '>'), written directly
// from precomputed tags rather than through a DOM: a differential test and
// fuzz target (csv_to_xml_reference.h) hold the two byte-identical. A
// header-only CSV gives a `Data` with no rows. Memory is one record plus a
// batch of rows being printed, whatever the input size. Input rules and errors
// are those of `CsvParser` (csv_parser.h), plus: an empty input (no header) is
// an error, and so is a record whose field count differs from the header's,
// naming its line, unless `RaggedRows::kPad`.
//
// Element names: see `XmlElementNames`.
#ifndef CONCURRENCY_CSV_TO_XML_H_
#define CONCURRENCY_CSV_TO_XML_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "concurrency/io/atomic_file.h"
#include "concurrency/io/file_util.h"
#include "concurrency/pipeline/csv/csv_parser.h"

namespace concurrency::pipeline {

// What happens to a record with more or fewer fields than the header.
// The default is kError: silently padding or dropping fields is how the
// tutorial's `zip()` loses data, and a page that does not match its header is
// more likely broken than short.
enum class RaggedRows {
  kError,  // the conversion fails, naming the line
  kPad,    // a short record gets empty elements for its missing columns; a
           // long record is still an error (its extra fields have no name)
};

struct CsvToXmlOptions {
  RaggedRows ragged = RaggedRows::kError;
};

// Turns CSV header names into valid, unique XML element names, deterministic
// and stable for a given header:
//  1. surrounding spaces and tabs are trimmed;
//  2. every character that may not appear in an XML name (XML 1.0 `NameChar`),
//     and the namespace colon, becomes `_`   ("adj close" -> "adj_close",
//     "p&l" -> "p_l");
//  3. an empty name becomes `column_N`, N its 1-based position;
//  4. a name that may not start an XML name (a digit, `-`, `.`) or that
//     starts with the reserved `xml` (any case) gets a leading `_`
//     ("52wk_high" -> "_52wk_high");
//  5. a name already taken by a column to its left gets the first free suffix
//     `_2`, `_3`, ...   ("a,a,a" -> "a", "a_2", "a_3").
// Names that are already valid and unique are unchanged.
std::vector<std::string> XmlElementNames(absl::Span<const std::string> headers);

// Converts a stream: `Feed` chunks, then `Finish`. Output goes to `sink` as
// it is produced, in non-empty pieces; an error from the sink stops the
// conversion and is returned. Rows go out in pieces of at least
// `kPieceBytes` (the last may be shorter) and at most that plus one row: a
// large input is neither held whole nor written a row at a time.
class CsvToXmlConverter {
 public:
  using Sink = std::function<absl::Status(absl::string_view)>;
  static constexpr size_t kPieceBytes = 256 << 10;

  // `source` names the input in errors ("page 3", a path).
  CsvToXmlConverter(std::string source, Sink sink,
                    CsvToXmlOptions options = {});
  ~CsvToXmlConverter();

  absl::Status Feed(absl::string_view chunk);
  absl::Status Finish();

  // Data records converted so far.
  int64_t rows() const { return rows_; }
  // The element names in use (empty before the header is read).
  const std::vector<std::string>& element_names() const { return names_; }

 private:
  struct Batch;
  class FastRows;
  void StartDocument(absl::Span<const absl::string_view> headers);
  absl::Status OnRecord(absl::Span<const absl::string_view> fields,
                        int64_t line);
  absl::Status FlushRows();

  const std::string source_;
  Sink sink_;
  const CsvToXmlOptions options_;
  CsvParser parser_;
  std::vector<std::string> names_;
  std::unique_ptr<Batch> batch_;
  std::unique_ptr<FastRows> fast_rows_;
  int64_t rows_ = 0;
  bool have_header_ = false;
};

// Converts a whole CSV held in memory.
absl::StatusOr<std::string> CsvToXml(absl::string_view csv,
                                     absl::string_view source,
                                     const CsvToXmlOptions& options = {});

// Converts the file `csv_path` into `xml_path` in bounded memory. The XML
// appears under `xml_path` only complete and durable (see atomic_file.h);
// `mode` says whether an existing `xml_path` is replaced, `sync` what is
// fsynced (atomic_file.h).
absl::Status CsvFileToXmlFile(
    const std::string& csv_path, const std::string& xml_path,
    const CsvToXmlOptions& options = {},
    io::AtomicFile::Mode mode = io::AtomicFile::Mode::kNoReplace,
    io::AtomicFile::Sync sync = io::AtomicFile::Sync::kAll);

}  // namespace concurrency::pipeline

#endif  // CONCURRENCY_CSV_TO_XML_H_
