"""Compiler flags for the project's own code (never for external code)."""

# Every cc_* target of the project sets `copts = COPTS`; external libraries are
# compiled with their own flags and their warnings silenced in .bazelrc.
COPTS = [
    "-Wall",
    "-Wextra",
    "-Werror",
]
