#!/usr/bin/env python3
"""Generated one-line mutants of the project's library code.

    tools/mutation/generate.py                 # counts per package and operator
    tools/mutation/generate.py --list          # every mutant, one per line
    tools/mutation/generate.py --list camera   # those of files under camera/
    tools/mutation/generate.py --compile=N --seed=S
                                               # N drawn mutants compiled on
                                               # their own (g++ -fsyntax-only)

The files are the sources and headers of every cc_library of //classes,
//concurrency/..., //decorators and //camera that is not testonly (so never a
test, fuzzer, benchmark or main), as `bazel query` names them. Each line of
code outside comments, string literals and preprocessor lines gets every
mutant that the operators below make of it, one change per mutant:

    relational  <  <=   >  >=   ==  !=        (each to its partner)
    arithmetic  +  -                          (binary, each to the other)
    logical     &&  ||
    constant    an integer literal plus one and minus one; true and false
    negate      if (c) / while (c)  ->  if (!(c)) / while (!(c))
    delete      a statement that is a call whose result is not used
    default     return x;  ->  return {};  (an error for a StatusOr)

A mutant must not fail to build for a trivial reason, because that is no
verdict on the tests. So the generator skips what it can tell in advance
would not build: a deleted call or a dropped returned value whose variables
would then be unused (-Werror; judged over the whole function, its lambdas
included), `+` and `-` on a line with a string literal or an iterator, `-`
made `+` between absl::Time values, `return {}` in a lambda or a function
that returns a reference, `auto` or a `<=>` ordering, constants in `case`
labels, `static_assert`, `= 0` and bit-field widths, conditions that declare
a variable, and `&&` put among `||`s (or the reverse: -Wparentheses). Constants in OpenCV drawing calls
(a caption's colour, size, stroke) are left alone as cosmetic. The run counts any
that still do not build apart from the verdicts.

Each mutant has a stable name, `file:line:col:operator`, and a key that does
not move with line numbers (file, original line, mutated line), which is what
equivalent.txt uses.
"""
import collections
import dataclasses
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PACKAGES = ("//classes", "//concurrency", "//decorators", "//camera")


@dataclasses.dataclass(frozen=True)
class Mutant:
    file: str      # from the repository root
    package: str   # its Bazel package, e.g. concurrency/io
    line: int      # 1-based
    col: int       # 1-based column of the change
    op: str        # operator name
    before: str    # the whole original line
    after: str     # the whole mutated line

    @property
    def name(self):
        return f"{self.file}:{self.line}:{self.col}:{self.op}"

    @property
    def key(self):
        return (self.file, self.before.strip(), self.after.strip())


def library_files(root=ROOT):
    """(file, package) of every non-testonly cc_library source and header."""
    universe = " + ".join(f"{p}/..." for p in PACKAGES)
    libs = f"kind(cc_library, {universe}) except attr(testonly, 1, {universe})"
    query = f"labels(srcs, {libs}) + labels(hdrs, {libs})"
    out = subprocess.run(
        [os.path.join(root, "tools", "bazel"), "query", "--output=label", query],
        cwd=root, check=True, capture_output=True, text=True).stdout
    files = []
    for label in out.split():
        if not label.startswith("//"):
            continue
        package, _, name = label[2:].partition(":")
        if name.endswith((".cc", ".h")):
            files.append((f"{package}/{name}", package))
    return sorted(set(files))


# --- masking: code only ------------------------------------------------------

def mask_lines(text):
    """Each line with comments and string/char literal contents blanked.

    Blanked characters become spaces (literal delimiters stay), so columns
    match the original line and no operator is ever found inside a literal
    or a comment. Raw strings R"(...)" are blanked too.
    """
    out, i, n = [], 0, len(text)
    buf = []
    state = "code"
    raw_end = ""
    while i < n:
        c = text[i]
        if c == "\n":
            if state == "line_comment":
                state = "code"
            buf.append("\n")
            i += 1
            continue
        if state == "code":
            if text.startswith("//", i):
                state = "line_comment"
                buf.append(" ")
            elif text.startswith("/*", i):
                state = "block_comment"
                buf.append("  ")
                i += 2
                continue
            elif c == "R" and text.startswith('R"', i) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
                j = text.index("(", i)
                raw_end = ")" + text[i + 2:j] + '"'
                buf.append(text[i:j + 1])
                i = j + 1
                state = "raw"
                continue
            elif c == '"':
                state = "string"
                buf.append(c)
            elif c == "'" and not (i > 0 and text[i - 1].isalnum()):  # not 1'000
                state = "char"
                buf.append(c)
            else:
                buf.append(c)
        elif state in ("string", "char"):
            if c == "\\":
                buf.append("  ")
                i += 2
                continue
            if (c == '"' and state == "string") or (c == "'" and state == "char"):
                state = "code"
                buf.append(c)
            else:
                buf.append(" ")
        elif state == "raw":
            if text.startswith(raw_end, i):
                buf.append(" " * (len(raw_end) - 1) + '"')
                i += len(raw_end)
                state = "code"
                continue
            buf.append(" ")
        elif state == "line_comment":
            buf.append(" ")
        elif state == "block_comment":
            if text.startswith("*/", i):
                state = "code"
                buf.append("  ")
                i += 2
                continue
            buf.append(" ")
        i += 1
    return "".join(buf).split("\n")


# --- operators ---------------------------------------------------------------

RELATIONAL = {" < ": " <= ", " <= ": " < ", " > ": " >= ", " >= ": " > ",
              " == ": " != ", " != ": " == "}
ARITHMETIC = {" + ": " - ", " - ": " + "}
LOGICAL = {" && ": " || ", " || ": " && "}
IDENT = re.compile(r"[A-Za-z_]\w*")
INT = re.compile(r"(?<![\w.])(0[xX][0-9a-fA-F]+|\d+)([uUlL]*)(?![\w.'])")
ITERATOR_HINTS = ("begin(", "end(", "data()", "end_", "begin_", "ptr", "Ptr",
                  "cursor", "char*", "pos", "it ", "it)", "limit", "start")
# OpenCV drawing (the test pattern's and NO SIGNAL's captions): a colour or
# a stroke one unit off is not behaviour any test should pin, and a JPEG
# hardly keeps it.
DRAWING = re.compile(r"cv::(Scalar|putText|rectangle|line|circle|getTextSize)\b"
                     r"|FONT_HERSHEY")
POINTER_NAMES = {"end", "begin", "p", "q", "w", "r", "ptr", "cursor", "limit",
                 "start", "first", "last", "it", "out", "in", "buf", "data",
                 "s", "e", "b", "src", "dst", "head", "tail", "pos"}
# absl::Time values (declared so anywhere in the library, and absl::Now()):
# a Time minus a Time is a Duration, but a Time plus a Time does not build.
TIME_DECLARATION = re.compile(r"\babsl::Time\s+([A-Za-z_]\w*)")
TIME_NAMES = {"Now"}
STRING_DECLARATION = re.compile(
    r"\b(?:std::string|absl::string_view|std::string_view)\s*[&*]?\s+"
    r"([A-Za-z_]\w*)")
NOT_TYPES = {"return", "delete", "case", "else", "throw", "co_return", "new",
             "sizeof", "goto"}
KEYWORDS = {"return", "if", "while", "for", "switch", "case", "else", "do",
            "sizeof", "static_cast", "const", "auto", "true", "false",
            "nullptr", "this", "std", "absl", "int", "char", "void", "new",
            "delete", "co_return", "throw", "break", "continue", "size_t"}


def _find_all(line, token):
    start = 0
    while True:
        i = line.find(token, start)
        if i < 0:
            return
        yield i
        start = i + 1


def _balanced(s):
    depth = 0
    for c in s:
        depth += c in "([{"
        depth -= c in ")]}"
        if depth < 0:
            return False
    return depth == 0


def _close_paren(s, open_index):
    depth = 0
    for j in range(open_index, len(s)):
        depth += s[j] == "("
        depth -= s[j] == ")"
        if depth == 0:
            return j
    return -1


class _File:
    def __init__(self, path, package, text):
        self.path, self.package = path, package
        self.lines = text.split("\n")
        self.code = mask_lines(text)
        words = collections.Counter()
        for c in self.code:
            words.update(IDENT.findall(c))
        self.words = words
        # Names declared as strings here: `a + b` of strings made `a - b`
        # does not build (`text + pad` in call_info.cc: a draw of seed 1209).
        self.string_names = set(STRING_DECLARATION.findall(text))
        self.skip_line = self._unsafe_lines()
        self._blocks = None

    def _unsafe_lines(self):
        """Lines no operator should touch: preprocessor, static_assert, ...

        A multi-line static_assert, template header or preprocessor
        continuation makes every line of it unsafe.
        """
        skip = set()
        continuing = False
        for i, c in enumerate(self.code):
            s = c.strip()
            if continuing or s.startswith("#"):
                skip.add(i)
                continuing = s.endswith("\\")
                continue
            if s.startswith(("static_assert", "template", "case ", "default:",
                             "ABSL_", "using ", "namespace", "extern")):
                skip.add(i)
            if re.search(r"\)\s*(const\s*)?(override\s*)?=\s*0\s*;", s):
                skip.add(i)  # pure virtual
            if re.search(r"\w\s*:\s*\d+\s*[;=]", s) and "?" not in s:
                skip.add(i)  # bit-field width
        return skip

    def unused_after_removing(self, text, index):
        """Whether removing `text` from line `index` could leave a name used
        nowhere else in its function (a local or a parameter: -Werror)."""
        lo, hi = self.function_span(index)
        scope = collections.Counter()
        for c in self.code[lo:hi]:
            scope.update(IDENT.findall(c))
        for w in set(IDENT.findall(text)) - KEYWORDS:
            # A local or parameter (declared in the function) used nowhere
            # but its declaration once `text` is gone draws -Wunused.
            decl = re.compile(r"\b([\w:<>,]+)[\s*&]+" + w +
                              r"\s*(=|;|\(|\{|,|\)|\[)")
            declared = any(
                m.group(1) not in NOT_TYPES
                for c in self.code[lo:hi] for m in decl.finditer(c))
            # Uses as itself, not as a member of something (p->size).
            bare = re.compile(r"(?<![\w.>:])" + w + r"\b")
            uses = sum(len(bare.findall(c)) for c in self.code[lo:hi])
            if declared and uses - len(bare.findall(text)) < 2:
                return True
            # A function of this file's anonymous namespace (or static)
            # called only here: without the call it draws -Wunused-function.
            if re.search(r"\b" + w + r"\s*\(", text) and \
                    self.words[w] - len(bare.findall(text)) < 2 and \
                    self._file_local_function(w):
                return True
        return False

    def _file_local_function(self, name):
        """Whether `name` is defined at namespace scope in this file, inside
        an anonymous namespace or as `static`: internal linkage."""
        definition = re.compile(r"[A-Za-z_].*\b" + name + r"\s*\(")
        for j, c in enumerate(self.code):
            if not definition.match(c) or c.rstrip().endswith(";"):
                continue
            if c.startswith("static "):
                return True
            for k in range(j - 1, -1, -1):
                if self.code[k].startswith("namespace {"):
                    return True
                if self.code[k].startswith("}  // namespace") or \
                        re.match(r"namespace \w", self.code[k]):
                    break
        return False

    def statement(self, index):
        """The code of the statement that line `index` is part of, from its
        first line to this one (a call's arguments may continue a line)."""
        start = index
        while start > 0:
            prev = self.code[start - 1].rstrip()
            if not prev or prev.endswith((";", "{", "}")) \
                    or prev.lstrip().startswith("#"):
                break
            start -= 1
        return " ".join(c.strip() for c in self.code[start:index + 1])

    def function_span(self, index):
        """Lines [lo, hi) of the function around `index`: the outermost
        block holding it that is code (not a namespace, class, struct, enum
        or union body), so a lambda's body counts as part of its function.
        """
        if self._blocks is None:
            self._blocks = self._code_blocks()
        spans = [(lo, hi) for lo, hi in self._blocks if lo <= index < hi]
        if not spans:
            return 0, len(self.code)
        lo, hi = min(spans)  # the outermost: it opens first
        # The signature is part of the scope (parameters): back to the line
        # after the previous statement or block.
        while lo > 0:
            prev = self.code[lo - 1].rstrip()
            if not prev or prev.endswith((";", "{", "}")):
                break
            lo -= 1
        return lo, hi

    def _code_blocks(self):
        """(first line, line after the last) of every brace block whose
        statement is code: a function, lambda or control block."""
        blocks, stack = [], []
        text_before = ""  # the statement so far, to tell what a '{' opens
        for j, c in enumerate(self.code):
            for ch in c:
                if ch == "{":
                    container = re.search(
                        r"\b(namespace|class|struct|enum|union)\b[^;()]*$",
                        text_before) and "=" not in text_before.split(")")[-1]
                    stack.append((j, not container))
                    text_before = ""
                elif ch == "}":
                    if stack:
                        lo, code = stack.pop()
                        if code:
                            blocks.append((lo, j + 1))
                    text_before = ""
                elif ch == ";":
                    text_before = ""
                else:
                    text_before += ch
            text_before += " "
        return blocks

    def enclosing_opener(self, index):
        """The opening line and whole signature of the function (or lambda)
        around line `index`: the nearest block opener indented less than
        the blocks it holds, skipping if/for/while/... blocks."""
        indent = len(self.code[index]) - len(self.code[index].lstrip())
        for j in range(index, -1, -1):
            c = self.code[j]
            if not c.rstrip().endswith("{"):
                continue
            # A statement may run over several lines: its first line's
            # indentation is the block's.
            start = j
            while start > 0:
                prev = self.code[start - 1].rstrip()
                if not prev or prev.endswith((";", "{", "}", ":")) \
                        or prev.lstrip().startswith("#"):
                    break
                start -= 1
            k = len(self.code[start]) - len(self.code[start].lstrip())
            if not (k < indent or j == index):
                continue
            s = self.code[start].strip()
            if re.match(r"(\}\s*)?(if|else|for|while|switch|do|try|catch)\b", s):
                indent = k
                continue
            sig = " ".join(x.strip() for x in self.code[start:j + 1])
            return s, sig
        return "", ""


def _mutants_of_line(f, i):
    line, code = f.lines[i], f.code[i]
    s = code.strip()
    if i in f.skip_line or not s:
        return
    # In a constexpr function or lambda a mutant is evaluated by the
    # compiler: an out-of-range index there is a compile error, not a bug
    # the tests could catch.
    if "constexpr" in f.enclosing_opener(i)[1]:
        return

    def make(col, old, new, op):
        return Mutant(f.path, f.package, i + 1, col + 1, op, line,
                      line[:col] + new + line[col + len(old):])

    for old, new in RELATIONAL.items():
        for col in _find_all(code, old):
            if old in (" < ", " > ") and re.search(r"\boperator\s*$", code[:col]):
                continue
            yield make(col, old, new, "relational")

    # `a || b` made `a && b` beside another `||` draws -Wparentheses
    # (-Werror): only where the condition has one kind of logical operator.
    near = " ".join(f.code[max(0, i - 3):i + 4])
    for old, new in LOGICAL.items():
        if new in near or near.count(old) > 1:
            continue
        for col in _find_all(code, old):
            yield make(col, old, new, "logical")

    has_literal = '"' in code or "'" in code
    looks_pointer = any(h in code for h in ITERATOR_HINTS)
    for old, new in ARITHMETIC.items():
        if has_literal or looks_pointer or "StrCat" in code or "string" in code:
            break
        for col in _find_all(code, old):
            left = re.search(r"([A-Za-z_]\w*)\W*$", code[:col])
            right = re.match(r"\W*(?:[A-Za-z_]\w*::)*([A-Za-z_]\w*)",
                             code[col + len(old):])
            names = {x.group(1) for x in (left, right) if x}
            if names & POINTER_NAMES:
                continue  # end - p made end + p: pointer + pointer
            if old == " - " and names & TIME_NAMES:
                continue  # deadline - absl::Now() made Time + Time
            if names & f.string_names:
                continue  # string + string made string - string
            if "..." in code[max(0, col - 4):col + len(old) + 4]:
                continue  # a fold's two operators must be the same one
            yield make(col, old, new, "arithmetic")

    if not re.search(r"\[\s*\d*\s*\]\s*=|\{\s*\d+\s*\}|<\s*\d+\s*>", s):
        for m in INT.finditer(code):
            digits, suffix = m.group(1), m.group(2)
            if re.search(r"\w<[^<>()]*$", code[:m.start()]):
                continue  # a template argument: types must match elsewhere
            if DRAWING.search(f.statement(i)):
                continue  # how a caption looks: colours, sizes, thickness
            if re.search(r"\balignas\s*\($", code[:m.start()]):
                continue  # alignas(65): an alignment is a power of two
            if re.search(r"\(&[A-Za-z_]\w*,\s*$", code[:m.start()]):
                continue  # poll(&p, 1, ...): a count past one object's
                #           address does not build (-Warray-bounds)
            if len(digits) > 1 and digits[0] == "0" and digits[1] not in "xX":
                continue  # octal (file modes): a mode +1 is no bug worth naming
            value = int(digits, 0)
            for delta in (1, -1):
                v = value + delta
                if v < 0:
                    continue
                text = (hex(v) if digits.lower().startswith("0x") else str(v)) + suffix
                mut = make(m.start(), m.group(0), text, "constant")
                yield mut
    for m in re.finditer(r"\b(true|false)\b", code):
        if re.search(r"\bwhile\s*\(\s*true\s*\)", code):
            break  # a loop left by return: while (false) ends the function
        new = "false" if m.group(1) == "true" else "true"
        yield make(m.start(), m.group(1), new, "constant")

    m = re.match(r"(\s*(?:\}\s*else\s+)?(?:if|while)\s*)\(", code)
    if m and not re.match(r"\s*if\s+constexpr", code):
        open_i = len(m.group(1))
        close_i = _close_paren(code, open_i)
        cond = code[open_i + 1:close_i] if close_i > 0 else ""
        declares = ";" in cond or re.search(r"[^=!<>]=[^=]", cond)
        # while (!(true)) leaves a function that returns from its loop with
        # no return at its end (-Wreturn-type), as while (false) would.
        literal = cond.strip() in ("true", "false", "1", "0")
        if close_i > 0 and not declares and not literal:
            new_line = (line[:open_i] + "(!(" + line[open_i + 1:close_i] + "))"
                        + line[close_i + 1:])
            yield Mutant(f.path, f.package, i + 1, open_i + 1, "negate", line,
                         new_line)

    call = re.match(r"(\s*)([A-Za-z_][\w:]*(?:(?:\.|->)[A-Za-z_]\w*)*)\((.*)\);\s*$", code)
    if call and _balanced(call.group(3)) and call.group(2) not in KEYWORDS \
            and not call.group(2).startswith(("static_assert", "ABSL_", "CHECK")):
        statement = line.strip()
        prev = f.code[i - 1].rstrip() if i > 0 else ""
        # Only a whole statement: the line before ends one (not `if (x =`
        # or `else`), and it is no requirement of a `requires` expression.
        starts = prev.endswith((";", "{", "}", ":")) or not prev.strip()
        in_requires = any("requires" in x for x in f.code[max(0, i - 2):i + 1])
        if not f.unused_after_removing(statement, i) and starts \
                and not in_requires:
            yield Mutant(f.path, f.package, i + 1, len(call.group(1)) + 1,
                         "delete", line, call.group(1) + "// deleted")

    ret = re.match(r"(\s*)return (.+);\s*$", code)
    if ret and _balanced(ret.group(2)):
        value = ret.group(2).strip()
        opener, sig = f.enclosing_opener(i)
        lambda_ = re.search(r"\]\s*(\(|\{|mutable)", sig) and "->" not in sig
        by_ref = re.search(r"&\s*(operator\S*|[\w:]+)\s*\(", sig) and "->" not in sig
        # `auto` as the return type, wherever the signature puts it (after a
        # template header or a requires clause too).
        auto = re.search(r"(^|[\s>)])(decltype\(auto\)|auto)\s+(operator\b|[\w:~]+\s*\()",
                         sig.strip())
        trivial = value in ("{}", "true", "false", "nullptr", "0", "*this",
                            "absl::OkStatus()", "std::nullopt")
        unused = f.unused_after_removing(value, i)
        outside = re.match(r"(namespace|class|struct|enum)\b", opener)
        # std::strong_ordering and its kin have no default: `return {}`
        # does not build.
        ordering = re.search(r"operator\s*<=>|_ordering\b", sig)
        if opener and not (lambda_ or by_ref or auto or trivial or unused
                           or outside or ordering):
            new = "absl::UnknownError(\"mutant\")" if "StatusOr<" in sig else "{}"
            col = len(ret.group(1)) + len("return ")
            yield Mutant(f.path, f.package, i + 1, col + 1, "default", line,
                         line[:col] + new + ";")


# An unsigned value compared with 0 as `>= 0` (always true) or `< 0` (always
# false) draws -Wtype-limits (-Werror): `left > 0` made `left >= 0` does not
# build when `left` is a size_t. Names declared unsigned in the file, and
# size()/length(), are unsigned here.
UNSIGNED_DECLARATION = re.compile(
    r"\b(?:std::)?(?:size_t|uint\d+_t|unsigned(?:\s+(?:int|long|char|short))*)"
    r"[\s&*]+([A-Za-z_]\w*)")
ALWAYS_SO = re.compile(r"(?:(?<![\w.])\*?([A-Za-z_]\w*)|\.(?:size|length)\(\))"
                       r"\s*(?:>=|<)\s*0(?![\w.])")


def _compares_unsigned_with_zero(line, unsigned):
    return sum(1 for m in ALWAYS_SO.finditer(line)
               if m.group(1) is None or m.group(1) in unsigned)


def mutants_of(path, package, text):
    f = _File(path, package, text)
    unsigned = set(UNSIGNED_DECLARATION.findall(text))
    for i in range(len(f.lines)):
        for m in _mutants_of_line(f, i):
            if _compares_unsigned_with_zero(m.after, unsigned) > \
                    _compares_unsigned_with_zero(m.before, unsigned):
                continue
            yield m


def all_mutants(root=ROOT, under=""):
    texts = []
    for path, package in library_files(root):
        with open(os.path.join(root, path), encoding="utf-8") as f:
            texts.append((path, package, f.read()))
    for _, _, text in texts:
        TIME_NAMES.update(TIME_DECLARATION.findall(text))
    result = []
    for path, package, text in texts:
        if path.startswith(under):
            result.extend(mutants_of(path, package, text))
    return result


def compile_sample(mutants, count, seed):
    """Compiles `count` mutants drawn with `seed` on their own (g++
    -fsyntax-only, the project's warnings as errors), each in a copy of the
    tree: the mutated file, or for a header up to two files of its package
    that include it (tests first: they instantiate its templates). Prints
    each that does not compile; returns how many."""
    import random  # pylint: disable=import-outside-toplevel
    import shutil  # pylint: disable=import-outside-toplevel
    import tempfile  # pylint: disable=import-outside-toplevel
    base = subprocess.run([os.path.join(ROOT, "tools", "bazel"), "info",
                           "output_base"], cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout.strip()
    flags = ["-std=c++20", "-Wall", "-Wextra", "-Werror", "-fsyntax-only",
             "-I.", "-isystem", os.path.join(base, "external", "com_google_absl"),
             "-isystem", "/usr/include/opencv4"]
    tree = tempfile.mkdtemp(prefix="mutant-compile-")
    names = subprocess.run(["git", "ls-files", "*.h", "*.cc"], cwd=ROOT,
                           check=True, capture_output=True, text=True).stdout.split()
    for name in names:
        os.makedirs(os.path.join(tree, os.path.dirname(name)), exist_ok=True)
        shutil.copy2(os.path.join(ROOT, name), os.path.join(tree, name))

    def units(m):
        if m.file.endswith(".cc"):
            return [m.file]
        found = [n for n in names
                 if n.startswith(m.package + "/") and n.endswith(".cc")
                 and not n.endswith(("_main.cc", "_fuzzer.cc", "_benchmark.cc"))
                 and f'#include "{m.file}"' in open(os.path.join(tree, n),
                                                    encoding="utf-8").read()]
        return sorted(found, key=lambda n: not n.endswith("_test.cc"))[:2]

    failed = 0
    try:
        for m in random.Random(seed).sample(mutants, min(count, len(mutants))):
            path = os.path.join(tree, m.file)
            with open(path, encoding="utf-8") as f:
                original = f.read()
            lines = original.split("\n")
            lines[m.line - 1] = m.after
            with open(path, "w", encoding="utf-8") as f:
                f.write("\n".join(lines))
            errors = [r.stderr for r in (
                subprocess.run(["g++", *flags, u], cwd=tree, capture_output=True,
                               text=True) for u in units(m)) if r.returncode]
            with open(path, "w", encoding="utf-8") as f:
                f.write(original)
            if errors:
                failed += 1
                print(f"does not compile: {m.name}\n  - {m.before.strip()}\n"
                      f"  + {m.after.strip()}\n{errors[0][:800]}", flush=True)
    finally:
        shutil.rmtree(tree, ignore_errors=True)
    print(f"{failed} of {min(count, len(mutants))} mutants did not compile")
    return failed


def main(argv):
    under = next((a for a in argv if not a.startswith("--")), "")
    mutants = all_mutants(under=under)
    opts = dict(a[2:].split("=", 1) for a in argv if a.startswith("--") and "=" in a)
    if "compile" in opts:
        return 1 if compile_sample(mutants, int(opts["compile"]),
                                   int(opts.get("seed", "0"), 0)) else 0
    if "--list" in argv:
        for m in mutants:
            print(f"{m.name}\n  - {m.before.strip()}\n  + {m.after.strip()}")
        return 0
    by_package = collections.Counter(m.package for m in mutants)
    by_op = collections.Counter(m.op for m in mutants)
    for package, n in sorted(by_package.items()):
        print(f"{package:30} {n:6}")
    print(f"{'total':30} {len(mutants):6}")
    print(", ".join(f"{op} {n}" for op, n in sorted(by_op.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
