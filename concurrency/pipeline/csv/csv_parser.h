// CsvParser: a streaming RFC 4180 CSV reader that validates its input.
//
// Feed it the input in chunks of any size (a chunk may end mid-field, mid-line
// or mid-UTF-8-sequence); it calls back once per record with the record's
// fields and the 1-based line on which the record starts. Memory is one
// record, whatever the input size.
//
// Speed: the searches (a field's end, a closing quote, the next byte UTF-8
// validation must decode) run 16 or 32 bytes at a time (internal/csv_scan.h,
// AVX2 when the CPU has it). A field is handed over as a view of the chunk
// itself; only a field with a doubled quote, or one that a chunk boundary
// cuts, is copied.
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
  // An optional consumer of simple records, for a caller that can turn them
  // into output faster than through RecordFn. At the start of a record the
  // parser offers it the validated bytes [p, end) that follow; it may consume
  // any number of whole records that are unquoted fields ending in one LF
  // (no CR, no quote, not an empty line), exactly as RecordFn would have
  // received them, and sets `*used` (ending just after an LF) and `*records`.
  // It must stop before any other record. An error stops parsing.
  class FastPath {
   public:
    virtual ~FastPath() = default;
    virtual absl::Status Consume(const char* p, const char* end, size_t* used,
                                 int64_t* records) = 0;
  };

  // Receives each record and the line it starts on; an error stops parsing
  // and is returned by `Feed`/`Finish`. The views are valid during the call
  // only.
  using RecordFn = absl::FunctionRef<absl::Status(
      absl::Span<const absl::string_view> fields, int64_t line)>;

  // `source` names the input in error messages (a URL, a path, "page 3").
  explicit CsvParser(std::string source) : source_(std::move(source)) {}

  absl::Status Feed(absl::string_view chunk, RecordFn on_record);

  // Ends the input: emits the last record if it has no line break, and fails
  // on an open quote or a truncated UTF-8 sequence.
  absl::Status Finish(RecordFn on_record);

  // Sets (or with null, clears) the fast path; not owned.
  void set_fast_path(FastPath* fast_path) { fast_path_ = fast_path; }

  // Total bytes fed so far.
  int64_t bytes() const { return offset_; }

  // During a RecordFn call: whether at least 16 bytes past the end of each
  // field's view may be read (the views lie in the chunk, far enough from its
  // end), so that a caller can copy fields 16 bytes at a time.
  bool views_have_slack() const { return views_have_slack_; }

 private:
  enum class State {
    kRecordStart,
    kFieldStart,
    kUnquoted,
    kQuoted,
    kQuoteInQuoted
  };

  // A field of the current record: a view of the chunk being parsed, or
  // (`owned`) `size` bytes at `offset` in `owned_`.
  struct Field {
    const char* data = nullptr;
    size_t size = 0;
    size_t offset = 0;
    bool owned = false;
  };

  absl::Status Parse(absl::string_view chunk, RecordFn on_record);
  absl::Status ParseBytes(const char* p, const char* end, RecordFn on_record);
  // One step of ParseBytes in each state; each advances `p` past what it
  // used.
  void RecordStart(const char*& p);
  absl::Status FieldStart(const char*& p, RecordFn on_record);
  absl::Status Unquoted(const char*& p, const char* end, RecordFn on_record);
  void Quoted(const char*& p, const char* end);
  absl::Status QuoteInQuoted(const char*& p, RecordFn on_record);
  void EndLine(char c);
  absl::Status Validate(absl::string_view chunk);
  absl::Status Error(absl::string_view what, int64_t line);
  void StartField(const char* p) {
    if (nfields_ == fields_.size()) AddField();
    fields_[nfields_] = Field{p, 0, 0, false};
  }
  void AddField();
  // Appends [p, p + n) to the current field. A view grows over contiguous
  // bytes of one chunk and starts at its first byte.
  void Extend(const char* p, size_t n) {
    Field& f = fields_[nfields_];
    if (f.owned) {
      owned_.append(p, n);
    } else if (f.size == 0) {
      f.data = p;
    }
    f.size += n;
  }
  void Own(Field& f);
  // Before a chunk goes away: copies the current record's views into owned_.
  void OwnRecord();
  absl::Status EndRecord(RecordFn on_record);

  const std::string source_;
  State state_ = State::kRecordStart;
  std::vector<Field> fields_;
  size_t nfields_ = 0;  // fields_[0, nfields_] belong to the current record
  std::string owned_;   // the owned fields' bytes
  std::vector<absl::string_view> views_;
  const char* chunk_end_ = nullptr;  // of the chunk being parsed
  FastPath* fast_path_ = nullptr;
  bool views_have_slack_ = false;
  int64_t line_ = 1;  // line of the next byte
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
