"""Template and parameter-file text as Azure reads it, with source positions for any JSON path.

Loading is fast: the standard library's C `json` parser reads the text directly; only text that
it rejects (comments, trailing commas) goes through one regex pass that blanks those out with
spaces, keeping every offset valid. Positions are computed lazily, and only along the JSON path
asked for (`Document.location()`): the values beside the path are skipped by the C scanner.
"""
from __future__ import annotations

import gc
import json
import re
from bisect import bisect_right
from itertools import accumulate
from dataclasses import dataclass
from typing import Any, Iterable

JsonPath = tuple["str | int", ...]

TRAILING_COMMA_MESSAGE = "trailing comma: Azure accepts it, but other JSON tools do not"

# A token of comment-free JSON: string, punctuation, or scalar (number, true, false, null).
# The string pattern is the "unrolled loop" form, much faster than `(?:[^"\\]|\\.)*`.
_STRING = r'"[^"\\]*(?:\\.[^"\\]*)*"'
_TOKEN = re.compile(rf'{_STRING}|[{{}}\[\],:]|[^\s{{}}\[\],:"]+', re.S)
_WS = r"[ \t\r\n]*"
# The cleaning scans skip everything else in C: each match runs to the next comment (or lone
# '/') resp. the next trailing comma, or to the end. The alternatives start with different
# characters and the terminator always matches, so the regex never backtracks.
_ANY_STRING = r'"[^"\\]*(?:\\.[^"\\]*)*"?'  # possibly unterminated: the parser reports it
_COMMENT_SCAN = re.compile(rf'(?:[^"/]+|{_ANY_STRING})*(//[^\r\n]*|/\*.*?\*/|/\*|/|\Z)', re.S)
_COMMA_SCAN = re.compile(rf'(?:[^",]+|{_ANY_STRING}|,(?![ \t\r\n]*[}}\]]))*(,|\Z)', re.S)
_NOT_NEWLINE = re.compile(r"[^\r\n]")
_LINE_BREAK = re.compile(r"\r\n?|\n")
_ESCAPE = re.compile(r"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|\\u[0-9a-fA-F]{4}|\\.", re.S)
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class SourceError(Exception):
    """A file that Azure would refuse to read, located at the offending character."""

    def __init__(self, path: str, line: int, column: int, message: str):
        super().__init__(f"{path}:{line}:{column}: {message}")
        self.path = path
        self.line = line
        self.column = column
        self.message = message

    def __reduce__(self) -> tuple[Any, ...]:
        return (SourceError, (self.path, self.line, self.column, self.message))


@dataclass(frozen=True)
class Location:
    """A span of source text. Lines and columns are 1-based and count characters; the end is exclusive
    (`end_column` is the column just after the last character)."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int
    json_path: JsonPath
    offset: int
    end_offset: int


@dataclass
class SourceWarning:
    """Something Azure accepts but that is worth pointing out (trailing commas, duplicate properties)."""

    message: str
    line: int
    column: int


class _BadConstant(Exception):
    """Raised by the parser hook on NaN / Infinity, which are not JSON."""


def _reject_constant(name: str) -> Any:
    raise _BadConstant(name)


class Document:
    """One parsed JSON file: its text, its value and (lazily) where every value is in the text.

    `value` is what `json.loads` gives (for duplicate property names the last one wins, as in
    Azure). `warnings` holds what was found while loading (trailing commas); duplicate property
    names are only found by the position scan: see `duplicate_warnings()`.
    """

    def __init__(
        self,
        path: str,
        text: str,
        value: Any,
        warnings: list[SourceWarning] | None = None,
        had_comments: bool = False,
        clean_text: str | None = None,
    ):
        self.path = path
        self.text = text
        self.value = value
        self.warnings: list[SourceWarning] = warnings if warnings is not None else []
        self.had_comments = had_comments
        # The text as the JSON parser saw it (comments and trailing commas blanked); same length.
        self._clean = clean_text if clean_text is not None else text
        self._line_starts: list[int] | None = None  # for line_text(): every line, indexed once
        # Positions are found by counting newlines from the nearest offset already placed (in
        # C), so a file is scanned about once however many positions are asked of it, and a file
        # with one finding costs one count rather than an index of all its lines. Kept sorted:
        # offsets, their lines, and the offsets where those lines start.
        self._known = [0]
        self._known_lines = [1]
        self._known_starts = [0]
        self._lone_cr: bool | None = None  # does the text break lines with a bare '\r'?
        # What analyses derive from the document, computed once per document and kept with it
        # (see rules/generic/_scan.per_document), keyed by the function that computes it. The
        # values never refer back to the document: it is freed as soon as it is dropped.
        self.derived: dict[Any, Any] = {}
        self._spans: dict[tuple[Any, ...], tuple[int, int, int, int] | None] = {}
        self._children: dict[tuple[Any, ...], dict[Any, tuple[int, int, int, int]]] = {}
        self._duplicates: list[SourceWarning] | None = None

    def __repr__(self) -> str:
        return f"Document({self.path!r})"

    # --- positions --------------------------------------------------------------------------

    def _starts(self) -> list[int]:
        if self._line_starts is None:
            text = self.text
            if "\r" in text:
                self._line_starts = [0] + [m.end() for m in _LINE_BREAK.finditer(text)]
            else:  # the same, in C: each line's length plus its newline, summed up
                starts = [0]
                starts += accumulate(map((1).__add__, map(len, text.split("\n"))))
                starts.pop()  # one past the end of the text, not a line start
                self._line_starts = starts
        return self._line_starts

    def position(self, offset: int) -> tuple[int, int]:
        """(line, column), both 1-based, of a character offset into `text` (clamped to the text)."""
        text = self.text
        offset = max(0, min(offset, len(text)))
        if self._lone_cr is None:
            self._lone_cr = "\r" in text and text.count("\r") != text.count("\r\n")
        if self._lone_cr:  # '\r' alone breaks a line too: counting '\n' would miss it
            starts = self._starts()
            line = bisect_right(starts, offset)
            return line, offset - starts[line - 1] + 1
        known = self._known
        i = bisect_right(known, offset) - 1
        before = known[i]
        if i + 1 < len(known) and known[i + 1] - offset < offset - before:
            after = known[i + 1]  # nearer: count back from it
            line = self._known_lines[i + 1] - text.count("\n", offset, after)
        else:
            line = self._known_lines[i] + text.count("\n", before, offset)
        if line == self._known_lines[i]:
            line_start = self._known_starts[i]
        else:
            line_start = text.rfind("\n", before, offset) + 1
        if offset != before:
            known.insert(i + 1, offset)
            self._known_lines.insert(i + 1, line)
            self._known_starts.insert(i + 1, line_start)
        return line, offset - line_start + 1

    def line_text(self, line: int) -> str:
        """Source line `line` (1-based) without its line break; '' outside the file."""
        starts = self._starts()
        if line < 1 or line > len(starts):
            return ""
        end = starts[line] if line < len(starts) else len(self.text)
        return self.text[starts[line - 1]:end].rstrip("\r\n")

    def _span_location(self, start: int, end: int, path: JsonPath) -> Location:
        line, column = self.position(start)
        end_line, end_column = self.position(end)
        return Location(self.path, line, column, end_line, end_column, path, start, end)

    # --- spans, found on demand ---------------------------------------------------------------
    #
    # A span is (value start, value end, name start, name end); name offsets are -1 for array
    # elements and the root. Finding one lists the members of each container on its path (once:
    # memoized); values beside the path are skipped by the C JSON scanner, and a container on the
    # path is listed rather than skipped, its end found by the listing. So every character is
    # scanned once in C or once in Python, never again at each level of a deep path.

    def _span(self, path: tuple[Any, ...]) -> tuple[int, int, int, int] | None:
        if path in self._spans:
            return self._spans[path]
        if () not in self._spans:
            start = _skip_space(self._clean, 0)
            self._spans[()] = (start, self._list((), start, path), -1, -1)
        for n in range(len(path)):
            prefix = path[:n]
            if prefix not in self._children:
                span = self._spans.get(prefix)
                if span is None or self._clean[span[0]] not in "{[":
                    break  # the path goes through a value that is not there, or not a container
                self._list(prefix, span[0], path[n:])
            if path[: n + 1] not in self._spans:
                break
        return self._spans.setdefault(path, None)

    def _list(self, path: tuple[Any, ...], start: int, follow: tuple[Any, ...]) -> int:
        """List the members of the value at `start` (an object or array at `path`), recording
        their spans; the member named `follow[0]` is listed in turn (following `follow[1:]`).
        Returns where the value ends."""
        text = self._clean
        opening = text[start]
        if opening not in "{[":
            return _value_end(text, start)
        members: dict[Any, tuple[int, int, int, int]] = {}
        pos = _skip_space(text, start + 1)
        index = 0
        while text[pos] not in "}]":
            if opening == "{":
                key_match = _KEY.match(text, pos)
                assert key_match is not None, "valid JSON: a property name comes first"
                key_start, key_end = key_match.span(1)
                key: Any = _decode_key(text, key_start, key_end)
                pos = key_match.end()
            else:
                key, key_start, key_end = index, -1, -1
                index += 1
            if key in members:  # a repeated name: the last one wins, forget what the first held
                self._forget(path + (key,))
            if follow and key == follow[0] and text[pos] in "{[":
                end = self._list(path + (key,), pos, follow[1:])
            else:
                end = _value_end(text, pos)
            members[key] = (pos, end, key_start, key_end)
            pos = _skip_space(text, end)
            if text[pos] == ",":
                pos = _skip_space(text, pos + 1)
        self._children[path] = members
        for key, span in members.items():
            self._spans[path + (key,)] = span
        return pos + 1

    def _forget(self, path: tuple[Any, ...]) -> None:
        depth = len(path)
        for table in (self._spans, self._children):
            for stale in [p for p in table if p[:depth] == path and len(p) > depth]:
                del table[stale]
        self._children.pop(path, None)

    def duplicate_warnings(self) -> list[SourceWarning]:
        """Warnings for repeated property names in an object (Azure uses the last one)."""
        if self._duplicates is None:
            self._duplicates = [
                SourceWarning(f"duplicate property '{name}': Azure uses the last one", *self.position(offset))
                for name, offset in _duplicate_names(self._clean)
            ]
        return list(self._duplicates)

    def _deepest(self, json_path: Iterable[Any]) -> tuple[JsonPath, tuple[int, int, int, int]]:
        path = tuple(json_path)
        for n in range(len(path), -1, -1):
            found = self._span(path[:n])
            if found is not None:
                return path[:n], found
        raise AssertionError("the root value always has a span")  # pragma: no cover

    def has_path(self, json_path: Iterable[Any]) -> bool:
        """Does the value at `json_path` exist (exact keys and indexes)?"""
        return _exists(self.value, tuple(json_path))

    def location(self, json_path: Iterable[Any] = ()) -> Location:
        """The span of the value at `json_path` (keys are str, array indexes int).

        When the path does not exist fully, this is the span of the deepest ancestor that does:
        `Location.json_path` then says which node it is (a prefix of `json_path`).
        """
        path, (start, end, _, _) = self._deepest(json_path)
        return self._span_location(start, end, path)

    def key_location(self, json_path: Iterable[Any]) -> Location:
        """The span (with quotes) of the property name of the last element of `json_path`.

        For an array element or the root (no name), or a path that does not exist fully, this is
        the same as `location()`: the value itself or the deepest existing ancestor.
        """
        path, (start, end, key_start, key_end) = self._deepest(json_path)
        if key_start < 0:
            return self._span_location(start, end, path)
        return self._span_location(key_start, key_end, path)

    def source_offset_in_string(self, json_path: Iterable[Any], index: int) -> int:
        """The offset in `text` of character `index` of the decoded string at `json_path`.

        Escapes (`\\"`, `\\n`, `\\u00e9`, surrogate pairs) are accounted for. An index past the
        end gives the closing quote. When the value at `json_path` is not a string (or does not
        exist), this is the start of `location(json_path)`.
        """
        path, (start, end, _, _) = self._deepest(json_path)
        text = self.text
        if path != tuple(json_path) or text[start] != '"':
            return start
        index = max(0, index)
        body_start, body_end = start + 1, end - 1
        if "\\" not in text[body_start:body_end]:
            return min(body_start + index, body_end)
        decoded = 0
        raw = body_start
        for m in _ESCAPE.finditer(text, body_start, body_end):
            literal = m.start() - raw
            if index < decoded + literal:
                return raw + (index - decoded)
            decoded += literal
            if index == decoded:
                return m.start()
            decoded += 1  # every escape (a surrogate pair too) decodes to one character
            raw = m.end()
        return min(raw + (index - decoded), body_end)


def _exists(value: Any, path: tuple[Any, ...]) -> bool:
    for element in path:
        if isinstance(value, dict) and isinstance(element, str) and element in value:
            value = value[element]
        elif isinstance(value, list) and isinstance(element, int) and 0 <= element < len(value):
            value = value[element]
        else:
            return False
    return True


def _decode_key(text: str, start: int, end: int) -> str:
    if "\\" in text[start:end]:
        return json.loads(text[start:end], strict=False)
    return text[start + 1:end - 1]


_SPACE = re.compile(_WS)
_KEY = re.compile(rf"({_STRING}){_WS}:{_WS}")
_SCAN_ONCE = json.JSONDecoder(strict=False).scan_once


def _skip_space(text: str, offset: int) -> int:
    return _SPACE.match(text, offset).end()  # type: ignore[union-attr]  # `[ ...]*` always matches


def _value_end(text: str, start: int) -> int:
    """Where the JSON value that starts at `start` ends: skipped by the C scanner, or token by
    token when it is nested deeper than the C scanner's recursion limit."""
    collecting = gc.isenabled()
    if collecting:  # the decoded value is dropped at once, freed by reference counting: the cyclic
        gc.disable()  # collector would only re-scan its many new objects (10% of the decoding)
    try:
        return _SCAN_ONCE(text, start)[1]
    except RecursionError:
        depth = 0
        for m in _TOKEN.finditer(text, start):
            c = text[m.start()]
            depth += 1 if c in "{[" else -1 if c in "}]" else 0
            if depth == 0 and c not in ",:":
                return m.end()
        raise AssertionError("valid JSON: every value ends") from None  # pragma: no cover
    finally:
        if collecting:
            gc.enable()


def _duplicate_names(text: str) -> list[tuple[str, int]]:
    """(name, offset) of every property name repeated within its object."""
    duplicates: list[tuple[str, int]] = []
    seen: list[set[str]] = []
    depth_kinds: list[bool] = []
    expect_key = False
    for m in _TOKEN.finditer(text):
        start, end = m.span()
        c = text[start]
        if c == "{" or c == "[":
            depth_kinds.append(c == "{")
            seen.append(set())
            expect_key = c == "{"
        elif c == "}" or c == "]":
            depth_kinds.pop()
            seen.pop()
            expect_key = False
        elif c == ",":
            expect_key = bool(depth_kinds) and depth_kinds[-1]
        elif c == '"' and depth_kinds and depth_kinds[-1] and expect_key:
            name = _decode_key(text, start, end)
            if name in seen[-1]:
                duplicates.append((name, start))
            seen[-1].add(name)
            expect_key = False
    return duplicates


# --- loading ---------------------------------------------------------------------------------


def _error_at(path: str, text: str, offset: int, message: str) -> SourceError:
    line, column = Document(path, text, None).position(offset)
    return SourceError(path, line, column, message)


def _decode(data: bytes, path: str) -> str:
    if data.startswith(_UTF16_BOMS):
        raise SourceError(path, 1, 1, "the file is UTF-16 encoded: save it as UTF-8")
    start = 3 if data.startswith(_UTF8_BOM) else 0
    try:
        return data[start:].decode("utf-8")
    except UnicodeDecodeError as err:
        bad = start + err.start
        before = data[start:bad].decode("utf-8")  # valid up to the bad byte
        line, column = Document(path, before, None).position(len(before))
        raise SourceError(path, line, column, f"invalid UTF-8 byte 0x{data[bad]:02x}: save the file as UTF-8") from None


def _clean(text: str, path: str) -> tuple[str, bool, list[int]]:
    """Blank out comments and trailing commas with spaces (newlines kept, length unchanged).

    Returns the cleaned text, whether it had comments, and the offsets of the trailing commas.
    """
    pieces: list[str] = []
    last = 0
    had_comments = False
    for m in _COMMENT_SCAN.finditer(text):
        token = m.group(1)
        if len(token) < 2:
            continue  # the end of the text, or a lone '/' that the parser will reject
        if token == "/*":
            raise _error_at(path, text, m.start(1), "unterminated comment: '/*' without '*/'")
        had_comments = True
        pieces.append(text[last:m.start(1)])
        pieces.append(_NOT_NEWLINE.sub(" ", token))
        last = m.end(1)
    if had_comments:
        pieces.append(text[last:])
        text = "".join(pieces)
    commas: list[int] = []
    for m in _COMMA_SCAN.finditer(text):
        if not m.group(1):
            continue
        comma = m.start(1)
        before = comma - 1
        while before >= 0 and text[before] in " \t\r\n":
            before -= 1
        # `[,]`, `{,}` or `[1,,]` is not a trailing comma: leave it for the parser to reject.
        if before >= 0 and text[before] not in ",[{:":
            commas.append(comma)
    if commas:
        chars = list(text)
        for offset in commas:
            chars[offset] = " "
        text = "".join(chars)
    return text, had_comments, commas


def _decode_error_message(err: json.JSONDecodeError, text: str) -> str:
    msg = err.msg
    if not text.strip(" \t\r\n"):
        return "the file is empty"
    if msg == "Expecting value":
        if not text[err.pos:].strip(" \t\r\n"):
            return "unexpected end of file: expected a JSON value"
        return "expected a JSON value"
    if msg == "Extra data":
        return "unexpected text after the end of the JSON value"
    if msg.startswith("Unterminated string"):
        return "unterminated string"
    if msg == "Invalid \\escape":
        return f"invalid escape sequence '{text[err.pos:err.pos + 2]}'"
    if msg == "Invalid \\uXXXX escape":
        return "invalid \\u escape: expected 4 hexadecimal digits"
    if msg.startswith("Expecting"):
        msg = "expected" + msg[len("Expecting"):]
        if not text[err.pos:].strip(" \t\r\n"):
            msg = "unexpected end of file: " + msg
        return msg
    return msg[:1].lower() + msg[1:]


def _decode_error_offset(err: json.JSONDecodeError, text: str) -> int:
    if not text.strip(" \t\r\n"):
        return 0  # an empty file: point at its start, not past its comments
    if err.msg == "Invalid \\uXXXX escape" and err.pos > 0 and text[err.pos - 1] == "\\":
        return err.pos - 1  # the parser points at the 'u': show the whole escape
    return err.pos


def _bad_constant_offset(text: str, name: str) -> int:
    for m in _TOKEN.finditer(text):
        if m.group() == name:
            return m.start()
    return 0  # pragma: no cover - the parser only calls the hook for a token that is there


def parse_document(data: str | bytes, path: str = "<string>", *, require_object: bool = True) -> Document:
    """Parse template or parameter-file text as Azure does.

    Accepts UTF-8 with or without BOM, `//` and `/* */` comments, literal newlines inside strings,
    and trailing commas (with a warning). With `require_object` (the default: templates and
    parameter files), a top-level value that is not a JSON object is a `SourceError`; pass False
    to read any JSON value. An empty file is always a `SourceError`.
    """
    text = _decode(data, path) if isinstance(data, (bytes, bytearray)) else data
    if text.startswith("\ufeff"):
        text = text[1:]
    warnings: list[SourceWarning] = []
    had_comments = False
    clean_text: str | None = None
    try:
        # Fast path: the C parser. strict=False accepts control characters (multi-line strings).
        value = json.loads(text, strict=False, parse_constant=_reject_constant)
    except _BadConstant as bad:
        raise _error_at(path, text, _bad_constant_offset(text, str(bad)), f"{bad} is not valid JSON") from None
    except json.JSONDecodeError:
        clean_text, had_comments, commas = _clean(text, path)
        try:
            value = json.loads(clean_text, strict=False, parse_constant=_reject_constant)
        except _BadConstant as bad:
            raise _error_at(path, text, _bad_constant_offset(clean_text, str(bad)), f"{bad} is not valid JSON") from None
        except json.JSONDecodeError as err:
            raise _error_at(path, text, _decode_error_offset(err, clean_text), _decode_error_message(err, clean_text)) from None
        except RecursionError:
            raise SourceError(path, 1, 1, "the JSON is nested too deeply") from None
        doc = Document(path, text, value, warnings, had_comments, clean_text)
        for offset in commas:
            warnings.append(SourceWarning(TRAILING_COMMA_MESSAGE, *doc.position(offset)))
        _check_object(doc, require_object)
        return doc
    except RecursionError:
        raise SourceError(path, 1, 1, "the JSON is nested too deeply") from None
    doc = Document(path, text, value, warnings, had_comments, clean_text)
    _check_object(doc, require_object)
    return doc


def _check_object(doc: Document, require_object: bool) -> None:
    if require_object and not isinstance(doc.value, dict):
        start = len(doc._clean) - len(doc._clean.lstrip(" \t\r\n"))
        line, column = doc.position(start)
        raise SourceError(doc.path, line, column, "expected a JSON object ('{ ... }') at the top level")


def load_document(path: str, *, require_object: bool = True) -> Document:
    """Read and parse a template or parameter file (see `parse_document`). Raises `OSError` if unreadable."""
    with open(path, "rb") as f:
        data = f.read()
    return parse_document(data, path, require_object=require_object)
