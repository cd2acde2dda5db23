#include "concurrency/pipeline/csv_parser.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

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
  for (size_t i = 0; i < n; ++i) {
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

void CsvParser::StartField() {
  if (nfields_ == fields_.size()) {
    fields_.emplace_back();
  } else {
    fields_[nfields_].clear();
  }
}

absl::Status CsvParser::EndRecord(RecordFn on_record) {
  absl::Status s = on_record(
      absl::Span<const std::string>(fields_.data(), nfields_), record_line_);
  nfields_ = 0;
  state_ = State::kRecordStart;
  if (!s.ok()) failed_ = true;
  return s;
}

absl::Status CsvParser::Feed(absl::string_view chunk, RecordFn on_record) {
  if (failed_) {
    return absl::FailedPreconditionError(
        absl::StrCat(source_, ": parser already failed"));
  }
  if (!bom_checked_) {
    std::string pending = bom_prefix_;
    pending.append(chunk.data(), chunk.size());
    if (pending.size() < kBom.size() &&
        kBom.substr(0, pending.size()) == pending) {
      bom_prefix_ = std::move(pending);
      return absl::OkStatus();
    }
    bom_checked_ = true;
    bom_prefix_.clear();
    absl::string_view data = pending;
    if (absl::StartsWith(data, kBom)) {
      data.remove_prefix(kBom.size());
      offset_ += static_cast<int64_t>(kBom.size());
    }
    return Parse(data, on_record);
  }
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
  StartField();
  state_ = State::kFieldStart;
}

absl::Status CsvParser::FieldStart(const char*& p, RecordFn on_record) {
  const char c = *p;
  if (c == '"') {
    state_ = State::kQuoted;
    quote_line_ = line_;
  } else if (c == ',') {
    ++nfields_;
    StartField();
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

absl::Status CsvParser::Unquoted(const char*& p, const char* end,
                                 RecordFn on_record) {
  const char* q = p;
  while (q < end && *q != ',' && *q != '\n' && *q != '\r' && *q != '"') ++q;
  fields_[nfields_].append(p, static_cast<size_t>(q - p));
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
  if (c == ',') {
    StartField();
    state_ = State::kFieldStart;
    return absl::OkStatus();
  }
  EndLine(c);
  return EndRecord(on_record);
}

void CsvParser::Quoted(const char*& p, const char* end) {
  const char* q = p;
  while (q < end && *q != '"') {
    if (*q == '\n') ++line_;
    ++q;
  }
  fields_[nfields_].append(p, static_cast<size_t>(q - p));
  p = q;
  if (p < end) {
    state_ = State::kQuoteInQuoted;
    ++p;
  }
}

absl::Status CsvParser::QuoteInQuoted(const char*& p, RecordFn on_record) {
  const char c = *p++;
  if (c == '"') {
    fields_[nfields_].push_back('"');
    state_ = State::kQuoted;
  } else if (c == ',') {
    ++nfields_;
    StartField();
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

absl::Status CsvParser::Parse(absl::string_view chunk, RecordFn on_record) {
  if (absl::Status s = Validate(chunk); !s.ok()) return s;
  const char* p = chunk.data();
  const char* const end = p + chunk.size();
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
  offset_ += static_cast<int64_t>(chunk.size());
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
