"""The fix machinery: splicing edits, overlaps, refusing unparsable results, member insertion."""
from __future__ import annotations

import pytest

from validator.findings import Edit, Fix
from validator.fixes.edits import (
    EditConflict,
    Verbatim,
    apply_edits,
    apply_fixes,
    indent_unit,
    insert_elements,
    insert_members,
    newline_of,
    render,
)
from validator.source import parse_document


def test_apply_edits_splices_into_the_original_text() -> None:
    assert apply_edits("abcdef", [Edit(4, 5, "E"), Edit(0, 1, "A"), Edit(2, 2, "+")]) == "Ab+cdEf"


def test_apply_edits_rejects_overlapping_edits() -> None:
    with pytest.raises(EditConflict):
        apply_edits("abcdef", [Edit(0, 3, "x"), Edit(2, 4, "y")])


def test_overlapping_fix_is_skipped_and_reported() -> None:
    text = '{"a": 1, "b": 2}'
    first = Fix("Set a", (Edit(6, 7, "3"),))
    clash = Fix("Set a again", (Edit(6, 7, "4"),))
    other = Fix("Set b", (Edit(14, 15, "5"),))
    result = apply_fixes(text, [first, clash, other])
    assert result.text == '{"a": 3, "b": 5}'
    assert [f.title for f in result.applied] == ["Set a", "Set b"]
    assert [(f.title, why.split(";")[0]) for f, why in result.skipped] == [("Set a again", "overlaps another fix")]


def test_fix_that_breaks_the_json_is_refused() -> None:
    text = '{"a": 1}'
    result = apply_fixes(text, [Fix("Break it", (Edit(7, 8, ""),))])
    assert result.text == text
    assert result.skipped[0][1].startswith("refused: the result would not parse (1:")


def test_newline_and_indent_detection() -> None:
    assert newline_of('{\r\n  "a": 1\r\n}') == "\r\n"
    assert newline_of('{"a": 1}') == "\n"
    assert indent_unit('{\n    "a": {\n        "b": 1\n    }\n}') == "    "
    assert indent_unit('{\n\t"a": 1\n}') == "\t"


def test_insert_last_keeps_crlf_indentation_and_the_comment_on_its_line() -> None:
    text = '{\r\n  "a": 1, // one\r\n  "b": 2 // two\r\n}'
    document = parse_document(text)
    fixed = apply_edits(text, insert_members(document, (), [("c", {"value": "x"})]))
    assert fixed == '{\r\n  "a": 1, // one\r\n  "b": 2, // two\r\n  "c": {\r\n    "value": "x"\r\n  }\r\n}'
    assert parse_document(fixed).value == {"a": 1, "b": 2, "c": {"value": "x"}}


def test_insert_first_and_into_empty_and_inline_objects() -> None:
    text = '{\n  "p": {},\n  "q": {"x": 1}\n}'
    document = parse_document(text)
    assert apply_edits(text, insert_members(document, (), [("c", 1)], first=True)) == '{\n  "c": 1,\n  "p": {},\n  "q": {"x": 1}\n}'
    assert apply_edits(text, insert_members(document, ("p",), [("c", 1)])) == '{\n  "p": {\n    "c": 1\n  },\n  "q": {"x": 1}\n}'
    assert apply_edits(text, insert_members(document, ("q",), [("c", 1)])) == '{\n  "p": {},\n  "q": {"x": 1, "c": 1}\n}'


def test_insert_elements_last_after_an_index_and_into_empty_and_inline_arrays() -> None:
    text = '{\n  "a": [\n    1, // one\n    {"x": 2} // two\n  ],\n  "b": [],\n  "c": [1, 2]\n}'
    document = parse_document(text)
    assert apply_edits(text, insert_elements(document, ("a",), [3])) == (
        '{\n  "a": [\n    1, // one\n    {"x": 2}, // two\n    3\n  ],\n  "b": [],\n  "c": [1, 2]\n}')
    assert apply_edits(text, insert_elements(document, ("a",), ["z"], after=0)) == (
        '{\n  "a": [\n    1, // one\n    "z",\n    {"x": 2} // two\n  ],\n  "b": [],\n  "c": [1, 2]\n}')
    assert apply_edits(text, insert_elements(document, ("b",), [{"k": 1}])) == (
        '{\n  "a": [\n    1, // one\n    {"x": 2} // two\n  ],\n  "b": [\n    {\n      "k": 1\n    }\n  ],\n  "c": [1, 2]\n}')
    assert apply_edits(text, insert_elements(document, ("c",), ["z"], after=0)) == (
        '{\n  "a": [\n    1, // one\n    {"x": 2} // two\n  ],\n  "b": [],\n  "c": [1, "z", 2]\n}')
    with pytest.raises(ValueError):
        insert_elements(document, ("c",), [1], after=5)


def test_insert_elements_keeps_crlf_and_tabs() -> None:
    text = '{\r\n\t"a": [\r\n\t\t1\r\n\t]\r\n}'
    fixed = apply_edits(text, insert_elements(parse_document(text), ("a",), [[2]]))
    assert fixed == '{\r\n\t"a": [\r\n\t\t1,\r\n\t\t[\r\n\t\t\t2\r\n\t\t]\r\n\t]\r\n}'


def test_verbatim_text_moves_with_its_comments_to_a_new_depth() -> None:
    text = '{\n  "p": {\n    "list": [\n      1 // kept\n    ]\n  },\n  "q": []\n}'
    document = parse_document(text)
    moved = Verbatim.at(document, ("p", "list"))
    assert moved == Verbatim('[\n      1 // kept\n    ]', "    ")
    fixed = apply_edits(text, insert_elements(document, ("q",), [{"list": moved}]))
    assert fixed == '{\n  "p": {\n    "list": [\n      1 // kept\n    ]\n  },\n  "q": [\n    {\n      "list": [\n        1 // kept\n      ]\n    }\n  ]\n}'
    assert parse_document(fixed).value["q"] == [{"list": [1]}]
    assert render({"a": Verbatim('"x"')}, "", None, "\n") == '{"a": "x"}'
