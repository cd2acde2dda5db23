// PyRepr: numbers printed as Python's repr() prints them, so that the
// lessons' output and messages can be compared with the tutorial's line for
// line. A float is the shortest text that reads back as the same double,
// positional when its decimal exponent is in [-4, 16) and scientific
// otherwise, always marked as a float: "99.88000000000001", "6.0", "0.0001",
// "1e-05", "1e+16", "inf", "nan". (std::to_chars alone picks whichever form is
// shorter: "1e+05" where Python prints "100000.0".)
//
// The one place this project writes Python's repr of a number: the classes
// lessons and the decorators (type_assert's messages, call_info's log) use
// it. Thread-safe (no state).
#ifndef CLASSES_PY_REPR_H_
#define CLASSES_PY_REPR_H_

#include <cstdint>
#include <string>

namespace classes {

std::string PyRepr(double v);

inline std::string PyRepr(int64_t v) { return std::to_string(v); }

}  // namespace classes

#endif  // CLASSES_PY_REPR_H_
