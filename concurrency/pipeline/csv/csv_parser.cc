#include "concurrency/pipeline/csv/csv_parser.h"

#include <algorithm>
#include <cstring>

#include "absl/base/optimization.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "concurrency/pipeline/csv/internal/csv_scan.h"

namespace concurrency::pipeline {
namespace {

constexpr absl::string_view kBom = "\xEF\xBB\xBF";

int64_t CountNewlines(absl::string_view s) {
  return static_cast<int64_t>(std::count(s.begin(), s.end(), '\n'));
}

}  // namespace

absl::Status CsvParser::Error(absl::string_view what, int64_t line) {
  failed_ = true;
  return absl::InvalidArgumentError(
      absl::StrFormat("%s: line %d: %s", source_, line, what));
}

absl::Status CsvParser::Validate(absl::string_view chunk) {
  const auto* p = reinterpret_cast<const unsigned char*>(chunk.data());
  const size_t n = chunk.size();
  auto fail = [&](size_t i, absl::string_view what, int64_t at) {
    return Error(absl::StrFormat("%s at byte offset %d", what, at),
                 line_ + CountNewlines(chunk.substr(0, i)));
  };
  const csv_internal::ScanOps& scan = csv_internal::BestScan();
  const char* const data = chunk.data();
  for (size_t i = 0; i < n; ++i) {
    if (utf8_need_ == 0) {
      // Skip printable ASCII, TAB, LF and CR many bytes at a time.
      i = static_cast<size_t>(scan.find_non_ascii(data + i, data + n) - data);
      if (i == n) break;
    }
    unsigned char b = p[i];
    if (utf8_need_ == 0) {
      if (b >= 0x20 && b < 0x80) continue;
      if (b < 0x20) {
        if (b == '\t' || b == '\n' || b == '\r') continue;
        return fail(i,
                    absl::StrFormat("control character U+%04X, which XML "
                                    "1.0 cannot carry,",
                                    b),
                    offset_ + static_cast<int64_t>(i));
      }
      utf8_start_ = offset_ + static_cast<int64_t>(i);
      if (b >= 0xC2 && b <= 0xDF) {
        utf8_need_ = 1, utf8_cp_ = b & 0x1F, utf8_min_ = 0x80;
      } else if (b >= 0xE0 && b <= 0xEF) {
        utf8_need_ = 2, utf8_cp_ = b & 0x0F, utf8_min_ = 0x800;
      } else if (b >= 0xF0 && b <= 0xF4) {
        utf8_need_ = 3, utf8_cp_ = b & 0x07, utf8_min_ = 0x10000;
      } else {
        return fail(i, absl::StrFormat("invalid UTF-8 byte 0x%02X", b),
                    utf8_start_);
      }
      continue;
    }
    if ((b & 0xC0) != 0x80) {
      return fail(i, "truncated UTF-8 sequence", utf8_start_);
    }
    utf8_cp_ = (utf8_cp_ << 6) | (b & 0x3F);
    if (--utf8_need_ > 0) continue;
    if (utf8_cp_ < utf8_min_) {
      return fail(i, "overlong UTF-8 sequence", utf8_start_);
    }
    if (utf8_cp_ >= 0xD800 && utf8_cp_ <= 0xDFFF) {
      return fail(i, "UTF-8-encoded surrogate", utf8_start_);
    }
    if (utf8_cp_ > 0x10FFFF) {
      return fail(i, "UTF-8 sequence beyond U+10FFFF", utf8_start_);
    }
    if (utf8_cp_ == 0xFFFE || utf8_cp_ == 0xFFFF) {
      return fail(i,
                  absl::StrFormat("non-character U+%04X, which XML 1.0 "
                                  "cannot carry,",
                                  utf8_cp_),
                  utf8_start_);
    }
  }
  return absl::OkStatus();
}

void CsvParser::AddField() { fields_.emplace_back(); }

void CsvParser::Own(Field& f) {
  if (f.owned) return;
  f.offset = owned_.size();
  owned_.append(f.data, f.size);
  f.owned = true;
}

// The current field, if owned, is the last run of `owned_` (it grows there):
// it moves behind the other fields' copies.
void CsvParser::OwnRecord() {
  Field& current = fields_[nfields_];
  std::string tail;
  if (current.owned) {
    tail.assign(owned_, current.offset, current.size);
    owned_.resize(current.offset);
  }
  for (size_t i = 0; i < nfields_; ++i) Own(fields_[i]);
  if (current.owned) {
    current.offset = owned_.size();
    owned_.append(tail);
  } else {
    Own(current);
  }
}

absl::Status CsvParser::EndRecord(RecordFn on_record) {
  views_.resize(nfields_);
  bool slack = true;
  for (size_t i = 0; i < nfields_; ++i) {
    const Field& f = fields_[i];
    views_[i] = f.owned ? absl::string_view(owned_.data() + f.offset, f.size)
                        : absl::string_view(f.data, f.size);
    slack = slack && !f.owned;
  }
  views_have_slack_ =
      slack && (nfields_ == 0 || chunk_end_ - (views_[nfields_ - 1].data() +
                                               views_[nfields_ - 1].size()) >=
                                     16);
  absl::Status s =
      on_record(absl::Span<const absl::string_view>(views_.data(), nfields_),
                record_line_);
  nfields_ = 0;
  owned_.clear();
  views_have_slack_ = false;
  state_ = State::kRecordStart;
  if (!s.ok()) failed_ = true;
  return s;
}

absl::Status CsvParser::Feed(absl::string_view chunk, RecordFn on_record) {
  if (failed_) {
    return absl::FailedPreconditionError(
        absl::StrCat(source_, ": parser already failed"));
  }
  if (bom_checked_) return Parse(chunk, on_record);
  // Up to three bytes decide whether the input starts with a BOM; only those
  // are kept back, never the chunk.
  const std::string seen = absl::StrCat(
      bom_prefix_, chunk.substr(0, kBom.size() - bom_prefix_.size()));
  if (seen.size() < kBom.size() && absl::StartsWith(kBom, seen)) {
    bom_prefix_ = seen;
    return absl::OkStatus();
  }
  bom_checked_ = true;
  const std::string prefix = std::move(bom_prefix_);
  bom_prefix_.clear();
  if (seen == kBom) {
    chunk.remove_prefix(kBom.size() - prefix.size());
    offset_ += static_cast<int64_t>(kBom.size());
    return Parse(chunk, on_record);
  }
  if (absl::Status s = Parse(prefix, on_record); !s.ok()) return s;
  return Parse(chunk, on_record);
}

void CsvParser::EndLine(char c) {
  ++line_;
  skip_lf_ = c == '\r';
}

// kRecordStart: skips empty lines; otherwise opens a record, not consuming.
void CsvParser::RecordStart(const char*& p) {
  if (*p == '\n' || *p == '\r') {  // an empty line: not a record
    EndLine(*p++);
    return;
  }
  record_line_ = line_;
  nfields_ = 0;
  StartField(p);
  state_ = State::kFieldStart;
}

absl::Status CsvParser::FieldStart(const char*& p, RecordFn on_record) {
  const char c = *p;
  if (c == '"') {
    state_ = State::kQuoted;
    quote_line_ = line_;
  } else if (c == ',') {
    ++nfields_;
    StartField(p + 1);
  } else if (c == '\n' || c == '\r') {
    ++nfields_;
    EndLine(c);
    if (absl::Status s = EndRecord(on_record); !s.ok()) return s;
  } else {
    state_ = State::kUnquoted;
    return absl::OkStatus();  // the same byte again, as field text
  }
  ++p;
  return absl::OkStatus();
}

// Runs through consecutive unquoted fields of a record in one call: the
// common case, kept free of the state dispatch.
absl::Status CsvParser::Unquoted(const char*& p, const char* end,
                                 RecordFn on_record) {
  while (true) {
    const char* q = csv_internal::FindFieldEnd(p, end);
    Field& f = fields_[nfields_];
    if (ABSL_PREDICT_TRUE(!f.owned && f.size == 0)) {
      f.data = p;
      f.size = static_cast<size_t>(q - p);
    } else {
      Extend(p, static_cast<size_t>(q - p));
    }
    p = q;
    if (p == end) return absl::OkStatus();
    const char c = *p++;
    if (c == '"') {
      return Error(
          "quote inside an unquoted field (quote the whole field and double "
          "the quote)",
          line_);
    }
    ++nfields_;
    if (c != ',') {
      EndLine(c);
      return EndRecord(on_record);
    }
    StartField(p);
    if (p == end || *p == '"' || *p == ',' || *p == '\n' || *p == '\r') {
      state_ = State::kFieldStart;
      return absl::OkStatus();
    }
  }
}

void CsvParser::Quoted(const char*& p, const char* end) {
  const char* q = csv_internal::BestScan().find_quote(p, end, &line_);
  Extend(p, static_cast<size_t>(q - p));
  p = q;
  if (p < end) {
    state_ = State::kQuoteInQuoted;
    ++p;
  }
}

absl::Status CsvParser::QuoteInQuoted(const char*& p, RecordFn on_record) {
  const char c = *p++;
  if (c == '"') {  // a doubled quote: the field is no longer a plain view
    Field& f = fields_[nfields_];
    Own(f);
    owned_.push_back('"');
    ++f.size;
    state_ = State::kQuoted;
  } else if (c == ',') {
    ++nfields_;
    StartField(p);
    state_ = State::kFieldStart;
  } else if (c == '\n' || c == '\r') {
    ++nfields_;
    EndLine(c);
    return EndRecord(on_record);
  } else {
    return Error("text after the closing quote of a quoted field", line_);
  }
  return absl::OkStatus();
}

// Validates and parses in pieces that stay in the L2 cache between the two
// passes. Views may span pieces (the chunk stays put); they are copied only
// when the chunk ends inside a record.
absl::Status CsvParser::Parse(absl::string_view chunk, RecordFn on_record) {
  constexpr size_t kPiece = 64 << 10;
  const char* p = chunk.data();
  const char* const end = p + chunk.size();
  chunk_end_ = end;
  while (p < end) {
    const char* piece_end =
        static_cast<size_t>(end - p) > kPiece ? p + kPiece : end;
    absl::string_view piece(p, static_cast<size_t>(piece_end - p));
    if (absl::Status s = Validate(piece); !s.ok()) return s;
    if (absl::Status s = ParseBytes(p, piece_end, on_record); !s.ok()) {
      return s;
    }
    offset_ += static_cast<int64_t>(piece.size());
    p = piece_end;
  }
  if (state_ != State::kRecordStart) OwnRecord();
  return absl::OkStatus();
}

absl::Status CsvParser::ParseBytes(const char* p, const char* const end,
                                   RecordFn on_record) {
  while (p < end) {
    if (skip_lf_) {  // the LF of a CRLF that ended a line
      skip_lf_ = false;
      if (*p == '\n') {
        ++p;
        continue;
      }
    }
    absl::Status s;
    switch (state_) {
      case State::kRecordStart:
        if (fast_path_ != nullptr) {
          size_t used = 0;
          int64_t records = 0;
          s = fast_path_->Consume(p, end, &used, &records);
          if (!s.ok()) {
            failed_ = true;
            return s;
          }
          p += used;
          line_ += records;  // each ended with one LF
          if (p == end) break;
        }
        RecordStart(p);
        break;
      case State::kFieldStart:
        s = FieldStart(p, on_record);
        break;
      case State::kUnquoted:
        s = Unquoted(p, end, on_record);
        break;
      case State::kQuoted:
        Quoted(p, end);
        break;
      case State::kQuoteInQuoted:
        s = QuoteInQuoted(p, on_record);
        break;
    }
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status CsvParser::Finish(RecordFn on_record) {
  if (failed_) {
    return absl::FailedPreconditionError(
        absl::StrCat(source_, ": parser already failed"));
  }
  if (!bom_checked_ && !bom_prefix_.empty()) {
    bom_checked_ = true;
    std::string pending = std::move(bom_prefix_);
    if (absl::Status s = Parse(pending, on_record); !s.ok()) return s;
  }
  if (utf8_need_ > 0) {
    return Error(absl::StrFormat("truncated UTF-8 sequence at byte offset %d "
                                 "(end of input)",
                                 utf8_start_),
                 line_);
  }
  switch (state_) {
    case State::kRecordStart:
      return absl::OkStatus();
    case State::kQuoted:
      return Error(absl::StrFormat("quoted field opened on line %d is not "
                                   "closed at the end of the input",
                                   quote_line_),
                   quote_line_);
    case State::kFieldStart:
    case State::kUnquoted:
    case State::kQuoteInQuoted:
      ++nfields_;
      return EndRecord(on_record);
  }
  return absl::OkStatus();
}

}  // namespace concurrency::pipeline
