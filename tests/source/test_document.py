"""Unit tests of the source layer: loading as Azure does, and positions of JSON paths."""
from __future__ import annotations

import json
import os

import pytest

from validator.source import (
    TRAILING_COMMA_MESSAGE,
    Document,
    Location,
    SourceError,
    SourceWarning,
    load_document,
    parse_document,
)


def error_of(text: str | bytes, **kwargs: bool) -> SourceError:
    with pytest.raises(SourceError) as info:
        parse_document(text, "t.json", **kwargs)
    return info.value


def span_text(doc: Document, loc: Location) -> str:
    return doc.text[loc.offset:loc.end_offset]


# --- loading ---------------------------------------------------------------------------------


def test_plain_json_takes_the_fast_path() -> None:
    doc = parse_document('{"a": [1, 2.5, true, null, "x"]}', "t.json")
    assert doc.value == {"a": [1, 2.5, True, None, "x"]}
    assert doc.warnings == [] and doc.had_comments is False
    assert doc.path == "t.json"


def test_utf8_bom_is_removed() -> None:
    doc = parse_document(b'\xef\xbb\xbf{"a": "\xc3\xa9"}', "t.json")
    assert doc.value == {"a": "é"}
    assert doc.text == '{"a": "é"}'
    assert doc.location(("a",)).column == 7


def test_bom_in_str_input_is_removed() -> None:
    assert parse_document('\ufeff{"a": 1}').text == '{"a": 1}'


def test_invalid_utf8_is_located() -> None:
    err = error_of(b'{\n  "a": "caf\xc3\xa9 \xff"\n}')
    assert (err.line, err.column) == (2, 14)
    assert err.message == "invalid UTF-8 byte 0xff: save the file as UTF-8"
    assert str(err) == "t.json:2:14: invalid UTF-8 byte 0xff: save the file as UTF-8"


def test_invalid_utf8_after_bom_counts_columns_without_the_bom() -> None:
    err = error_of(b'\xef\xbb\xbf{"a": "\xfe"}')
    assert (err.line, err.column) == (1, 8)


def test_utf16_is_refused_clearly() -> None:
    err = error_of('{"a": 1}'.encode("utf-16"))
    assert (err.line, err.column, err.message) == (1, 1, "the file is UTF-16 encoded: save it as UTF-8")


def test_line_and_block_comments_are_ignored() -> None:
    text = '// header\n{\n  /* before */ "a": /* inside */ 1, // after\n  "b": [ /* x */ 2 ]\n}\n/* end */'
    doc = parse_document(text, "t.json")
    assert doc.value == {"a": 1, "b": [2]}
    assert doc.had_comments is True
    assert doc.text == text  # the text is kept as written
    loc = doc.location(("b", 0))
    assert (loc.line, loc.column) == (4, 18)


def test_comment_markers_inside_strings_are_text() -> None:
    text = '{"url": "http://x/*y*/", "c": "a // b", "q": "\\"//"} // real'
    doc = parse_document(text, "t.json")
    assert doc.value == {"url": "http://x/*y*/", "c": "a // b", "q": '"//'}


def test_block_comment_spanning_lines_keeps_line_numbers() -> None:
    doc = parse_document('{\n/* one\ntwo\nthree */ "a": 1}', "t.json")
    loc = doc.location(("a",))
    assert (loc.line, loc.column) == (4, 15)


def test_unterminated_block_comment() -> None:
    err = error_of('{"a": 1 /* oops\n}')
    assert (err.line, err.column, err.message) == (1, 9, "unterminated comment: '/*' without '*/'")


def test_multi_line_strings_are_accepted() -> None:
    doc = parse_document('{"script": "line one\nline two\n\tend"}', "t.json")
    assert doc.value == {"script": "line one\nline two\n\tend"}


def test_multi_line_strings_with_comments_and_crlf() -> None:
    doc = parse_document('{"s": "a\r\nb", // c\r\n "t": 1}', "t.json")
    assert doc.value == {"s": "a\r\nb", "t": 1}
    assert doc.location(("t",)).line == 3


def test_trailing_commas_warn_with_their_position() -> None:
    doc = parse_document('{\n  "a": [1, 2,],\n  "b": {"c": 3, /* x */ },\n}', "t.json")
    assert doc.value == {"a": [1, 2], "b": {"c": 3}}
    assert doc.warnings == [
        SourceWarning(TRAILING_COMMA_MESSAGE, 2, 13),
        SourceWarning(TRAILING_COMMA_MESSAGE, 3, 15),
        SourceWarning(TRAILING_COMMA_MESSAGE, 3, 26),
    ]
    assert TRAILING_COMMA_MESSAGE == "trailing comma: Azure accepts it, but other JSON tools do not"


@pytest.mark.parametrize("text", ["[,]", "{,}", "[1,,]", '{"a": 1,,}'])
def test_a_comma_without_a_value_before_it_is_an_error(text: str) -> None:
    error_of(text, require_object=False)


def test_trailing_comma_inside_string_is_text() -> None:
    assert parse_document('{"a": ",]", "b": 1 // ,}\n}').value == {"a": ",]", "b": 1}


@pytest.mark.parametrize(
    "text, line, column, message",
    [
        ("", 1, 1, "the file is empty"),
        ("  \n // only a comment\n", 1, 1, "the file is empty"),
        ('{"a": 1', 1, 8, "unexpected end of file: expected ',' delimiter"),
        ('{\n  "a": 1\n  "b": 2\n}', 3, 3, "expected ',' delimiter"),
        ('{\n  "a": \n}', 3, 1, "expected a JSON value"),
        ('{"a": tru}', 1, 7, "expected a JSON value"),
        ('{"a": 1}}', 1, 9, "unexpected text after the end of the JSON value"),
        ('{"a": 1} x', 1, 10, "unexpected text after the end of the JSON value"),
        ('{\n  "a": "abc\n}', 2, 8, "unterminated string"),
        ('{"a": "x\\h"}', 1, 9, "invalid escape sequence '\\h'"),
        ('{"a": "\\u12"}', 1, 8, "invalid \\u escape: expected 4 hexadecimal digits"),
        ("{a: 1}", 1, 2, "expected property name enclosed in double quotes"),
        ('{"a" 1}', 1, 6, "expected ':' delimiter"),
        ('{"a": NaN}', 1, 7, "NaN is not valid JSON"),
        ('{"a": [1, -Infinity]}', 1, 11, "-Infinity is not valid JSON"),
        ('{"a": /* c */ Infinity}', 1, 15, "Infinity is not valid JSON"),
        ("{'a': 1}", 1, 2, "expected property name enclosed in double quotes"),
        ('{"a": 1 / 2}', 1, 9, "expected ',' delimiter"),
    ],
)
def test_malformed_json_is_located(text: str, line: int, column: int, message: str) -> None:
    err = error_of(text)
    assert (err.path, err.line, err.column, err.message) == ("t.json", line, column, message)


def test_error_columns_count_characters_after_non_ascii_and_tabs() -> None:
    err = error_of('{\n\t"é€😀": 1 2}'.encode("utf-8"))
    assert (err.line, err.column) == (2, 11)


def test_error_position_with_crlf_and_comments() -> None:
    err = error_of('{\r\n  // c\r\n  "a": 1,\r\n  "b" 2\r\n}')
    assert (err.line, err.column) == (4, 7)


def test_top_level_must_be_an_object_by_default() -> None:
    err = error_of('\n  [1, 2]')
    assert (err.line, err.column, err.message) == (2, 3, "expected a JSON object ('{ ... }') at the top level")
    assert parse_document("[1, 2]", require_object=False).value == [1, 2]
    assert parse_document(" 7 ", require_object=False).location(()).column == 2


def test_deep_nesting_is_a_source_error() -> None:
    err = error_of("[" * 100_000 + "]" * 100_000, require_object=False)
    assert err.message == "the JSON is nested too deeply"


def test_duplicate_properties_last_wins_and_warn() -> None:
    doc = parse_document('{\n  "a": {"x": 1},\n  "b": 2,\n  "a": {"y": 3}\n}', "t.json")
    assert doc.value == {"a": {"y": 3}, "b": 2}
    assert doc.duplicate_warnings() == [SourceWarning("duplicate property 'a': Azure uses the last one", 4, 3)]
    assert doc.location(("a",)).line == 4
    # The first 'a' is gone from the value, so its members have no span of their own.
    assert doc.location(("a", "x")).json_path == ("a",)
    assert doc.location(("a", "y")).line == 4


def test_no_duplicate_warnings_for_the_same_name_in_different_objects() -> None:
    doc = parse_document('{"a": {"n": 1}, "b": {"n": 2}, "c": [{"n": 3}, {"n": 4}]}')
    assert doc.duplicate_warnings() == []


def test_load_document_reads_a_file(tmp_path: "os.PathLike[str]") -> None:
    file = os.path.join(tmp_path, "main.json")
    with open(file, "wb") as f:
        f.write(b'\xef\xbb\xbf{\r\n  "a": [1, 2,], // x\r\n}')
    doc = load_document(file)
    assert doc.path == file and doc.value == {"a": [1, 2]}
    assert doc.warnings == [SourceWarning(TRAILING_COMMA_MESSAGE, 2, 13), SourceWarning(TRAILING_COMMA_MESSAGE, 2, 15)]


def test_load_document_missing_file_is_an_os_error(tmp_path: "os.PathLike[str]") -> None:
    with pytest.raises(OSError):
        load_document(os.path.join(tmp_path, "missing.json"))


# --- positions -------------------------------------------------------------------------------

NESTED = """{
  "parameters": {
    "name": { "type": "string", "defaultValue": "kv" }
  },
  "resources": [
    {
      "type": "Microsoft.KeyVault/vaults",
      "properties": { "tags": [ "a", { "k": null } ] }
    }
  ]
}"""


def test_location_of_nested_values() -> None:
    doc = parse_document(NESTED, "t.json")
    loc = doc.location(("parameters", "name", "defaultValue"))
    assert (loc.line, loc.column, loc.end_line, loc.end_column) == (3, 49, 3, 53)
    assert span_text(doc, loc) == '"kv"'
    assert loc.json_path == ("parameters", "name", "defaultValue") and loc.file == "t.json"
    loc = doc.location(("resources", 0, "properties", "tags", 1, "k"))
    assert (loc.line, loc.column) == (8, 45) and span_text(doc, loc) == "null"
    loc = doc.location(("resources", 0))
    assert (loc.line, loc.column, loc.end_line, loc.end_column) == (6, 5, 9, 6)
    assert json.loads(span_text(doc, loc))["type"] == "Microsoft.KeyVault/vaults"
    root = doc.location(())
    assert (root.offset, root.end_offset) == (0, len(NESTED))


def test_location_of_a_missing_path_is_the_deepest_existing_ancestor() -> None:
    doc = parse_document(NESTED, "t.json")
    loc = doc.location(("resources", 0, "properties", "sku", "name"))
    assert loc.json_path == ("resources", 0, "properties")
    assert (loc.line, loc.column) == (8, 21)
    assert doc.location(("resources", 5)).json_path == ("resources",)
    assert doc.location(("nothing",)).json_path == ()
    assert doc.location(("resources", "0")).json_path == ("resources",)  # indexes are ints
    assert doc.has_path(("resources", 0, "type")) and not doc.has_path(("resources", 0, "name"))


def test_key_location() -> None:
    doc = parse_document(NESTED, "t.json")
    loc = doc.key_location(("parameters", "name", "defaultValue"))
    assert (loc.line, loc.column, loc.end_column) == (3, 33, 47)
    assert span_text(doc, loc) == '"defaultValue"'
    assert span_text(doc, doc.key_location(("resources",))) == '"resources"'
    # No name for an array element: the element itself.
    assert span_text(doc, doc.key_location(("resources", 0, "properties", "tags", 0))) == '"a"'


def test_keys_with_escapes() -> None:
    doc = parse_document('{"a\\"b": 1, "\\u00e9": [2]}')
    assert doc.value == {'a"b': 1, "é": [2]}
    assert span_text(doc, doc.key_location(('a"b',))) == '"a\\"b"'
    assert span_text(doc, doc.location(("é", 0))) == "2"


def test_position_and_line_text_with_crlf_lone_cr_and_tabs() -> None:
    text = '{\r\n\t"a": 1,\r"b": 2,\n"c": 3}'
    doc = parse_document(text, "t.json")
    assert doc.location(("a",)).line == 2 and doc.location(("a",)).column == 7
    assert (doc.location(("b",)).line, doc.location(("b",)).column) == (3, 6)
    assert (doc.location(("c",)).line, doc.location(("c",)).column) == (4, 6)
    assert doc.line_text(2) == '\t"a": 1,'
    assert doc.line_text(4) == '"c": 3}'
    assert doc.line_text(0) == "" and doc.line_text(5) == ""
    assert doc.position(0) == (1, 1)
    assert doc.position(len(text)) == (4, 8)
    assert doc.position(10_000) == (4, 8)


def test_columns_count_characters_not_bytes() -> None:
    doc = parse_document('{"é€😀": "x", "b": 1}'.encode("utf-8"), "t.json")
    assert doc.location(("é€😀",)).column == 9
    assert doc.location(("b",)).column == 19


def test_positions_inside_comment_heavy_text() -> None:
    text = '{ /* "a": 0, */ "a": /* { */ [ // ]\n 1 /* , */ ] }'
    doc = parse_document(text, "t.json")
    assert doc.value == {"a": [1]}
    assert span_text(doc, doc.location(("a",))) == "[ // ]\n 1 /* , */ ]"
    assert (doc.location(("a", 0)).line, doc.location(("a", 0)).column) == (2, 2)


# --- offsets inside strings ------------------------------------------------------------------


def test_source_offset_in_string_without_escapes() -> None:
    doc = parse_document('{"v": "[concat(\'a\', 1)]"}')
    offset = doc.source_offset_in_string(("v",), 8)
    assert doc.text[offset] == "'"
    assert doc.position(offset) == (1, 16)


def test_source_offset_in_string_with_escapes() -> None:
    text = '{"v": "a\\"b\\\\c\\nd\\u00e9f\\ud83d\\ude00g\\/h"}'
    doc = parse_document(text)
    decoded = doc.value["v"]
    assert decoded == 'a"b\\c\nd' + "éf😀g/h"
    raws = [text[doc.source_offset_in_string(("v",), i)] for i in range(len(decoded))]
    assert raws == ["a", "\\", "b", "\\", "c", "\\", "d", "\\", "f", "\\", "g", "\\", "h"]
    assert doc.source_offset_in_string(("v",), 7) == text.index("\\u00e9")
    assert doc.source_offset_in_string(("v",), 9) == text.index("\\ud83d")
    assert doc.source_offset_in_string(("v",), 10) == text.index("g")
    # Past the end: the closing quote.
    assert doc.source_offset_in_string(("v",), 99) == len(text) - 2


def test_source_offset_in_multi_line_string() -> None:
    doc = parse_document('{\n  "v": "ab\n  [bad(]"\n}')
    offset = doc.source_offset_in_string(("v",), doc.value["v"].index("("))
    assert doc.position(offset) == (3, 7)


def test_source_offset_in_string_that_is_not_a_string() -> None:
    doc = parse_document('{"v": 12, "w": {"x": "y"}}')
    assert doc.source_offset_in_string(("v",), 1) == doc.location(("v",)).offset
    assert doc.source_offset_in_string(("w", "z"), 3) == doc.location(("w",)).offset


def test_members_are_listed_once_and_cached() -> None:
    doc = parse_document(NESTED)
    first = doc.location(("resources",))
    members = doc._children[()]
    assert doc.location(("resources",)) == first and doc._children[()] is members
