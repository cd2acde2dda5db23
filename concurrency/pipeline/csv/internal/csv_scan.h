// The CSV parser's byte searches, 16 or 32 bytes at a time.
//
// SSE2 is part of x86-64, so it is the baseline; AVX2 versions are chosen at
// run time when the CPU has AVX2 (`BestScan()`). Each function returns the
// same position as the plain loop in its comment, for any input and any
// alignment: the tests compare all three on random inputs.
//
// Thread-safety: stateless functions.
#ifndef CONCURRENCY_PIPELINE_CSV_INTERNAL_CSV_SCAN_H_
#define CONCURRENCY_PIPELINE_CSV_INTERNAL_CSV_SCAN_H_

#include <emmintrin.h>

#include <cstdint>

namespace concurrency::pipeline::csv_internal {

// ScanOps::find_field_end in SSE2, inline: the parser calls it once per
// field, and fields are short (a price, a date), so one 16-byte step usually
// finds the end; AVX2 would not help.
inline const char* FindFieldEnd(const char* p, const char* end) {
  const __m128i comma = _mm_set1_epi8(','), quote = _mm_set1_epi8('"'),
                lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
  for (; end - p >= 16; p += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i hit = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(v, comma), _mm_cmpeq_epi8(v, quote)),
        _mm_or_si128(_mm_cmpeq_epi8(v, lf), _mm_cmpeq_epi8(v, cr)));
    if (const int m = _mm_movemask_epi8(hit)) return p + __builtin_ctz(m);
  }
  while (p < end && *p != ',' && *p != '"' && *p != '\n' && *p != '\r') ++p;
  return p;
}

// CopyPlainXmlText for text followed by at least 16 readable bytes: whole
// 16-byte loads, only the text's bytes checked.
inline char* CopyPlainXmlTextWithSlack(char* w, const char* p, size_t n) {
  const __m128i amp = _mm_set1_epi8('&'), lt = _mm_set1_epi8('<'),
                gt = _mm_set1_epi8('>');
  for (size_t i = 0; i < n; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    const __m128i hit = _mm_or_si128(
        _mm_cmpeq_epi8(v, amp),
        _mm_or_si128(_mm_cmpeq_epi8(v, lt), _mm_cmpeq_epi8(v, gt)));
    const size_t left = n - i;
    const unsigned mask = left >= 16 ? 0xFFFFu : (1u << left) - 1;
    if ((static_cast<unsigned>(_mm_movemask_epi8(hit)) & mask) != 0) {
      return nullptr;
    }
    _mm_storeu_si128(reinterpret_cast<__m128i*>(w + i), v);
  }
  return w + n;
}

// Copies XML text to `w` and returns the end of the copy, or returns null
// (having written part of it) if the text holds a byte XML escapes ('&',
// '<', '>'). Never reads outside `text`.
inline char* CopyPlainXmlText(char* w, const char* p, size_t n) {
  if (n < 16) {
    for (size_t i = 0; i < n; ++i) {
      const char c = p[i];
      if (c == '&' || c == '<' || c == '>') return nullptr;
      w[i] = c;
    }
    return w + n;
  }
  const __m128i amp = _mm_set1_epi8('&'), lt = _mm_set1_epi8('<'),
                gt = _mm_set1_epi8('>');
  auto step = [&](size_t i) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    const __m128i hit = _mm_or_si128(
        _mm_cmpeq_epi8(v, amp),
        _mm_or_si128(_mm_cmpeq_epi8(v, lt), _mm_cmpeq_epi8(v, gt)));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(w + i), v);
    return _mm_movemask_epi8(hit) == 0;
  };
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    if (!step(i)) return nullptr;
  }
  if (i < n && !step(n - 16)) return nullptr;  // the last 16, overlapping
  return w + n;
}

struct ScanOps {
  const char* name;  // "scalar", "sse2", "avx2"
  // The first byte in [p, end) that is ',', '"', '\n' or '\r', or `end`:
  // where an unquoted field ends.
  const char* (*find_field_end)(const char* p, const char* end);
  // The first '"' in [p, end), or `end`; adds the '\n's before it to
  // `*newlines`: how far a quoted field's text runs.
  const char* (*find_quote)(const char* p, const char* end, int64_t* newlines);
  // The first byte in [p, end) that is not printable ASCII, TAB, LF or CR
  // (a control or a byte >= 0x80), or `end`: where UTF-8 validation must look
  // closely.
  const char* (*find_non_ascii)(const char* p, const char* end);
  // The first byte in [p, end) that XML text must escape ('&', '<', '>'), or
  // `end`.
  const char* (*find_xml_special)(const char* p, const char* end);
};

const ScanOps& ScalarScan();
const ScanOps& Sse2Scan();
// Null when the CPU has no AVX2.
const ScanOps* Avx2Scan();
// AVX2 when the CPU has it, else SSE2; chosen once.
const ScanOps& BestScan();

}  // namespace concurrency::pipeline::csv_internal

#endif  // CONCURRENCY_PIPELINE_CSV_INTERNAL_CSV_SCAN_H_
