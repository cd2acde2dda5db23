#include "classes/py_repr.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string_view>

namespace classes {

std::string PyRepr(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  // The shortest round-trip digits, as d.ddd e+XX.
  char buf[64];
  const std::to_chars_result r =
      std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string_view s(buf, static_cast<size_t>(r.ptr - buf));
  std::string out;
  if (s.front() == '-') {
    out.push_back('-');
    s.remove_prefix(1);
  }
  const size_t e = s.find('e');
  std::string digits(1, s[0]);
  if (e > 1) digits.append(s.substr(2, e - 2));
  const int exponent = std::atoi(std::string(s.substr(e + 1)).c_str());
  const int n = static_cast<int>(digits.size());
  if (exponent < -4 || exponent >= 16) {
    out.push_back(digits[0]);
    if (n > 1) out.append(".").append(digits, 1);
    out.append(exponent < 0 ? "e-" : "e+");
    if (std::abs(exponent) < 10) out.push_back('0');
    out.append(std::to_string(std::abs(exponent)));
  } else if (exponent < 0) {
    out.append("0.").append(static_cast<size_t>(-exponent - 1), '0');
    out.append(digits);
  } else if (n <= exponent + 1) {
    out.append(digits).append(static_cast<size_t>(exponent + 1 - n), '0');
    out.append(".0");
  } else {
    out.append(digits, 0, static_cast<size_t>(exponent + 1)).push_back('.');
    out.append(digits, static_cast<size_t>(exponent + 1));
  }
  return out;
}

}  // namespace classes
