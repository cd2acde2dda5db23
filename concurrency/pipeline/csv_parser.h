// CsvParser: a streaming RFC 4180 CSV reader that validates its input.
//
// Feed it the input in chunks of any size (a chunk may end mid-field, mid-line
// or mid-UTF-8-sequence); it calls back once per record with the record's
// fields and the 1-based line on which the record starts. Memory is one
// record, whatever the input size.
//
// What it accepts: fields separated by commas; records ended by LF, CRLF or a
// lone CR; quoted fields holding commas, line breaks and doubled quotes
// (`"a ""b"""` is `a "b"`); a UTF-8 byte order mark at the very start
// (dropped); a last record without a line break. An empty line is not a record
// and is skipped (a one-column CSV writes an empty value as `""`).
//
// What it refuses, with an `InvalidArgument` status naming the source, the
// line and (for encoding errors) the byte offset in the whole input:
// invalid UTF-8 (overlong forms, surrogates, truncated sequences), characters
// XML 1.0 cannot carry (controls other than TAB/LF/CR, U+FFFE, U+FFFF), a quote
// inside an unquoted field, text after a closing quote, and a quoted field
// still open at the end of the input. After an error the parser is spent.
//
// Not thread-safe: one parser per stream.
#ifndef CONCURRENCY_CSV_PARSER_H_
#define CONCURRENCY_CSV_PARSER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace concurrency::pipeline {

class CsvParser {
 public:
  // Receives each record and the line it starts on; an error stops parsing
  // and is returned by `Feed`/`Finish`.
  using RecordFn = absl::FunctionRef<absl::Status(
      absl::Span<const std::string> fields, int64_t line)>;

  // `source` names the input in error messages (a URL, a path, "page 3").
  explicit CsvParser(std::string source) : source_(std::move(source)) {}

  absl::Status Feed(absl::string_view chunk, RecordFn on_record);

  // Ends the input: emits the last record if it has no line break, and fails
  // on an open quote or a truncated UTF-8 sequence.
  absl::Status Finish(RecordFn on_record);

  // Total bytes fed so far.
  int64_t bytes() const { return offset_; }

 private:
  enum class State {
    kRecordStart,
    kFieldStart,
    kUnquoted,
    kQuoted,
    kQuoteInQuoted
  };

  absl::Status Parse(absl::string_view chunk, RecordFn on_record);
  // One step of Parse in each state; each advances `p` past what it used.
  void RecordStart(const char*& p);
  absl::Status FieldStart(const char*& p, RecordFn on_record);
  absl::Status Unquoted(const char*& p, const char* end, RecordFn on_record);
  void Quoted(const char*& p, const char* end);
  absl::Status QuoteInQuoted(const char*& p, RecordFn on_record);
  void EndLine(char c);
  absl::Status Validate(absl::string_view chunk);
  absl::Status Error(absl::string_view what, int64_t line);
  void StartField();
  absl::Status EndRecord(RecordFn on_record);

  const std::string source_;
  State state_ = State::kRecordStart;
  std::vector<std::string> fields_;
  size_t nfields_ = 0;  // fields_[0, nfields_) belong to the current record
  int64_t line_ = 1;    // line of the next byte
  int64_t record_line_ = 1;
  int64_t quote_line_ = 0;  // where the open quoted field started
  int64_t offset_ = 0;      // bytes fed before the current chunk
  bool bom_checked_ = false;
  std::string bom_prefix_;  // a chunk that began with part of a BOM
  // UTF-8 validation state carried across chunks.
  int utf8_need_ = 0;
  uint32_t utf8_cp_ = 0;
  uint32_t utf8_min_ = 0;
  int64_t utf8_start_ = 0;
  bool skip_lf_ = false;  // the last byte was a CR that ended a line
  bool failed_ = false;
};

}  // namespace concurrency::pipeline

#endif  // CONCURRENCY_CSV_PARSER_H_
