"""Text edits on the original file: applying them, and building the ones that insert or change
JSON members while keeping the file's newline style, indentation and comments byte for byte."""
from __future__ import annotations

import json
import re
from functools import lru_cache
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..findings import Edit, Fix
from ..source import Document, SourceError, parse_document

# Strings (kept) and comments (blanked): the JSON text as a parser sees it, same length.
_STRING_OR_COMMENT = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|//[^\r\n]*|/\*.*?\*/', re.DOTALL)
_NOT_NEWLINE = re.compile(r"[^\r\n]")
_INDENT = re.compile(r"^([ \t]+)\S", re.MULTILINE)


class EditConflict(ValueError):
    """Edits of one fix that overlap each other: the fix is malformed."""


@lru_cache(maxsize=8)  # the fixes of one file's findings each ask for it
def code_only(text: str) -> str:
    """`text` with comments blanked to spaces (newlines kept), so offsets stay valid."""

    def blank(match: re.Match[str]) -> str:
        token = match.group()
        return token if token.startswith('"') else _NOT_NEWLINE.sub(" ", token)

    return _STRING_OR_COMMENT.sub(blank, text)


def _line_end(text: str, offset: int) -> int:
    """Where the line holding `offset` ends, before its line break (`\n` or `\r\n`)."""
    end = text.find("\n", offset)
    end = len(text) if end < 0 else end
    return end - 1 if end > 0 and text[end - 1] == "\r" else end


def _code(document: Document) -> str:
    """The document's text with comments blanked: the text itself when it has none."""
    return code_only(document.text) if document.had_comments else document.text


def newline_of(text: str) -> str:
    """The document's line break: the first one found ("\\n" for a one-line file)."""
    at = text.find("\n")
    return "\r\n" if at > 0 and text[at - 1] == "\r" else "\n"


def indent_unit(text: str) -> str:
    """One level of indentation in this file: a tab, or the smallest step of spaces (2 by default)."""
    widths = sorted({len(m.group(1)) for m in _INDENT.finditer(text) if "\t" not in m.group(1)})
    if any("\t" in m.group(1) for m in _INDENT.finditer(text[:4000])) and not widths:
        return "\t"
    steps = [b - a for a, b in zip([0, *widths], widths) if b > a]
    return " " * (min(steps) if steps else 2)


def line_indent(text: str, offset: int) -> str:
    """The whitespace that starts the line holding `offset`."""
    start = text.rfind("\n", 0, offset) + 1
    end = start
    while end < len(text) and text[end] in " \t":
        end += 1
    return text[start:end]


def starts_line(text: str, offset: int) -> bool:
    """Only whitespace between the line's start and `offset`."""
    start = text.rfind("\n", 0, offset) + 1
    return not text[start:offset].strip()


@dataclass(frozen=True)
class Verbatim:
    """JSON text as the file writes it (comments and layout kept), for `render` to place as it is.
    `indent` is the indentation of the line it starts on: its other lines keep their depth relative
    to it wherever it is placed."""

    text: str
    indent: str = ""

    @classmethod
    def at(cls, document: Document, json_path: Sequence[Any]) -> Verbatim:
        """The value at `json_path`, as written."""
        location = document.location(json_path)
        return cls(document.text[location.offset:location.end_offset], line_indent(document.text, location.offset))


_HELD = "\ue000{}\ue000"  # a private-use marker for a Verbatim piece while the rest is laid out


def render(value: Any, indent: str, unit: str | None, newline: str) -> str:
    """`value` as JSON laid out like the file: one member per line, continuation lines at `indent`
    (all on one line with `unit` None). `Verbatim` pieces inside it are placed as written, their
    lines moved to their new depth."""
    pieces: list[Verbatim] = []

    def hold(node: Any) -> Any:
        if isinstance(node, Verbatim):
            pieces.append(node)
            return _HELD.format(len(pieces) - 1)
        if isinstance(node, dict):
            return {k: hold(v) for k, v in node.items()}
        if isinstance(node, list):
            return [hold(v) for v in node]
        return node

    text = json.dumps(hold(value), indent=(unit if unit != "\t" else "\t") if unit is not None else None, ensure_ascii=False)
    text = text.replace("\n", newline + indent)
    for number, piece in enumerate(pieces):
        marker = json.dumps(_HELD.format(number), ensure_ascii=False)
        at = text.index(marker)
        line_start = text.rfind("\n", 0, at) + 1
        depth = indent if line_start == 0 else re.match(r"[ \t]*", text[line_start:]).group()  # type: ignore[union-attr]
        lines = piece.text.split("\n")
        moved = [lines[0]] + [depth + line[len(piece.indent):] if line.startswith(piece.indent) else line for line in lines[1:]]
        text = text[:at] + "\n".join(moved) + text[at + len(marker):]
    return text


def _next_code(code: str, offset: int) -> int:
    while offset < len(code) and code[offset] in " \t\r\n":
        offset += 1
    return offset


def insert_members(
    document: Document,
    object_path: tuple[Any, ...],
    members: Sequence[tuple[str, Any]],
    before: str | None = None,
    first: bool = False,
) -> tuple[Edit, ...]:
    """Edits that add `"key": value` members to the object at `object_path`: last, or before the
    member `before` (or the first member with `first`).

    The members get the indentation of their siblings (one level deeper than the object's line
    when it is empty), the file's newline, and commas where JSON needs them; a comment that ends
    the previous member's line stays on that line.
    """
    text = document.text
    location = document.location(object_path)
    if tuple(location.json_path) != tuple(object_path) or text[location.offset] != "{":
        raise ValueError(f"no object at {list(object_path)}")
    nl, unit = newline_of(text), indent_unit(text)
    obj = _value_at(document.value, object_path)
    keys = list(obj) if isinstance(obj, dict) else []

    def laid_out(indent: str) -> str:
        return f",{nl}{indent}".join(f"{json.dumps(k)}: {render(v, indent, unit, nl)}" for k, v in members)

    def inline() -> str:
        return ", ".join(f"{json.dumps(k)}: {render(v, '', None, nl)}" for k, v in members)

    if not keys:
        indent = line_indent(text, location.offset)
        member_indent = indent + unit
        close = location.end_offset - 1
        if starts_line(text, close) and "\n" in text[location.offset:close]:
            # Keep what is between the braces (comments, blank lines): add the members before the `}`.
            line_start = text.rfind("\n", 0, close) + 1
            return (Edit(line_start, line_start, f"{member_indent}{laid_out(member_indent)}{nl}"),)
        return (Edit(location.offset + 1, close, f"{nl}{member_indent}{laid_out(member_indent)}{nl}{indent}"),)
    anchor = keys[0] if first else next((k for k in keys if before is not None and k.lower() == before.lower()), None)
    if anchor is not None:
        key_at = document.key_location(object_path + (anchor,)).offset
        if starts_line(text, key_at):
            indent = line_indent(text, key_at)
            return (Edit(key_at, key_at, f"{laid_out(indent)},{nl}{indent}"),)
        return (Edit(key_at, key_at, f"{inline()}, "),)
    last = document.location(object_path + (keys[-1],))
    last_key = document.key_location(object_path + (keys[-1],))
    code = _code(document)
    after = _next_code(code, last.end_offset)
    comma_end = after + 1 if after < len(code) and code[after] == "," else last.end_offset
    if starts_line(text, last_key.offset):
        indent = line_indent(text, last_key.offset)
        line_end = _line_end(text, comma_end)
        if not code[comma_end:line_end].strip():
            # After the last member's line, comments on it included.
            comma = () if comma_end > last.end_offset else (Edit(last.end_offset, last.end_offset, ","),)
            return (*comma, Edit(line_end, line_end, f"{nl}{indent}{laid_out(indent)}"))
    return (Edit(last.end_offset, last.end_offset, f", {inline()}"),)


def insert_elements(document: Document, array_path: tuple[Any, ...], values: Sequence[Any], after: int | None = None) -> tuple[Edit, ...]:
    """Edits that add `values` to the array at `array_path`: last, or right after the element at
    index `after`.

    Laid out like `insert_members`: the elements get their siblings' indentation (one level deeper
    than the array's line when it is empty), the file's newline, and commas where JSON needs them;
    a comment that ends the anchor element's line stays on that line. `Verbatim` values are placed
    as written.
    """
    text = document.text
    location = document.location(array_path)
    if tuple(location.json_path) != tuple(array_path) or text[location.offset] != "[":
        raise ValueError(f"no array at {list(array_path)}")
    nl, unit = newline_of(text), indent_unit(text)
    items = _value_at(document.value, array_path)

    def laid_out(indent: str) -> str:
        return f",{nl}{indent}".join(render(v, indent, unit, nl) for v in values)

    def inline() -> str:
        return ", ".join(render(v, "", None, nl) for v in values)

    if not items:
        indent = line_indent(text, location.offset)
        close = location.end_offset - 1
        if starts_line(text, close) and "\n" in text[location.offset:close]:
            line_start = text.rfind("\n", 0, close) + 1
            return (Edit(line_start, line_start, f"{indent + unit}{laid_out(indent + unit)}{nl}"),)
        return (Edit(location.offset + 1, close, f"{nl}{indent + unit}{laid_out(indent + unit)}{nl}{indent}"),)
    index = len(items) - 1 if after is None else after
    if not 0 <= index < len(items):
        raise ValueError(f"no element {index} in the array at {list(array_path)}")
    anchor = document.location(array_path + (index,))
    code = _code(document)
    following = _next_code(code, anchor.end_offset)
    has_comma = following < len(code) and code[following] == ","
    comma_end = following + 1 if has_comma else anchor.end_offset
    if starts_line(text, anchor.offset):
        indent = line_indent(text, anchor.offset)
        line_end = _line_end(text, comma_end)
        if not code[comma_end:line_end].strip():
            # After the anchor's line, comments on it included.
            if has_comma:
                return (Edit(line_end, line_end, f"{nl}{indent}{laid_out(indent)},"),)
            return (Edit(anchor.end_offset, anchor.end_offset, ","), Edit(line_end, line_end, f"{nl}{indent}{laid_out(indent)}"))
    if has_comma:
        return (Edit(comma_end, comma_end, f" {inline()},"),)
    return (Edit(anchor.end_offset, anchor.end_offset, f", {inline()}"),)


def _value_at(value: Any, path: Sequence[Any]) -> Any:
    for element in path:
        value = value[element]
    return value


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """Splice `edits` (which must not overlap) into `text`."""
    ordered = sorted(edits, key=lambda e: (e.start, e.end))
    pieces: list[str] = []
    last = 0
    for edit in ordered:
        if edit.start < last or edit.end < edit.start or edit.end > len(text):
            raise EditConflict(f"overlapping or out-of-range edit at offset {edit.start}")
        pieces.append(text[last:edit.start])
        pieces.append(edit.content)
        last = edit.end
    pieces.append(text[last:])
    return "".join(pieces)


def _overlaps(a: Edit, b: Edit) -> bool:
    """Ranges that share a character, or two insertions at one point (their order would be a guess)."""
    if a.start == a.end and b.start == b.end:
        return a.start == b.start
    return a.start < b.end and b.start < a.end


@dataclass
class Applied:
    """The outcome of applying a batch of fixes to one text."""

    text: str
    applied: list[Fix] = field(default_factory=list)
    skipped: list[tuple[Fix, str]] = field(default_factory=list)  # (fix, why)


def apply_fixes(text: str, fixes: Sequence[Fix], path: str = "<fixed>") -> Applied:
    """Apply the fixes that do not overlap one already accepted (in order of their first edit),
    refusing any whose result would not parse. Skipped fixes say why; a later pass may apply them."""
    accepted: list[Edit] = []
    outcome = Applied(text)
    for fix in sorted(fixes, key=lambda f: min((e.start for e in f.edits), default=0)):
        if not fix.edits:
            continue
        if any(_overlaps(mine, other) for mine in fix.edits for other in accepted):
            outcome.skipped.append((fix, "overlaps another fix; tried again on the next pass"))
            continue
        try:
            candidate = apply_edits(text, [*accepted, *fix.edits])
            parse_document(candidate, path)
        except EditConflict as err:
            outcome.skipped.append((fix, f"its edits are malformed: {err}"))
            continue
        except SourceError as err:
            outcome.skipped.append((fix, f"refused: the result would not parse ({err.line}:{err.column}: {err.message})"))
            continue
        accepted.extend(fix.edits)
        outcome.applied.append(fix)
        outcome.text = candidate
    return outcome


# --- the rules' own fixes: removing a member, replacing a value or part of an expression ----------


def _previous_code(code: str, offset: int) -> int:
    offset -= 1
    while offset >= 0 and code[offset] in " \t\r\n":
        offset -= 1
    return offset


def _whole_lines(text: str, code: str, start: int, end: int) -> tuple[int, int]:
    """`start, end` grown to whole lines when nothing else is on them (comments aside)."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end + 1
    if not text[line_start:start].strip() and not code[end:line_end].strip():
        return line_start, line_end
    return start, end


def remove_member(document: Document, json_path: Sequence[Any]) -> tuple[Edit, ...]:
    """Edits that delete the object member at `json_path` (name, value and the comma that goes
    with it) and keep the rest byte for byte; the whole line goes when the member is alone on it.
    Empty when the path does not exist."""
    json_path = tuple(json_path)
    if not json_path or not isinstance(json_path[-1], str):
        raise ValueError(f"{list(json_path)} is not an object member")
    if not document.has_path(json_path):
        return ()
    text = document.text
    code = _code(document)
    start = document.key_location(json_path).offset
    end = document.location(json_path).end_offset
    after = _next_code(code, end)
    comma_after = after < len(code) and code[after] == ","
    last = not comma_after or code[_next_code(code, after + 1): _next_code(code, after + 1) + 1] == "}"
    if comma_after:
        end = after + 1
    if last:
        # The last member: its separator is the comma before it, which must go too.
        before = _previous_code(code, start)
        if before >= 0 and code[before] == ",":
            if not text[before + 1:start].strip():
                return (Edit(before, end, ""),)
            return (Edit(before, before + 1, ""), Edit(*_whole_lines(text, code, start, end), ""))
        return (Edit(*_whole_lines(text, code, start, end), ""),)
    while end < len(text) and text[end] in " \t":
        end += 1  # the next member moves to where this one started
    return (Edit(*_whole_lines(text, code, start, end), ""),)


def replace_value(document: Document, json_path: Sequence[Any], value: Any) -> tuple[Edit, ...]:
    """The edit that writes `value` in place of the value at `json_path`: a scalar as JSON, an
    object or array laid out like the file, a `Verbatim` as written. Empty when the path does not
    exist."""
    json_path = tuple(json_path)
    if not document.has_path(json_path):
        return ()
    location = document.location(json_path)
    text = document.text
    if isinstance(value, (dict, list, Verbatim)):
        content = render(value, line_indent(text, location.offset), indent_unit(text), newline_of(text))
    else:
        content = json.dumps(value, ensure_ascii=False)
    return (Edit(location.offset, location.end_offset, content),)


def replace_in_string(document: Document, json_path: Sequence[Any], span: tuple[int, int], content: str) -> tuple[Edit, ...]:
    """The edit that replaces the characters `span` of the string at `json_path` (offsets into the
    decoded string, as expression spans are) with `content`, escaped for JSON. Empty when there is
    no string value at the path."""
    json_path = tuple(json_path)
    if not document.has_path(json_path) or document.text[document.location(json_path).offset] != '"':
        return ()
    start = document.source_offset_in_string(json_path, span[0])
    end = document.source_offset_in_string(json_path, span[1])
    return (Edit(start, end, json.dumps(content, ensure_ascii=False)[1:-1]),)
