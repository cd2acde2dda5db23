#include "concurrency/pipeline/csv/internal/csv_scan.h"

#include <immintrin.h>

#include <cstdint>

namespace concurrency::pipeline::csv_internal {
namespace {

bool IsFieldEnd(char c) {
  return c == ',' || c == '"' || c == '\n' || c == '\r';
}
bool IsNonAscii(char c) {
  const auto b = static_cast<unsigned char>(c);
  return b >= 0x80 || (b < 0x20 && b != '\t' && b != '\n' && b != '\r');
}
bool IsXmlSpecial(char c) { return c == '&' || c == '<' || c == '>'; }

// ---- scalar: the reference ----

const char* ScalarFieldEnd(const char* p, const char* end) {
  while (p < end && !IsFieldEnd(*p)) ++p;
  return p;
}
const char* ScalarQuote(const char* p, const char* end, int64_t* newlines) {
  for (; p < end && *p != '"'; ++p) *newlines += *p == '\n';
  return p;
}
const char* ScalarNonAscii(const char* p, const char* end) {
  while (p < end && !IsNonAscii(*p)) ++p;
  return p;
}
const char* ScalarXmlSpecial(const char* p, const char* end) {
  while (p < end && !IsXmlSpecial(*p)) ++p;
  return p;
}

// ---- SSE2, 16 bytes at a time ----

__m128i Splat16(char c) { return _mm_set1_epi8(c); }

const char* Sse2Quote(const char* p, const char* end, int64_t* newlines) {
  const __m128i quote = Splat16('"'), lf = Splat16('\n');
  for (; end - p >= 16; p += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const unsigned q = _mm_movemask_epi8(_mm_cmpeq_epi8(v, quote));
    const unsigned n = _mm_movemask_epi8(_mm_cmpeq_epi8(v, lf));
    if (q != 0) {
      const unsigned before = (q & -q) - 1;  // the bits below the first quote
      *newlines += __builtin_popcount(n & before);
      return p + __builtin_ctz(q);
    }
    *newlines += __builtin_popcount(n);
  }
  return ScalarQuote(p, end, newlines);
}

// Bytes below 0x20 or from 0x80 up compare less than 0x20 as signed bytes;
// TAB, LF and CR are then let through.
const char* Sse2NonAscii(const char* p, const char* end) {
  const __m128i space = Splat16(0x20), tab = Splat16('\t'), lf = Splat16('\n'),
                cr = Splat16('\r');
  for (; end - p >= 16; p += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i low = _mm_cmplt_epi8(v, space);
    const __m128i ok = _mm_or_si128(
        _mm_cmpeq_epi8(v, tab),
        _mm_or_si128(_mm_cmpeq_epi8(v, lf), _mm_cmpeq_epi8(v, cr)));
    if (const int m = _mm_movemask_epi8(_mm_andnot_si128(ok, low))) {
      return p + __builtin_ctz(m);
    }
  }
  return ScalarNonAscii(p, end);
}

const char* Sse2XmlSpecial(const char* p, const char* end) {
  const __m128i amp = Splat16('&'), lt = Splat16('<'), gt = Splat16('>');
  for (; end - p >= 16; p += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i hit = _mm_or_si128(
        _mm_cmpeq_epi8(v, amp),
        _mm_or_si128(_mm_cmpeq_epi8(v, lt), _mm_cmpeq_epi8(v, gt)));
    if (const int m = _mm_movemask_epi8(hit)) return p + __builtin_ctz(m);
  }
  return ScalarXmlSpecial(p, end);
}

// ---- AVX2, 32 bytes at a time, for the long runs ----

#define AVX2 __attribute__((target("avx2")))

AVX2 __m256i Splat32(char c) { return _mm256_set1_epi8(c); }

AVX2 const char* Avx2Quote(const char* p, const char* end, int64_t* newlines) {
  const __m256i quote = Splat32('"'), lf = Splat32('\n');
  for (; end - p >= 32; p += 32) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    const unsigned q = _mm256_movemask_epi8(_mm256_cmpeq_epi8(v, quote));
    const unsigned n = _mm256_movemask_epi8(_mm256_cmpeq_epi8(v, lf));
    if (q != 0) {
      const unsigned before = (q & -q) - 1;
      *newlines += __builtin_popcount(n & before);
      return p + __builtin_ctz(q);
    }
    *newlines += __builtin_popcount(n);
  }
  return Sse2Quote(p, end, newlines);
}

AVX2 const char* Avx2NonAscii(const char* p, const char* end) {
  const __m256i space = Splat32(0x20), tab = Splat32('\t'), lf = Splat32('\n'),
                cr = Splat32('\r');
  for (; end - p >= 32; p += 32) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    const __m256i low = _mm256_cmpgt_epi8(space, v);
    const __m256i ok = _mm256_or_si256(
        _mm256_cmpeq_epi8(v, tab),
        _mm256_or_si256(_mm256_cmpeq_epi8(v, lf), _mm256_cmpeq_epi8(v, cr)));
    if (const unsigned m = _mm256_movemask_epi8(_mm256_andnot_si256(ok, low))) {
      return p + __builtin_ctz(m);
    }
  }
  return Sse2NonAscii(p, end);
}

AVX2 const char* Avx2XmlSpecial(const char* p, const char* end) {
  const __m256i amp = Splat32('&'), lt = Splat32('<'), gt = Splat32('>');
  for (; end - p >= 32; p += 32) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    const __m256i hit = _mm256_or_si256(
        _mm256_cmpeq_epi8(v, amp),
        _mm256_or_si256(_mm256_cmpeq_epi8(v, lt), _mm256_cmpeq_epi8(v, gt)));
    if (const unsigned m = _mm256_movemask_epi8(hit)) {
      return p + __builtin_ctz(m);
    }
  }
  return Sse2XmlSpecial(p, end);
}

#undef AVX2

}  // namespace

const ScanOps& ScalarScan() {
  static constexpr ScanOps kOps = {"scalar", ScalarFieldEnd, ScalarQuote,
                                   ScalarNonAscii, ScalarXmlSpecial};
  return kOps;
}

const ScanOps& Sse2Scan() {
  static constexpr ScanOps kOps = {"sse2", FindFieldEnd, Sse2Quote,
                                   Sse2NonAscii, Sse2XmlSpecial};
  return kOps;
}

const ScanOps* Avx2Scan() {
  static constexpr ScanOps kOps = {"avx2", FindFieldEnd, Avx2Quote,
                                   Avx2NonAscii, Avx2XmlSpecial};
  static const bool has_avx2 = __builtin_cpu_supports("avx2");
  return has_avx2 ? &kOps : nullptr;
}

const ScanOps& BestScan() {
  static const ScanOps& best = Avx2Scan() ? *Avx2Scan() : Sse2Scan();
  return best;
}

}  // namespace concurrency::pipeline::csv_internal
