// PyRepr: numbers printed as Python prints them, so that the lessons' output
// can be compared with the tutorial's line for line: the shortest text that
// reads back as the same double ("99.88000000000001", "6.0", "1e-06").
#ifndef CLASSES_PY_REPR_H_
#define CLASSES_PY_REPR_H_

#include <charconv>
#include <cstdint>
#include <string>

namespace classes {

inline std::string PyRepr(double v) {
  char buf[64];
  std::to_chars_result r = std::to_chars(buf, buf + sizeof buf, v);
  std::string s(buf, r.ptr);
  if (s.find_first_of(".eni") == std::string::npos) s += ".0";
  return s;
}

inline std::string PyRepr(int64_t v) { return std::to_string(v); }

}  // namespace classes

#endif  // CLASSES_PY_REPR_H_
