"""Dockerfiles read the way Docker's BuildKit reads them, in pure Python.

`parse` turns the text into instructions as BuildKit's parser does (parser directives,
continuations with the active escape character, comment and blank lines inside them,
heredoc bodies); `expand` substitutes build arguments in a word as BuildKit's shell lexer
does. Whatever tagguard can't be sure of raises `DockerfileError` with the line: the
caller refuses instead of guessing.
"""

from __future__ import annotations

import json
import math
import re
from types import MappingProxyType

from tagguard.lean import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Callable, Union


_BOM = "\ufeff"
_DIRECTIVE = re.compile(r"([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*\Z", re.DOTALL)
_DIRECTIVES = ("syntax", "escape", "check")
_ASCII_SPACE = re.compile(r"[\t\v\f\r ]+")
_HEREDOC = re.compile(r"([0-9]*)<<(-?)[\t\n\f\r ]*([^<]*)\Z", re.DOTALL)
_HEREDOC_CAPABLE = ("add", "copy", "run")
MAX_LINE = 64 * 1024 - 1  # bufio.Scanner's limit in BuildKit's parser
INSTRUCTIONS = ("add", "arg", "cmd", "copy", "entrypoint", "env", "expose", "from", "healthcheck",
                "label", "maintainer", "onbuild", "run", "shell", "stopsignal", "user", "volume", "workdir")


MAX_EXPANDED = 64 << 10  # characters an ARG or ENV value may expand to (BuildKit's own line limit)


class DockerfileError(ValueError):
    """What BuildKit would reject, or what tagguard can't be sure of, at a line."""

    def __init__(self, line: int | None, message: str, found: str = "") -> None:
        super().__init__(message)
        self.line = line
        self.message = message
        self.found = found  # the instruction as written, when there is one


class Heredoc(NamedTuple):
    name: str
    chomp: bool
    content: str
    spaced: bool = False  # `<< EOF`: a heredoc only since Dockerfile frontend 1.16


class Instruction(NamedTuple):
    cmd: str  # as written: `from`, `FrOm`
    flags: tuple[str, ...]  # `--platform=linux/amd64`
    value: tuple[str, ...]  # the arguments as BuildKit's parser splits them
    json: bool
    original: str  # the logical line, continuations joined
    start_line: int
    end_line: int
    heredocs: tuple[Heredoc, ...] = ()
    sub_cmd: str | None = None  # ONBUILD's instruction


class Parsed(NamedTuple):
    instructions: list[Instruction]
    escape: str
    directives: tuple[tuple[str, int], ...]  # (name, line) of each parser directive, in order


def is_space(char: str) -> bool:
    """Go's unicode.IsSpace (Python's isspace also counts the separators \\x1c-\\x1f)."""
    return char.isspace() and char not in "\x1c\x1d\x1e\x1f"


def _lstrip(text: str) -> str:
    index = 0
    while index < len(text) and is_space(text[index]):
        index += 1
    return text[index:]


def _strip(text: str) -> str:
    end = len(text)
    while end and is_space(text[end - 1]):
        end -= 1
    return _lstrip(text[:end])


def _is_comment(line: str) -> bool:
    return _lstrip(line).startswith("#")


# --- parser directives and physical lines ---------------------------------------------


class _Directives:
    """`# syntax=`, `# escape=`, `# check=`: only in the lines before anything else."""

    def __init__(self) -> None:
        self.done = False
        self.seen: dict[str, int] = {}
        self.escape = "\\"
        self.continuation = _continuation("\\")

    def feed(self, line: str, number: int) -> None:
        if self.done:
            return
        if not line.startswith("#"):
            self.done = True
            return
        match = _DIRECTIVE.match(_lstrip(line[1:]))
        key = match[1].lower() if match else ""
        if key not in _DIRECTIVES:
            self.done = True
            return
        if key in self.seen:
            raise DockerfileError(number, f"only one {key} parser directive can be used")
        self.seen[key] = number
        if key == "escape":
            self._set_escape(match[2], number)  # type: ignore[index]

    def _set_escape(self, value: str, number: int) -> None:
        if value not in ("`", "\\"):
            raise DockerfileError(number, f"invalid escape token '{value}' does not match ` or \\")
        self.escape = value
        self.continuation = _continuation(value)


def _continuation(escape: str) -> re.Pattern[str]:
    e = re.escape(escape)
    return re.compile(rf"([^{e}]){e}[ \t]*\Z|\A{e}[ \t]*\Z", re.DOTALL)


def _trim_continuation(line: str, directives: _Directives) -> tuple[str, bool]:
    """The line without its continuation character, and whether the instruction ends here."""
    joined, count = directives.continuation.subn(lambda m: m[1] or "", line)
    return joined, count == 0


def _physical_lines(text: str) -> list[str]:
    """Lines split at "\\n" only, ends kept (Python's splitlines also splits at \\f, \\x1c, ...)."""
    if "\x00" in text:
        raise DockerfileError(None, "contains a NUL character")
    lines = text.split("\n")
    result = [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])
    for number, line in enumerate(result, 1):
        if len(line.encode("utf-8", "surrogatepass")) > MAX_LINE:
            raise DockerfileError(number, f"line is longer than BuildKit's limit of {MAX_LINE} bytes")
    if result and result[0].startswith(_BOM):
        result[0] = result[0][1:]
    return result


def _chomp(line: str) -> str:
    return line.rstrip("\r\n")


# --- the parser ----------------------------------------------------------------------


def parse(text: str) -> Parsed:
    """The instructions of a Dockerfile, as BuildKit's parser.Parse returns them."""
    lines = _physical_lines(text)
    directives = _Directives()
    result: list[Instruction] = []
    index = 0
    while index < len(lines):
        start = index + 1
        line, index = _logical_line(lines, index, directives)
        if line is None:
            continue
        node = _node(line, directives.escape, start)
        heredocs: tuple[Heredoc, ...] = ()
        if _can_contain_heredoc(node) and "<<" in line:
            heredocs, index = _read_heredocs(lines, index, _heredocs_in(line, start), start)
        result.append(node._replace(start_line=start, end_line=index, heredocs=heredocs))
    return Parsed(result, directives.escape, tuple(directives.seen.items()))


def _logical_line(lines: list[str], index: int, directives: _Directives) -> tuple[str | None, int]:
    """One instruction's text from `lines[index]` on, and the index after it."""
    first = _lstrip(_chomp(lines[index]))
    directives.feed(first, index + 1)
    index += 1
    if _is_comment(first):
        first = ""
    line, ended = _trim_continuation(first, directives)
    if ended and not line:
        return None, index
    parts = [line]
    while not ended and index < len(lines):
        raw = lines[index]
        directives.feed(_chomp(raw), index + 1)
        index += 1
        if _is_comment(raw) or not _lstrip(_chomp(raw)):
            continue  # BuildKit skips comment and blank lines inside a continuation
        part, ended = _trim_continuation(_chomp(raw), directives)
        parts.append(part)
    return "".join(parts), index


def _read_heredocs(lines: list[str], index: int, docs: list[Heredoc], start: int) -> tuple[tuple[Heredoc, ...], int]:
    read = []
    for doc in docs:
        body = []
        while True:
            if index >= len(lines):
                raise DockerfileError(start, f"unterminated heredoc <<{doc.name}")
            raw = lines[index]
            index += 1
            candidate = _chomp(raw).lstrip("\t") if doc.chomp else _chomp(raw)
            if candidate == doc.name:
                break
            body.append(raw)
        read.append(doc._replace(content="".join(body)))
    return tuple(read), index


def _can_contain_heredoc(node: Instruction) -> bool:
    cmd = node.sub_cmd if node.cmd.lower() == "onbuild" and node.sub_cmd is not None else node.cmd
    return cmd.lower() in _HEREDOC_CAPABLE and not node.json


def _heredocs_in(line: str, number: int) -> list[Heredoc]:
    try:
        words = _Lexer("\\", raw_quotes=True, raw_escapes=True, skip_unset=True).words(line)
    except _LexError:
        return []  # BuildKit ignores a line it can't split here: no heredocs
    docs = []
    for word in words:
        match = _HEREDOC.match(word)
        if match is None or not match[3]:
            continue
        doc = _heredoc_name(match[3], number)
        if doc is not None:
            after = word[len(match[1]) + 2 + len(match[2]):][:1]
            docs.append(Heredoc(doc, match[2] == "-", "", after in (" ", "\t", "\r")))
    return docs


def _heredoc_name(rest: str, number: int) -> str | None:
    try:
        words = _Lexer("\\", skip_unset=True).words(rest)
        raw = _Lexer("\\", raw_quotes=True, skip_unset=True).words(rest)
    except _LexError as exc:
        raise DockerfileError(number, f"heredoc <<{rest}: {exc}") from None
    if len(words) != 1:
        return None
    if len(raw) != 1:
        raise DockerfileError(number, f"heredoc <<{rest} reads differently with and without its quotes")
    return words[0]


# --- one logical line into an instruction ---------------------------------------------


def _node(line: str, escape: str, number: int) -> Instruction:
    parts = _ASCII_SPACE.split(_strip(line), 1)
    cmd, rest, flags = parts[0], "", tuple[str, ...]()
    if len(parts) == 2:
        rest, flags = _builder_flags(parts[1], escape)
    value, is_json, sub = _arguments(cmd, _strip(rest), escape, number)
    return Instruction(cmd, flags, value, is_json, line, number, number, (), sub)


def _arguments(cmd: str, rest: str, escape: str, number: int) -> tuple[tuple[str, ...], bool, str | None]:
    kind = cmd.lower()
    if kind == "onbuild":
        if not rest:
            return (), False, None
        if _ASCII_SPACE.split(rest, 1)[0].lower() == "onbuild":
            raise DockerfileError(number, "ONBUILD ONBUILD: Docker does not allow chaining ONBUILD")
        child = _node(rest, escape, number)
        return child.value, child.json, child.cmd
    if kind in ("from", "expose"):
        return _split(rest), False, None
    if kind == "arg":
        return tuple(_parse_words(rest, escape)), False, None
    if kind in ("env", "label"):
        return _name_values(rest, kind.upper(), escape, number), False, None
    if kind in ("run", "cmd", "entrypoint", "shell"):
        return _maybe_json(rest, number, listed=False)
    if kind in ("add", "copy", "volume"):
        return _maybe_json(rest, number, listed=True)
    if kind in ("maintainer", "stopsignal", "user", "workdir"):
        return ((rest,) if rest else ()), False, None
    if kind == "healthcheck":
        return _healthcheck(rest, number)
    return ("",), False, None


def _split(rest: str) -> tuple[str, ...]:
    return tuple(_ASCII_SPACE.split(rest)) if rest else ()


def _no_constants(name: str) -> None:
    raise ValueError(f"not JSON: {name}")  # Go's JSON has no NaN or Infinity


def _go_number(text: str) -> float:
    number = float(text)
    if math.isinf(number):
        raise ValueError(f"{text} overflows a float64")  # Go's json.Unmarshal fails there
    return number


def _maybe_json(rest: str, number: int, *, listed: bool) -> tuple[tuple[str, ...], bool, None]:
    text = _lstrip(rest)
    if text.startswith("["):
        try:
            array = json.loads(text, parse_constant=_no_constants, parse_float=_go_number, parse_int=_go_number)
        except ValueError:
            array = None
        except RecursionError:
            raise DockerfileError(number, "a JSON array nested too deeply") from None
        if isinstance(array, list):
            if not all(isinstance(item, str) for item in array):
                raise DockerfileError(number, "when using JSON array syntax, arrays must be comprised of strings only")
            return tuple(array), True, None
    if listed:
        return _split(rest), False, None
    return ((rest,) if rest else ()), False, None


def _healthcheck(rest: str, number: int) -> tuple[tuple[str, ...], bool, None]:
    sep = 0
    while sep < len(rest) and not is_space(rest[sep]):
        sep += 1
    if sep == 0:
        return (), False, None
    value, is_json, _ = _maybe_json(_lstrip(rest[sep:]), number, listed=False)
    return (rest[:sep], *value), is_json, None


def _name_values(rest: str, key: str, escape: str, number: int) -> tuple[str, ...]:
    words = _parse_words(rest, escape)
    if not words:
        return ()
    if "=" not in words[0]:
        parts = _ASCII_SPACE.split(rest, 1)
        if len(parts) < 2:
            raise DockerfileError(number, f"{key} must have two arguments")
        return tuple(parts)
    pairs: list[str] = []
    for word in words:
        if "=" not in word:
            raise DockerfileError(number, f"Syntax error - can't find = in {json.dumps(word)}. "
                                          "Must be of the form: name=value")
        pairs.extend(word.split("=", 1))
    return tuple(pairs)


def _builder_flags(line: str, escape: str) -> tuple[str, tuple[str, ...]]:
    """`--flag=value` words at the start of the arguments, and the rest (BuildKit's rules)."""
    words: list[str] = []
    pos = 0
    while True:
        while pos < len(line) and is_space(line[pos]):
            pos += 1
        if not line.startswith("--", pos):
            return line[pos:], tuple(words)
        word, pos, stop = _flag_word(line, pos, escape)
        if word == "--" and stop:
            return line[pos:], tuple(words)
        if word is not None and word != "--":
            words.append(word)
        if pos >= len(line):
            return "", tuple(words)


def _flag_word(line: str, pos: int, escape: str) -> tuple[str | None, int, bool]:
    """One flag word from `pos`: (word or None if blank, position after it, ended at a space)."""
    chars: list[str] = []
    quote, blank_ok = "", False
    while pos < len(line):
        char = line[pos]
        if not quote and is_space(char):
            return ("".join(chars) if chars or blank_ok else None), pos, True
        if not quote and char in "'\"":
            quote, blank_ok = char, True
        elif (quote and char == quote) or (char == escape and pos + 1 == len(line)):
            quote = ""
        else:
            if char == escape:
                pos += 1
                char = line[pos]
            chars.append(char)
        pos += 1
    return ("".join(chars) if chars or blank_ok else None), pos, False


def _parse_words(rest: str, escape: str) -> list[str]:
    """Words split at spaces outside quotes, quotes and escapes kept (BuildKit's parseWords)."""
    words: list[str] = []
    chars: list[str] = []
    quote, blank_ok, in_word, pos = "", False, False, 0
    while pos < len(rest):
        char = rest[pos]
        if not in_word and is_space(char):
            pos += 1
            continue
        in_word = True
        if not quote and is_space(char):
            if blank_ok or chars:
                words.append("".join(chars))
            chars, blank_ok, in_word = [], False, False
        elif char == escape and pos + 1 == len(rest) and quote != "'":
            quote = ""  # an escape at the very end is dropped (kept inside single quotes)
        elif not quote:
            if char in "'\"":
                quote, blank_ok = char, True
            if char == escape:
                chars.append(char)
                pos += 1
                char = rest[pos]
            chars.append(char)
        else:
            if char == quote:
                quote = ""
            elif char == escape and quote != "'":
                chars.append(char)
                pos += 1
                char = rest[pos]
            chars.append(char)
        pos += 1
    if in_word and (blank_ok or chars):
        words.append("".join(chars))
    return words


# --- BuildKit's shell lexer: word splitting and variable expansion --------------------


class Unknown(NamedTuple):
    """A build argument whose value tagguard can't know, why, and what the user can do."""

    reason: str
    advice: str = ""


if TYPE_CHECKING:
    Value = Union[str, Unknown]  # a known value, or why it is not known


class _LexError(ValueError):
    pass


class Unsure(ValueError):
    """A word whose value depends on something tagguard can't know (`name`: an unset variable)."""

    def __init__(self, reason: str, name: str = "", advice: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.name = name
        self.advice = advice


_SPECIAL = "@*#?-$!0"
MAX_NESTING = 64  # ${A:-${B:-...}} levels; deeper is refused (BuildKit's recursion has no use for more)


class _Lexer:
    def __init__(self, escape: str, *, raw_quotes: bool = False, raw_escapes: bool = False,
                 skip_unset: bool = False, env: Mapping[str, Value] | None = None) -> None:
        self.escape = escape
        self.raw_quotes = raw_quotes
        self.raw_escapes = raw_escapes
        self.skip_unset = skip_unset
        self.env: Mapping[str, Value] = env or {}
        self.text = ""
        self.pos = 0
        self.depth = 0

    def words(self, text: str) -> list[str]:
        return self._run(text)[1]

    def word(self, text: str) -> str:
        return self._run(text)[0]

    def _run(self, text: str) -> tuple[str, list[str]]:
        self.text, self.pos = text, 0
        return self._until("", self.raw_escapes)

    def _peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def _next(self) -> str:
        char = self._peek()
        self.pos += 1 if char else 0
        return char

    def _until(self, stop: str, raw_escapes: bool) -> tuple[str, list[str]]:
        saved, self.raw_escapes = self.raw_escapes, raw_escapes
        try:
            return self._scan(stop)
        finally:
            self.raw_escapes = saved

    def _scan(self, stop: str) -> tuple[str, list[str]]:
        result: list[str] = []
        words = _Words()
        while self._peek():
            char = self._peek()
            if stop and char == stop:
                self._next()
                return "".join(result), words.done()
            if char in "$<'\"":
                piece = {"$": self._dollar, "<": self._heredoc, "'": self._single, '"': self._double}[char]()
                result.append(piece)
                words.add(piece) if char == "$" else words.add_raw(piece)
                continue
            char = self._next()
            if char == self.escape:
                if self.raw_escapes:
                    words.add_raw(char)
                    result.append(char)
                char = self._next()
                if not char:
                    break
                words.add_raw(char)
            else:
                words.add(char)
            result.append(char)
        if stop:
            raise _LexError(f"unexpected end of statement while looking for matching {stop}")
        return "".join(result), words.done()

    def _single(self) -> str:
        return self._quoted("'", "single-quote", self._next)

    def _double(self) -> str:
        return self._quoted('"', "double-quote", self._double_char)

    def _quoted(self, quote: str, what: str, take: Callable[[], str]) -> str:
        """A quoted part of a word: `take` reads what is inside, one piece at a time; the
        quotes themselves are kept with `raw_quotes`."""
        opening = self._next()
        result = [opening] if self.raw_quotes else []
        while True:
            char = self._peek()
            if not char:
                raise _LexError(f"unexpected end of statement while looking for matching {what}")
            if char == quote:
                self._next()
                return "".join(result + ([char] if self.raw_quotes else []))
            result.append(take())

    def _double_char(self) -> str:
        """One piece inside double quotes: a `$` expansion, an escaped character, or a character."""
        if self._peek() == "$":
            return self._dollar()
        char = self._next()
        if char != self.escape:
            return char
        kept = char if self.raw_escapes else ""
        if not self._peek():
            return kept  # the statement ends inside the quotes: `_quoted` says so
        if self._peek() in ('"', "$", self.escape):
            return kept + self._next()
        return kept + char

    def _heredoc(self) -> str:
        self._next()
        if self._peek() != "<":
            return "<"
        self._next()
        spaces = []
        while self._peek() and self._peek() in " \t\r":
            spaces.append(self._next())
        return "<<" + "".join(spaces)

    def _name(self) -> str:
        if self._peek().isdecimal():
            start = self.pos
            while self._peek().isdecimal():
                self._next()
            return self.text[start:self.pos]
        if self._peek() and self._peek() in _SPECIAL:
            return self._next()
        start = self.pos
        while self._peek() and (self._peek().isalpha() or self._peek().isdecimal() or self._peek() == "_"):
            self._next()
        return self.text[start:self.pos]

    def _dollar(self) -> str:
        self._next()
        if self._peek() != "{":
            name = self._name()
            if not name:
                return "$"
            value = self._get(name)
            return f"${name}" if value is None and self.skip_unset else self._known(name, value)
        self._next()
        if not self._peek():
            raise _LexError("syntax error: missing '}'")
        if self._peek() in "{}:":
            raise _LexError("syntax error: bad substitution")
        name = self._name()
        modifier = self._next()
        if modifier == "}":
            value = self._get(name)
            return f"${{{name}}}" if value is None and self.skip_unset else self._known(name, value)
        return self._modified(name, modifier)

    def _modified(self, name: str, modifier: str) -> str:
        null_is_unset = modifier == ":"
        op = self._next() if null_is_unset else modifier
        shown = modifier + (op if null_is_unset else "")
        if op == "/" and not null_is_unset:
            return self._replaced(name)
        if null_is_unset and op in "#%" and op:
            raise _LexError(f"unsupported modifier ({shown}) in substitution")
        if not (op and op in "+-?#%") and not null_is_unset:
            raise _LexError(f"unsupported modifier ({shown}) in substitution")
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise _LexError(f"variable substitutions nested more than {MAX_NESTING} deep")
        try:
            word, _ = self._until("}", op in ("#", "%"))
        except _LexError:
            if not self._peek():
                raise _LexError("syntax error: missing '}'") from None
            raise
        finally:
            self.depth -= 1
        value = self._get(name)
        if value is None and self.skip_unset:
            return f"${{{name}{shown}{word}}}"
        return self._apply(name, op, null_is_unset, value, word, shown)

    def _replaced(self, name: str) -> str:
        if self._peek() == "/":
            self._next()
        pattern, _ = self._until_or("/", "syntax error: missing '/' in ${}")
        replacement, _ = self._until_or("}", "syntax error: missing '}'")
        value = self._get(name)
        if value is None and self.skip_unset:
            return f"${{{name}/{pattern}/{replacement}}}"
        raise Unsure(f"${{{name}/...}} (pattern replacement) is an expression tagguard does not evaluate")

    def _until_or(self, stop: str, message: str) -> tuple[str, list[str]]:
        try:
            return self._until(stop, True)
        except _LexError:
            if not self._peek():
                raise _LexError(message) from None
            raise

    def _apply(self, name: str, op: str, null_is_unset: bool, value: Value | None, word: str, shown: str) -> str:
        if isinstance(value, Unknown):
            raise Unsure(value.reason, "", value.advice)
        empty = value is None or (null_is_unset and value == "")
        if op == "-":
            return word if empty else str(value)
        if op == "+":
            return "" if empty else word
        if op == "?":
            raise Unsure(f"${{{name}{shown}...}} is an expression tagguard does not evaluate")
        if op in "#%":
            raise Unsure(f"${{{name}{shown}...}} (pattern removal) is an expression tagguard does not evaluate")
        raise _LexError(f"unsupported modifier ({shown}) in substitution")

    def _get(self, name: str) -> Value | None:
        return self.env.get(name)

    @staticmethod
    def _known(name: str, value: Value | None) -> str:
        if isinstance(value, Unknown):
            raise Unsure(value.reason, "", value.advice)
        if value is None:
            raise Unsure(f"${name} is not set", name)
        return value


class _Words:
    """The word splitting that goes along with expansion (BuildKit's wordsStruct)."""

    def __init__(self) -> None:
        self.buf = ""
        self.words: list[str] = []
        self.in_word = False

    def add(self, text: str) -> None:
        for char in text:
            if not is_space(char):
                self.add_raw(char)
            elif self.in_word and self.buf:
                self.words.append(self.buf)
                self.buf, self.in_word = "", False

    def add_raw(self, text: str) -> None:
        self.buf += text
        self.in_word = True

    def done(self) -> list[str]:
        if self.buf:
            self.words.append(self.buf)
            self.buf, self.in_word = "", False
        return self.words


def expand(word: str, env: Mapping[str, Value], escape: str) -> str:
    """`word` with build arguments substituted as BuildKit does for FROM and ARG values.

    Raises Unsure when the result depends on something tagguard can't know, and
    DockerfileError (without a line) where BuildKit itself would fail.
    """
    try:
        expanded = _Lexer(escape, env=env).word(word)
    except _LexError as exc:
        raise DockerfileError(None, f"can't expand {word!r}: {exc}") from None
    if len(expanded) > MAX_EXPANDED:  # ARG B=$A$A, C=$B$B, ...: each line doubles, and the push waits
        raise DockerfileError(None, f"a value expands to more than {MAX_EXPANDED >> 10} KiB ('{word[:40]}')")
    return expanded


# --- stages: what BuildKit builds from the instructions -------------------------------

_STAGE_NAME = re.compile(r"[a-z][a-z0-9._-]*\Z")
_PLATFORM_ARGS = ("BUILDPLATFORM", "BUILDOS", "BUILDOSVERSION", "BUILDARCH", "BUILDVARIANT",
                  "TARGETPLATFORM", "TARGETOS", "TARGETOSVERSION", "TARGETARCH", "TARGETVARIANT")
_VARIABLE = re.compile(r"\$(?:\{(\w+)(?::?-([^}$]*))?\}|(\w+))")  # [^}$]: linear on ${a:-${a:-...


_NO_ARGS: Mapping[str, Value] = MappingProxyType({})


class Stage(NamedTuple):
    base: str  # the image (or earlier stage) FROM names, build arguments substituted
    name: str  # the `AS` name, lowercased; "" for none
    line: int
    text: str  # "FROM ..." as written
    parent: int | None  # the index of the earlier stage that `base` names
    runs: list[tuple[int, str]]  # RUN commands and their heredoc bodies, ARG and ENV values substituted
    blank: dict[str, int]  # ARGs this stage declares with no default: name -> line
    env: dict[str, Value]  # the stage's ENV values at its end (a stage built on it starts with them)
    unknown: dict[str, Unknown]  # ARGs and ENVs a RUN of the stage sees with a value tagguard can't know


def _meta_env() -> dict[str, Value]:
    env: dict[str, Value] = {name: Unknown(f"{name} depends on the platform of the build") for name in _PLATFORM_ARGS}
    env["TARGETSTAGE"] = Unknown("TARGETSTAGE depends on the build's --target")
    return env


def stages(text: str, args: Mapping[str, Value] = _NO_ARGS) -> list[Stage]:
    """The build stages in order; [] when there is no FROM. `args`: the build's `--build-arg`s.
    Raises DockerfileError."""
    parsed = parse(text)
    if not any(i.cmd.lower() == "from" for i in parsed.instructions):
        return []
    _check_directive_order(parsed)
    env, declared = _meta_env(), dict[str, int]()
    result: list[Stage] = []
    names: dict[str, int] = {}
    run_env: dict[str, Value] = {}  # what a RUN sees: the stage's ARGs and ENVs, and its parent's ENVs
    for instruction in parsed.instructions:
        kind = _kind(instruction)
        if kind == "from":
            result.append(_stage(instruction, names, env, declared, parsed.escape))
            if result[-1].name:
                names[result[-1].name] = len(result) - 1
            parent = result[-1].parent
            run_env = {} if parent is None else dict(result[parent].env)
            result[-1].env.update(run_env)
        elif not result and kind != "arg":
            raise DockerfileError(instruction.start_line, f"{instruction.cmd} comes before the first FROM",
                                  instruction.original)
        elif kind == "arg":
            _declare(instruction, run_env if result else env, env if result else None,
                     result[-1].blank if result else declared, parsed.escape, args)
        elif kind == "env":
            _set_env(instruction, run_env, result[-1], parsed.escape)
        if kind == "run":
            body = " ".join(instruction.value) + "".join("\n" + doc.content for doc in instruction.heredocs)
            result[-1].runs.append((instruction.start_line, _substitute(body, run_env)))
            result[-1].unknown.update((n, v) for n, v in run_env.items() if isinstance(v, Unknown))
    return result


def _set_env(instruction: Instruction, run_env: dict[str, Value], stage: Stage, escape: str) -> None:
    """ENV name=value ...: seen by the stage's later RUNs and by stages built on it."""
    pairs = instruction.value
    for name, raw in zip(pairs[::2], pairs[1::2]):
        run_env[name] = stage.env[name] = _arg_value(raw, run_env, escape, instruction, stage.blank)


def _kind(instruction: Instruction) -> str:
    kind = instruction.cmd.lower() if instruction.cmd.isascii() else ""
    if kind not in INSTRUCTIONS:
        raise DockerfileError(instruction.start_line, f"unknown instruction '{instruction.cmd}'")
    if any(doc.spaced for doc in instruction.heredocs):
        raise DockerfileError(instruction.start_line, "a space between << and the heredoc's name: Dockerfile "
                              "frontends before 1.16 read no heredoc there, so Docker versions read this file "
                              "differently", instruction.original)
    return kind


def _check_directive_order(parsed: Parsed) -> None:
    """`# check=` then `# escape=`: BuildKit before 0.14 stops reading directives at `check`."""
    seen = dict(parsed.directives)
    if "check" in seen and seen.get("escape", 0) > seen["check"] and parsed.escape != "\\":
        raise DockerfileError(seen["escape"], "this # escape= directive follows # check=, which BuildKit "
                              "before 0.14 does not know: Docker versions read this file differently")


def _declare(instruction: Instruction, env: dict[str, Value], meta: dict[str, Value] | None,
             blank: dict[str, int], escape: str, args: Mapping[str, Value]) -> None:
    """ARG name[=value] ...: a build argument's value, else the default expanded with what is
    set so far; `meta` is set in a stage. An ARG with no value it can take is noted in `blank`,
    with its line."""
    if not instruction.value:
        raise DockerfileError(instruction.start_line, "ARG requires at least one argument", instruction.original)
    for word in instruction.value:
        name, eq, raw = word.partition("=")
        if not name:
            raise DockerfileError(instruction.start_line, "ARG names no variable", instruction.original)
        if name in args:
            env[name] = args[name]
        elif eq:
            env[name] = _arg_value(raw, env, escape, instruction, blank)
        elif meta is not None and name in meta:
            env[name] = meta[name]
        elif name not in env:
            blank.setdefault(name, instruction.start_line)


def _arg_value(raw: str, env: Mapping[str, Value], escape: str, instruction: Instruction,
               blank: Mapping[str, int]) -> Value:
    """An ARG or ENV value, expanded; Unknown, saying why, when it depends on what tagguard
    can't know (an ARG of `blank`, which has no default)."""
    try:
        return expand(raw, env, escape)
    except Unsure as exc:
        return no_default(exc.name, blank[exc.name]) if exc.name in blank else Unknown(exc.reason, exc.advice)
    except DockerfileError as exc:
        raise DockerfileError(instruction.start_line, exc.message, instruction.original) from None


def _stage(instruction: Instruction, earlier: Mapping[str, int], env: Mapping[str, Value], declared: Mapping[str, int],
           escape: str) -> Stage:
    """One FROM; `earlier`: the index of the last earlier stage of each name."""
    line = instruction.start_line
    shown = "FROM " + _ASCII_SPACE.split(_strip(instruction.original), 1)[-1] if instruction.value else "FROM"

    def refuse(message: str) -> DockerfileError:
        return DockerfileError(line, message, shown)

    if not instruction.original.isascii():
        raise refuse("FROM has characters outside ASCII")
    words = instruction.value
    if len(words) not in (1, 3) or (len(words) == 3 and words[1].lower() != "as"):
        raise refuse("FROM requires either one or three arguments (FROM image [AS name])")
    name = words[2].lower() if len(words) == 3 else ""
    if len(words) == 3 and not _STAGE_NAME.match(name):
        raise refuse(f"invalid name for build stage: '{words[2]}'")
    flags = instruction.flags
    if len(flags) > 1 or any(not f.startswith("--platform=") or f == "--platform=" for f in flags):
        raise refuse("FROM takes only one flag, --platform=...")
    if instruction.flags and any(char in instruction.original.split(words[0])[0] for char in "'\"`"):
        raise refuse("quotes or ` in FROM's flags: BuildKit versions split them differently")
    base = _base(words[0], env, declared, escape, refuse)
    parent = earlier.get(base)
    return Stage(base, name, line, shown + (f" (= {base})" if base != words[0] else ""), parent, [], {}, {}, {})


def no_default(name: str, line: int) -> Unknown:
    """A build argument with no default, and the two ways out."""
    return Unknown(f"ARG {name} (line {line}) has no default value", f"give it one (ARG {name}=...) or name the "
                   "version in the policy instead of a file ([image] pytorch = \"X.Y\")")


def cannot_tell(unknown: Unknown, what: str) -> str:
    """The message for `what`, which an unknown value leaves open."""
    return f"{unknown.reason}, so tagguard can't tell {what}" + (f"; {unknown.advice}" if unknown.advice else "")


def _base(word: str, env: Mapping[str, Value], declared: Mapping[str, int], escape: str, refuse) -> str:  # type: ignore[no-untyped-def]
    try:
        base = expand(word, env, escape)
    except Unsure as exc:
        if exc.name in declared:
            unknown = no_default(exc.name, declared[exc.name])
        elif exc.name:
            unknown = Unknown(f"${exc.name} is not set by an ARG before the first FROM")
        else:
            unknown = Unknown(exc.reason, exc.advice)
        raise refuse(cannot_tell(unknown, "which image FROM names")) from None
    except DockerfileError as exc:
        raise refuse(exc.message) from None
    if not base or any(is_space(char) for char in base):
        raise refuse(f"FROM names no single image once its ARGs are substituted ('{base}')")
    return base


def _substitute(text: str, env: Mapping[str, Value]) -> str:
    """ARG and ENV values in a RUN command, for finding a torch pin there; unknown and unset
    ones stay as written (`${V:-2.9.0}` takes its default), for the reader to name them."""
    def value(match: re.Match[str]) -> str:
        found = env.get(match[1] or match[3])
        if isinstance(found, Unknown) or (found is None and match[2] is None):
            return match[0]
        return found or (match[2] or "")

    return _VARIABLE.sub(value, text)
