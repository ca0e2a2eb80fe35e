"""Property-based tests: any JSON value, written any way Azure accepts, reads back with exact positions."""
from __future__ import annotations

import bisect
import json
import re
from typing import Any, Iterator

from hypothesis import given, settings
from hypothesis import strategies as st

from validator.source import Document, SourceError, parse_document

# Azure accepts these between tokens; each keeps the text valid wherever it is put.
GAP_PARTS = st.sampled_from([" ", "  ", "\t", "\n", "\r\n", "\n    "]) | st.builds(
    lambda body, crlf: "//" + body + ("\r\n" if crlf else "\n"),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=8),
    st.booleans(),
) | st.builds(
    lambda body: "/*" + body + "*/",
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=8).filter(lambda s: "*/" not in s and not s.endswith("*")),
)
GAPS = st.lists(GAP_PARTS, max_size=3).map("".join)

KEYS = st.text(max_size=6)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=15,
)


def write_string(draw: st.DrawFn, value: str) -> str:
    """A JSON string token: escaped or not at random, newlines sometimes written literally."""
    ascii_only = draw(st.booleans())
    literal_newlines = draw(st.booleans())
    out = []
    for char in value:
        if char == "\n" and literal_newlines:
            out.append("\n")
        else:
            out.append(json.dumps(char, ensure_ascii=ascii_only)[1:-1])
    return '"' + "".join(out) + '"'


def write(draw: st.DrawFn, value: Any) -> str:
    """Serialise `value` with random gaps (whitespace and comments) and optional trailing commas."""
    if isinstance(value, dict) or isinstance(value, list):
        items = list(value.items()) if isinstance(value, dict) else list(value)
        parts = ["{" if isinstance(value, dict) else "["]
        for i, item in enumerate(items):
            parts.append(draw(GAPS))
            if isinstance(value, dict):
                key, member = item
                parts += [write_string(draw, key), draw(GAPS), ":", draw(GAPS), write(draw, member)]
            else:
                parts.append(write(draw, item))
            parts.append(draw(GAPS))
            if i < len(items) - 1 or draw(st.booleans()):
                parts.append(",")
        parts += [draw(GAPS), "}" if isinstance(value, dict) else "]"]
        return "".join(parts)
    if isinstance(value, str):
        return write_string(draw, value)
    return json.dumps(value)


@st.composite
def documents(draw: st.DrawFn) -> tuple[Any, str]:
    value = draw(VALUES)
    return value, draw(GAPS) + write(draw, value) + draw(GAPS)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    yield prefix, value
    if isinstance(value, dict):
        for key, member in value.items():
            yield from paths(member, prefix + (key,))
    elif isinstance(value, list):
        for i, member in enumerate(value):
            yield from paths(member, prefix + (i,))


@settings(max_examples=100, deadline=None)
@given(documents())
def test_any_accepted_writing_reads_back_the_value_with_exact_spans(case: tuple[Any, str]) -> None:
    value, text = case
    doc = parse_document(text, "t.json", require_object=False)
    assert doc.value == json.loads(json.dumps(value))
    for path, expected in paths(value):
        loc = doc.location(path)
        assert loc.json_path == path
        # The span is the value: it re-parses (after the same cleaning) to the value at that path.
        assert parse_document(text[loc.offset:loc.end_offset], require_object=False).value == expected
        assert (loc.line, loc.column) == doc.position(loc.offset)
        if path and isinstance(path[-1], str):
            key = doc.key_location(path)
            assert json.loads(text[key.offset:key.end_offset], strict=False) == path[-1]
        if isinstance(expected, str):
            offsets = [doc.source_offset_in_string(path, i) for i in range(len(expected))] + [loc.end_offset - 1]
            for i, char in enumerate(expected):
                raw = text[offsets[i]:offsets[i + 1]]
                assert json.loads('"' + raw + '"', strict=False) == char


@settings(max_examples=50, deadline=None)
@given(documents())
def test_trailing_commas_are_exactly_the_warnings(case: tuple[Any, str]) -> None:
    _, text = case
    doc = parse_document(text, require_object=False)
    # Every warning points at a comma that the cleaning blanked out (a trailing comma).
    commas = {doc.position(i): i for i, c in enumerate(text) if c == ","}
    for warning in doc.warnings:
        offset = commas[(warning.line, warning.column)]
        assert doc._clean[offset] == " "
    clean_commas = parse_document(doc._clean, require_object=False).warnings
    assert clean_commas == []


@settings(max_examples=50, deadline=None)
@given(st.dictionaries(KEYS, VALUES, max_size=5), st.sampled_from([None, 0, 1, 2, 4, "\t"]), st.booleans())
def test_standard_serialisations_round_trip(value: dict[str, Any], indent: Any, ensure_ascii: bool) -> None:
    text = json.dumps(value, indent=indent, ensure_ascii=ensure_ascii)
    doc = parse_document(text.encode("utf-8"))
    assert doc.value == value and doc.warnings == [] and not doc.had_comments
    for path, expected in paths(value):
        loc = doc.location(path)
        assert json.loads(text[loc.offset:loc.end_offset]) == expected


@st.composite
def objects_with_repeated_names(draw: st.DrawFn) -> tuple[list[tuple[str, Any]], str]:
    pairs = draw(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), VALUES), min_size=1, max_size=5))
    members = [write_string(draw, key) + draw(GAPS) + ":" + write(draw, member) for key, member in pairs]
    return pairs, "{" + ("," + draw(GAPS)).join(members) + "}"


@settings(max_examples=40, deadline=None)
@given(objects_with_repeated_names())
def test_repeated_names_last_wins_with_one_warning_each(case: tuple[list[tuple[str, Any]], str]) -> None:
    pairs, text = case
    doc = parse_document(text)
    expected = dict(pairs)
    assert doc.value == json.loads(json.dumps(expected))
    assert len(doc.duplicate_warnings()) == len(pairs) - len(expected)
    for path, value in paths(expected):
        loc = doc.location(path)
        assert loc.json_path == path
        assert parse_document(text[loc.offset:loc.end_offset], require_object=False).value == value


JSONISH = st.text(alphabet='{}[],:"/*\\ \n\r\tabcu0123456789-.eEtrufnl\u00e9', max_size=40)


def read_or_refuse(data: str | bytes) -> None:
    try:
        doc = parse_document(data, "t.json", require_object=False)
    except SourceError as err:
        assert err.line >= 1 and err.column >= 1 and err.message
        return
    assert isinstance(doc, Document)
    doc.location(())
    doc.duplicate_warnings()


@settings(max_examples=500, deadline=None)
@given(JSONISH | st.text(max_size=40))
def test_arbitrary_text_is_read_or_refused_with_a_source_error(text: str) -> None:
    read_or_refuse(text)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=40))
def test_arbitrary_bytes_are_read_or_refused_with_a_source_error(data: bytes) -> None:
    read_or_refuse(data)


@settings(max_examples=100, deadline=None)
@given(documents(), st.data())
def test_damaged_documents_are_read_or_refused(case: tuple[Any, str], data: st.DataObject) -> None:
    _, text = case
    at = data.draw(st.integers(min_value=0, max_value=len(text)))
    insert = data.draw(st.sampled_from(["", "{", "]", ",", '"', "/*", "//", "\\", ":"]))
    cut = data.draw(st.integers(min_value=0, max_value=3))
    read_or_refuse(text[:at] + insert + text[at + cut:])


@given(
    st.lists(st.sampled_from(["a", "é", " ", "\n", "\r\n", "\r"]), max_size=60).map("".join),
    st.lists(st.integers(min_value=-2, max_value=70), max_size=12),
)
@settings(max_examples=300, deadline=None)
def test_positions_asked_in_any_order_match_a_direct_count(text: str, offsets: list[int]) -> None:
    # Positions are counted from offsets already placed, forwards or backwards: the order in
    # which they are asked must not change them.
    doc = Document("t.json", text, None)
    for offset in offsets:
        clamped = max(0, min(offset, len(text)))
        starts = [0] + [m.end() for m in re.finditer(r"\r\n?|\n", text)]
        line = bisect.bisect_right(starts, clamped)
        expected = (line, clamped - starts[line - 1] + 1)
        assert doc.position(offset) == expected
