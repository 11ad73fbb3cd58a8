"""The part of YAML that conda environment files are written in, read by its structure.

Block mappings and sequences, flow sequences and mappings (`[a, b]`, `{pip: [x]}`, across
lines too), plain and quoted scalars, comments. Everything else (anchors, aliases, tags, block
scalars, quoted text across lines, several documents) raises `YamlError` with the line: the
caller refuses instead of guessing. Linear in the text; nesting is bounded.
"""

from __future__ import annotations

import bisect
import re

from tagguard.lean import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from typing import Union

MAX_DEPTH = 32


class Scalar(NamedTuple):
    text: str
    line: int


if TYPE_CHECKING:
    Node = Union[Scalar, list["Node"], dict[str, "Node"], None]


class YamlError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class _Line(NamedTuple):
    number: int
    indent: int
    text: str  # comment and surrounding spaces gone


_STRAY_INDENT = "is indented under a value (a value going on over lines, or a stray indent)"
_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_UNSUPPORTED = {"&": "an anchor", "*": "an alias", "!": "a tag", "|": "a block scalar", ">": "a block scalar",
                "?": "a complex key", "%": "a directive", "@": "a reserved character", "`": "a reserved character"}


def parse(text: str) -> Node:
    """The document as dicts, lists and Scalars (None for an empty value)."""
    lines = _lines(text)
    if not lines:
        return None
    node, index = _Parser(lines).block(0, lines[0].indent, 0)
    if index < len(lines):
        raise YamlError(lines[index].number, "is indented less than the first line of the document")
    return node


def _lines(text: str) -> list[_Line]:
    for char in _BREAKS:
        if char in text:
            raise YamlError(text[: text.index(char)].count("\n") + 1, "has line breaks other than newlines")
    result: list[_Line] = []
    for number, raw in enumerate(text.split("\n"), 1):
        body = _uncommented(raw, number).rstrip(" \t")
        stripped = body.lstrip(" ")
        if stripped.startswith("\t"):
            raise YamlError(number, "is indented with a tab")
        if stripped in ("---", "...") or stripped.startswith(("--- ", "... ")):
            if result or stripped.startswith("..."):
                raise YamlError(number, "holds more than one YAML document")
            continue
        if stripped:
            result.append(_Line(number, len(body) - len(stripped), stripped))
    return result


def _uncommented(line: str, number: int) -> str:
    """The line up to a `#` that starts a comment (at the start, or after a space, outside quotes)."""
    quote = ""
    for match in _COMMENT_OR_QUOTE.finditer(line):
        index, char = match.start(), match[0]
        if char[0] == "\\":
            if quote == '"':
                continue  # an escaped character inside double quotes
            index, char = index + 1, char[1]  # elsewhere a backslash is just a character
        if quote and char == quote:
            quote = ""
        elif not quote and char in "'\"" and (index == 0 or line[index - 1] in " \t[{,:-"):
            quote = char
        elif not quote and char == "#" and (index == 0 or line[index - 1] in " \t"):
            return line[:index]
    if quote:
        raise YamlError(number, "has quoted text going on past the line")
    return line


_COMMENT_OR_QUOTE = re.compile(r"\\.|['\"#]", re.DOTALL)  # `\\.` whole, so an escaped quote is skipped
_FLOW_STOP = re.compile(r"[,\]}'\"]")
_BRACKET_OR_QUOTE = re.compile(r"[\[\]{}'\"]")


class _Parser:
    def __init__(self, lines: list[_Line]) -> None:
        self.lines = lines

    def block(self, index: int, indent: int, depth: int) -> tuple[Node, int]:
        if depth > MAX_DEPTH:
            raise YamlError(self.lines[index].number, f"nests deeper than {MAX_DEPTH} levels")
        if _is_item(self.lines[index].text):
            return self._sequence(index, indent, depth)
        return self._mapping(index, indent, depth)

    def _sequence(self, index: int, indent: int, depth: int) -> tuple[Node, int]:
        items: list[Node] = []
        while index < len(self.lines) and self.lines[index].indent == indent and _is_item(self.lines[index].text):
            line = self.lines[index]
            rest = line.text[1:].lstrip(" ")
            if not rest:
                item, index = self._nested(index + 1, indent, depth, same_indent_sequence=False)
            elif _key_of(rest, line.number) is not None:  # `- pip:` opens a mapping inside the item
                inner = indent + len(line.text) - len(rest)
                self.lines[index] = line._replace(indent=inner, text=rest)
                item, index = self._mapping(index, inner, depth + 1)
            else:
                item, index = self._value(rest, index, depth)
            items.append(item)
        return items, index

    def _mapping(self, index: int, indent: int, depth: int) -> tuple[Node, int]:
        result: dict[str, Node] = {}
        seen: dict[str, int] = {}
        while index < len(self.lines) and self.lines[index].indent == indent:
            line = self.lines[index]
            split = _key_of(line.text, line.number)
            if split is None:
                raise YamlError(line.number, "is neither a `key: value` nor a `- item` line")
            key, rest = split
            if key in seen:
                raise YamlError(line.number, f"has the key '{key}' twice (lines {seen[key]} and {line.number})")
            seen[key] = line.number
            if rest:
                result[key], index = self._value(rest, index, depth)
            else:
                result[key], index = self._nested(index + 1, indent, depth, same_indent_sequence=True)
        if index < len(self.lines) and self.lines[index].indent > indent:
            raise YamlError(self.lines[index].number, _STRAY_INDENT)
        return result, index

    def _nested(self, index: int, indent: int, depth: int, *, same_indent_sequence: bool) -> tuple[Node, int]:
        """The block under a line that ends at its `:` or `-`; None when there is none."""
        if index >= len(self.lines):
            return None, index
        line = self.lines[index]
        if line.indent > indent or (same_indent_sequence and line.indent == indent and _is_item(line.text)):
            return self.block(index, line.indent, depth + 1)
        return None, index

    def _value(self, rest: str, index: int, depth: int) -> tuple[Node, int]:
        """An inline value: a scalar, or a flow collection that may go on over the next lines."""
        number = self.lines[index].number
        if rest[0] not in "[{":
            return _scalar(rest, number), index + 1
        parts, open_ = [rest], _open_brackets(rest, 0)
        while open_ > 0 and index + 1 < len(self.lines):
            index += 1
            parts.append(self.lines[index].text)
            open_ = _open_brackets(parts[-1], open_)
        if open_ > 0:
            raise YamlError(number, "has a bracket that is never closed")
        text = "\n".join(parts)
        node, end = _Flow(text, number).value(0, depth)
        if text[end:].strip():
            raise YamlError(number, f"has text after a closing bracket: '{text[end:].strip()}'")
        return node, index + 1


def _is_item(text: str) -> bool:
    return text == "-" or text.startswith("- ")


def _key_of(text: str, number: int) -> tuple[str, str] | None:
    """(key, value text) of a `key: value` line, or None for a line that is no mapping entry."""
    if text[0] in "[{":
        return None
    if text[0] in "'\"":
        end = _closing_quote(text, 0)
        if end < 0 or not text[end + 1 :].startswith(":"):
            return None
        key, after = _scalar(text[: end + 1], number).text, text[end + 2 :]
    else:
        at = _colon(text)
        if at < 0:
            return None
        key, after = text[:at].rstrip(" "), text[at + 1 :]
    if after and not after.startswith(" "):
        return None
    return key, after.strip(" ")


def _colon(text: str) -> int:
    """The `:` that ends a plain key: followed by a space or the end of the line."""
    at = text.find(":")
    while at >= 0 and at + 1 < len(text) and text[at + 1] != " ":
        at = text.find(":", at + 1)
    return at


def _closing_quote(text: str, start: int) -> int:
    quote, index = text[start], start + 1
    while index < len(text):
        if quote == '"' and text[index] == "\\":
            index += 2
            continue
        if text[index] == quote:
            if quote == "'" and text[index + 1 : index + 2] == "'":
                index += 2
                continue
            return index
        index += 1
    return -1


def _open_brackets(text: str, depth: int) -> int:
    """How many brackets are open after one line of a flow collection (quotes never span lines)."""
    index = 0
    while (match := _BRACKET_OR_QUOTE.search(text, index)) is not None:
        char, index = match[0], match.start()
        if char in "'\"":
            index = max(_closing_quote(text, index), index)
        else:
            depth += 1 if char in "[{" else -1
        index += 1
    return depth


def _scalar(text: str, number: int) -> Scalar:
    text = text.strip()
    if text[:1] in _UNSUPPORTED:
        raise YamlError(number, f"uses {_UNSUPPORTED[text[0]]} ('{text[:40]}'), which tagguard's reader "
                                "does not follow")
    if text[:1] == "'" and text.endswith("'") and len(text) > 1:
        return Scalar(text[1:-1].replace("''", "'"), number)
    if text[:1] == '"' and text.endswith('"') and len(text) > 1:
        inner = text[1:-1]
        if "\\" in inner.replace('\\"', "").replace("\\\\", ""):
            raise YamlError(number, f"has an escape in quoted text ('{text[:40]}') that tagguard's reader "
                                    "does not follow")
        return Scalar(inner.replace('\\"', '"').replace("\\\\", "\\"), number)
    if text[:1] in "'\"":
        raise YamlError(number, f"has text after a closing quote: '{text[:40]}'")
    return Scalar(text, number)


class _Flow:
    """`[a, b, {pip: [c]}]`, read from a text that may span lines (line numbers kept)."""

    def __init__(self, text: str, first_line: int) -> None:
        self.text = text
        self.first_line = first_line
        self.breaks = [i for i, char in enumerate(text) if char == "\n"]

    def line(self, index: int) -> int:
        return self.first_line + bisect.bisect_left(self.breaks, index)

    def value(self, index: int, depth: int) -> tuple[Node, int]:
        if depth > MAX_DEPTH:
            raise YamlError(self.line(index), f"nests deeper than {MAX_DEPTH} levels")
        index = self._skip(index)
        char = self.text[index : index + 1]
        if char in ("[", "{"):
            return self._collection(index, depth)
        end = index
        while (stop := _FLOW_STOP.search(self.text, end)) is not None and stop[0] in "'\"":
            end = max(_closing_quote(self.text, stop.start()), stop.start()) + 1
        end = len(self.text) if stop is None else stop.start()
        return _scalar(self.text[index:end], self.line(index)), end

    def _collection(self, index: int, depth: int) -> tuple[Node, int]:
        closing = "]" if self.text[index] == "[" else "}"
        items: list[Node] = []
        mapping: dict[str, Node] = {}
        index += 1
        while True:
            index = self._skip(index)
            if self.text[index : index + 1] == closing:
                return (items if closing == "]" else mapping), index + 1
            if closing == "}":
                index = self._entry(index, depth, mapping)
            else:
                item, index = self.value(index, depth + 1)
                items.append(item)
            index = self._skip(index)
            if self.text[index : index + 1] == ",":
                index += 1
            elif self.text[index : index + 1] != closing:
                raise YamlError(self.line(index), f"has '{self.text[index:index + 1]}' where a , or {closing} belongs")

    def _entry(self, index: int, depth: int, mapping: dict[str, Node]) -> int:
        """One `key: value` of a flow mapping, into `mapping`."""
        colon = self.text.find(":", index)
        stop = min((p for p in (self.text.find(c, index) for c in ",}") if p >= 0), default=len(self.text))
        if colon < 0 or colon > stop:
            raise YamlError(self.line(index), "has a flow mapping entry without a `key: value`")
        key = _scalar(self.text[index:colon], self.line(index)).text
        if key in mapping:
            raise YamlError(self.line(index), f"has the key '{key}' twice")
        mapping[key], index = self.value(colon + 1, depth + 1)
        return index

    def _skip(self, index: int) -> int:
        while index < len(self.text) and self.text[index] in " \n\t":
            index += 1
        return index
