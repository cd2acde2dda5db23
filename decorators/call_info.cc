#include "decorators/call_info.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "classes/py_repr.h"
#include "concurrency/io/posix_error.h"
#include "concurrency/io/read_write.h"

namespace decorators {
namespace {

constexpr absl::string_view kFields[] = {"func_name", "call_time", "used_time",
                                         "call_n"};
constexpr int kFuncName = 0, kCallTime = 1, kUsedTime = 2, kCallN = 3;

bool IsNumeric(int field) { return field == kUsedTime || field == kCallN; }

}  // namespace

namespace {

// Widths and precisions above this are refused: a log line is not the place
// for megabytes of padding (and the digits cannot overflow an int).
constexpr int kMaxWidth = 1000;

// Reads decimal digits at `*i` into `*value`; false past kMaxWidth.
bool ReadNumber(absl::string_view format, size_t* i, int* value) {
  while (*i < format.size() && absl::ascii_isdigit(format[*i])) {
    *value = *value * 10 + (format[(*i)++] - '0');
    if (*value > kMaxWidth) return false;
  }
  return true;
}

}  // namespace

// Parses the field name of "%(name)..." at `*i` (just after the '%').
absl::Status CallFormat::ParseField(absl::string_view format, size_t* i,
                                    Piece* p) {
  if (*i >= format.size() || format[*i] != '(') {
    return absl::InvalidArgumentError("expected %(field)s or %%");
  }
  size_t close = format.find(')', *i);
  if (close == absl::string_view::npos) {
    return absl::InvalidArgumentError("unclosed %(");
  }
  absl::string_view name = format.substr(*i + 1, close - *i - 1);
  for (int f = 0; f < 4; ++f) {
    if (kFields[f] == name) p->field = f;
  }
  if (p->field < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown field '", name,
                     "' (known: func_name, call_time, used_time, call_n)"));
  }
  *i = close + 1;
  return absl::OkStatus();
}

// Parses the flags, width, precision and conversion after "%(name)".
absl::Status CallFormat::ParseSpec(absl::string_view format, size_t* i,
                                   Piece* p) {
  while (*i < format.size() && absl::string_view("- +0#").find(format[*i]) !=
                                   absl::string_view::npos) {
    if (format[(*i)++] == '-') p->left = true;
  }
  bool ok = ReadNumber(format, i, &p->width);
  if (ok && *i < format.size() && format[*i] == '.') {
    p->precision = 0;
    ++*i;
    ok = ReadNumber(format, i, &p->precision);
  }
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat("width or precision over ", kMaxWidth));
  }
  if (*i >= format.size()) {
    return absl::InvalidArgumentError("missing conversion");
  }
  p->conversion = format[(*i)++];
  switch (p->conversion) {
    case 's':
    case 'r':
      return absl::OkStatus();
    case 'd':
    case 'i':
    case 'f':
      if (IsNumeric(p->field)) return absl::OkStatus();
      return absl::InvalidArgumentError(absl::StrCat(
          "%", std::string(1, p->conversion), " needs a number but ",
          kFields[p->field], " is a string"));
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "unsupported conversion '", std::string(1, p->conversion), "'"));
  }
}

void CallFormat::AddLiteral(std::string* literal) {
  if (literal->empty()) return;
  Piece lit;
  lit.literal = std::move(*literal);
  literal->clear();
  pieces_.push_back(std::move(lit));
}

absl::StatusOr<CallFormat> CallFormat::Parse(absl::string_view format) {
  CallFormat out;
  std::string literal;
  for (size_t i = 0; i < format.size();) {
    if (format[i] != '%') {
      literal.push_back(format[i++]);
      continue;
    }
    const size_t start = i++;
    if (i < format.size() && format[i] == '%') {
      literal.push_back('%');
      ++i;
      continue;
    }
    Piece p;
    absl::Status s = ParseField(format, &i, &p);
    if (s.ok()) s = ParseSpec(format, &i, &p);
    if (!s.ok()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "call format \"%s\" at offset %d: %s", format, start, s.message()));
    }
    out.AddLiteral(&literal);
    out.pieces_.push_back(std::move(p));
  }
  out.AddLiteral(&literal);
  return out;
}

std::string CallFormat::Format(const CallRecord& r, absl::TimeZone tz) const {
  std::string out;
  for (const Piece& p : pieces_) {
    if (p.field < 0) {
      out += p.literal;
      continue;
    }
    std::string text;
    const double used = absl::ToDoubleSeconds(r.used_time);
    switch (p.field) {
      case kFuncName:
        text = std::string(r.func_name);
        break;
      case kCallTime:
        text = absl::FormatTime("%x %X", r.call_time, tz);
        break;
      case kUsedTime:
        text = p.conversion == 'f'
                   ? absl::StrFormat("%.*f", p.precision < 0 ? 6 : p.precision,
                                     used)
               : p.conversion == 'd' || p.conversion == 'i'
                   ? absl::StrCat(static_cast<int64_t>(used))
                   : classes::PyRepr(used);
        break;
      case kCallN:
        text = p.conversion == 'f'
                   ? absl::StrFormat("%.*f", p.precision < 0 ? 6 : p.precision,
                                     static_cast<double>(r.call_n))
                   : absl::StrCat(r.call_n);
        break;
    }
    if (p.conversion == 'r' && !IsNumeric(p.field))
      text = absl::StrCat("'", text, "'");
    if (p.conversion == 's' && p.precision >= 0 &&
        text.size() > static_cast<size_t>(p.precision)) {
      text.resize(static_cast<size_t>(p.precision));
    }
    if (text.size() < static_cast<size_t>(p.width)) {
      std::string pad(static_cast<size_t>(p.width) - text.size(), ' ');
      text = p.left ? text + pad : pad + text;
    }
    out += text;
  }
  return out;
}

absl::StatusOr<std::shared_ptr<CallInfo>> CallInfo::Open(
    std::string log_path, CallInfoOptions options) {
  absl::StatusOr<CallFormat> format = CallFormat::Parse(options.format);
  if (!format.ok()) return format.status();
  concurrency::io::ScopedFd fd(
      open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (!fd.valid()) {
    return concurrency::io::PosixError(absl::StrCat("open log ", log_path),
                                       errno);
  }
  return std::shared_ptr<CallInfo>(
      new CallInfo(std::move(log_path), std::move(fd), *std::move(format),
                   std::move(options)));
}

CallInfo::CallInfo(std::string path, concurrency::io::ScopedFd fd,
                   CallFormat format, CallInfoOptions options)
    : path_(std::move(path)),
      fd_(std::move(fd)),
      options_(std::move(options)),
      on_(options_.on),
      format_(std::move(format)) {}

absl::Status CallInfo::set_format(absl::string_view format) {
  absl::StatusOr<CallFormat> parsed = CallFormat::Parse(format);
  if (!parsed.ok()) return parsed.status();
  absl::MutexLock l(&mu_);
  format_ = *std::move(parsed);
  return absl::OkStatus();
}

void CallInfo::Log(const CallRecord& record) {
  absl::MutexLock l(&mu_);
  std::string line = format_.Format(record, options_.time_zone);
  line.push_back('\n');
  // One write() per line (O_APPEND): lines from several processes sharing
  // the log never interleave.
  if (!concurrency::io::WriteAll(fd_.get(), line, path_).ok()) ++write_errors_;
}

int64_t CallInfo::write_errors() const {
  absl::MutexLock l(&mu_);
  return write_errors_;
}

}  // namespace decorators
