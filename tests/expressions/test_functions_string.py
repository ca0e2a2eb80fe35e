"""Tests for the ARM string functions (validator/expressions/functions/strings.py).

Expected values come from Microsoft's documentation (template-functions-string.md and the
sample templates it includes), Azure's own hash test vectors (keyvault-redeploy.md section 10)
and .NET's documented formatting rules.
"""
from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from validator.expressions import ArmError, Unknown, evaluate

# --- uniqueString and guid: Azure's test vectors -----------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("[uniqueString('snap','crackle','pop')]", "byghxckddilkc"),
        ("[uniqueString('asd','asdf','asdf')]", "iizpqit7ih3cc"),
        ("[uniqueString('aaa')]", "zavj67f3en4hc"),
        ("[uniqueString('bbb')]", "w5eragfxe33cy"),
        ("[uniqueString('zzz')]", "cryksdzzzawae"),
        ("[uniqueString('xxx','yyy','zzz')]", "lghi7k5js7itq"),
        ("[guid('asdf')]", "228d27cc-6fdb-5934-b7ac-1efccebade04"),
        ("[guid('foo','bar','baz')]", "2ed86837-7c7c-5eaa-9864-dd077fd19b0d"),
    ],
)
def test_hash_vectors(expression: str, expected: str) -> None:
    assert evaluate(expression) == expected


def test_unique_string_joins_arguments_with_dashes() -> None:
    assert evaluate("[uniqueString('snap-crackle-pop')]") == "byghxckddilkc"
    assert evaluate("[guid('foo-bar-baz')]") == "2ed86837-7c7c-5eaa-9864-dd077fd19b0d"


def test_guid_depends_on_argument_order() -> None:
    assert evaluate("[guid('hello', 'world')]") != evaluate("[guid('world', 'hello')]")
    assert len(evaluate("[guid('hello', 'world')]")) == 36


def test_unique_string_of_parameters() -> None:
    assert evaluate("[uniqueString(parameters('a'), 'crackle', 'pop')]", parameters={"a": "snap"}) == "byghxckddilkc"


@pytest.mark.parametrize("expression", ["[uniqueString(1)]", "[uniqueString('a', true)]", "[guid(createArray('a'))]", "[guid('a', null())]"])
def test_hashes_take_only_strings(expression: str) -> None:
    with pytest.raises(ArmError):
        evaluate(expression)


@pytest.mark.parametrize("expression", ["[uniqueString()]", "[guid()]", "[newGuid('a')]"])
def test_hash_argument_counts(expression: str) -> None:
    with pytest.raises(ArmError):
        evaluate(expression)


# --- newGuid and Unknown propagation ---------------------------------------------------------


def test_new_guid_is_nondeterministic_unknown() -> None:
    result = evaluate("[newGuid()]")
    assert isinstance(result, Unknown)
    assert result.nondeterministic


def test_unknown_propagates_through_string_functions() -> None:
    result = evaluate("[toUpper(newGuid())]")
    assert isinstance(result, Unknown)
    assert result.nondeterministic
    assert result.expression == "toUpper(newGuid())"
    named = evaluate("[uniqueString(parameters('g'))]", parameters={"g": Unknown("newGuid()", nondeterministic=True)})
    assert isinstance(named, Unknown) and named.nondeterministic


def test_unknown_inside_array_argument_propagates() -> None:
    result = evaluate("[join(parameters('a'), ',')]", parameters={"a": ["x", Unknown("reference('r').id", secret=True)]})
    assert isinstance(result, Unknown)
    assert result.secret


# --- base64 family (documented example) -----------------------------------------------------

BASE64_PARAMS = {"stringData": "one, two, three", "jsonFormattedData": "{'one': 'a', 'two': 'b'}"}


def test_base64_documented_example() -> None:
    assert evaluate("[base64(parameters('stringData'))]", BASE64_PARAMS) == "b25lLCB0d28sIHRocmVl"
    assert evaluate("[base64ToString(base64(parameters('stringData')))]", BASE64_PARAMS) == "one, two, three"
    assert evaluate("[base64ToJson(base64(parameters('jsonFormattedData')))]", BASE64_PARAMS) == {"one": "a", "two": "b"}


def test_base64_is_utf8() -> None:
    assert evaluate("[base64('é')]") == "w6k="
    assert evaluate("[base64ToString('w6k=')]") == "é"
    assert evaluate("[base64ToString('')]") == ""


@pytest.mark.parametrize("expression", ["[base64ToString('abc')]", "[base64ToString('a$==')]", "[base64ToJson('bm90IGpzb24=')]", "[base64(1)]"])
def test_base64_errors(expression: str) -> None:
    with pytest.raises(ArmError):
        evaluate(expression)


# --- dataUri family (documented example) ----------------------------------------------------


def test_data_uri_documented_example() -> None:
    params = {"stringToTest": "Hello", "dataFormattedString": "data:;base64,SGVsbG8sIFdvcmxkIQ=="}
    assert evaluate("[dataUri(parameters('stringToTest'))]", params) == "data:text/plain;charset=utf8;base64,SGVsbG8="
    assert evaluate("[dataUriToString(parameters('dataFormattedString'))]", params) == "Hello, World!"


def test_data_uri_round_trip_and_plain_data() -> None:
    assert evaluate("[dataUriToString(dataUri('päß'))]") == "päß"
    assert evaluate("[dataUriToString('data:text/plain,hello%20world')]") == "hello world"


@pytest.mark.parametrize("expression", ["[dataUriToString('hello')]", "[dataUriToString('data:;base64')]", "[dataUriToString('data:;base64,!!')]"])
def test_data_uri_errors(expression: str) -> None:
    with pytest.raises(ArmError):
        evaluate(expression)


# --- startsWith / endsWith (documented example: case-insensitive) ---------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("[startsWith('abcdef', 'ab')]", True),
        ("[startsWith('abcdef', 'A')]", True),
        ("[startsWith('abcdef', 'e')]", False),
        ("[endsWith('abcdef', 'ef')]", True),
        ("[endsWith('abcdef', 'F')]", True),
        ("[endsWith('abcdef', 'e')]", False),
        ("[startsWith('abc', '')]", True),
        ("[endsWith('ab', 'abc')]", False),
    ],
)
def test_starts_ends_with(expression: str, expected: bool) -> None:
    assert evaluate(expression) is expected


def test_starts_with_needs_strings() -> None:
    with pytest.raises(ArmError):
        evaluate("[startsWith(1, '1')]")


# --- format ---------------------------------------------------------------------------------


def test_format_documented_example() -> None:
    params = {"greeting": "Hello", "name": "User", "numberToFormat": 8175133}
    result = evaluate(
        "[format('{0}, {1}. Formatted number: {2:N0}', parameters('greeting'), parameters('name'), parameters('numberToFormat'))]",
        params,
    )
    assert result == "Hello, User. Formatted number: 8,175,133"


@pytest.mark.parametrize(
    ("spec", "value", "expected"),
    [
        ("{0}", "7", "7"),
        ("{0,-5}|", "ab", "ab   |"),
        ("{0,5}", "ab", "   ab"),
        ("{0,9:N1}", 1234, "  1,234.0"),
        ("{0:N2}", 1234, "1,234.00"),
        ("{0:N2}", -1234567, "-1,234,567.00"),
        ("{0:D3}", 7, "007"),
        ("{0:D}", -42, "-42"),
        ("{0:X}", 255, "FF"),
        ("{0:x4}", 255, "00ff"),
        ("{0:X}", -1, "FFFFFFFFFFFFFFFF"),
        ("{0:F1}", 1234, "1234.0"),
        ("{0:F}", 3, "3.00"),
        ("{0:P}", 1, "100.00 %"),
        ("{0:P0}", -2, "-200 %"),
        ("{0:E2}", 1234, "1.23E+003"),
        ("{0:e}", 0, "0.000000e+000"),
        ("{0:G}", 1234, "1234"),
        ("{0:G3}", 12345, "1.23E+04"),
        ("{0:G2}", 5, "5"),
        ("{0:C}", 1234, "¤1,234.00"),
        ("{0:C0}", -5, "(¤5)"),
        ("{0:000}", 7, "007"),
        ("{0:#,##0.00}", 1234567, "1,234,567.00"),
        ("{0:#,##0.00}", 5, "5.00"),
        ("{0:0.##}", 5, "5"),
        ("{0:#}", 0, ""),
        ("{0:(###) ###-####}", 5551234567, "(555) 123-4567"),
        ("{0:#,0,}", 1234567, "1,235"),
        ("{0:0;(0);zero}", -7, "(7)"),
        ("{0:0;(0);zero}", 0, "zero"),
        ("{0:0.0E+00}", 12345, "1.2E+04"),
        ("{0:'#'0}", 5, "#5"),
        ("{{{0}}}", 1, "{1}"),
        ("}}{{", 1, "}{"),
    ],
)
def test_format_specifiers(spec: str, value: Any, expected: str) -> None:
    assert evaluate("[format(parameters('f'), parameters('v'))]", {"f": spec, "v": value}) == expected


def test_format_alignment_with_number_format() -> None:
    assert evaluate("[format('[{0,10:N1}]', 1234)]") == "[   1,234.0]"
    assert evaluate("[format('[{0,-10:D4}]', 12)]") == "[0012      ]"


def test_format_floats() -> None:
    assert evaluate("[format('{0:N2}|{0:F0}|{0}', json('1234.5678'))]") == "1,234.57|1235|1234.5678"
    assert evaluate("[format('{0:P1}', json('0.125'))]") == "12.5 %"
    assert evaluate("[format('{0:#.##}', json('0.1234'))]") == ".12"
    assert evaluate("[format('{0}|{1}', json('1e16'), json('0.00001'))]") == "1E+16|1E-05"


def test_format_other_types() -> None:
    result = evaluate("[format('{0}|{1}|{2}|{3}|{4:N2}', true, false, createArray(1, 'a'), createObject('k', 'v'), 'text')]")
    assert result == 'True|False|[1,"a"]|{"k":"v"}|text'
    assert evaluate("[format('<{0}>', null())]") == "<>"


@pytest.mark.parametrize(
    "expression",
    [
        "[format('{1}', 'a')]",
        "[format('{0}')]",
        "[format('{0', 'a')]",
        "[format('a}b', 'a')]",
        "[format('{a}', 'a')]",
        "[format('{ 0}', 'a')]",
        "[format('{0:Z}', 1)]",
        "[format('{0:D2}', json('1.5'))]",
        "[format('{0:X}', json('1.5'))]",
        "[format('{0:F99999}', 1)]",
        "[format(1, 'a')]",
    ],
)
def test_format_errors(expression: str) -> None:
    with pytest.raises(ArmError):
        evaluate(expression)


# --- join, split, replace -------------------------------------------------------------------


def test_join_documented_example() -> None:
    variables = {"arrayString": ["one", "two", "three"]}
    assert evaluate("[join(variables('arrayString'), ',')]", variables=variables) == "one,two,three"
    assert evaluate("[join(variables('arrayString'), ';')]", variables=variables) == "one;two;three"
    assert evaluate("[join(createArray(), ',')]") == ""


@pytest.mark.parametrize("expression", ["[join('abc', ',')]", "[join(createArray('a'), 1)]", "[join(createArray(createArray('a')), ',')]"])
def test_join_errors(expression: str) -> None:
    with pytest.raises(ArmError):
        evaluate(expression)


def test_split_documented_example() -> None:
    params = {"firstString": "one,two,three", "secondString": "one;two,three"}
    variables = {"delimiters": [",", ";"]}
    assert evaluate("[split(parameters('firstString'),',')]", params, variables) == ["one", "two", "three"]
    assert evaluate("[split(parameters('secondString'),variables('delimiters'))]", params, variables) == ["one", "two", "three"]


def test_split_keeps_empty_parts() -> None:
    assert evaluate("[split('a,,b,', ',')]") == ["a", "", "b", ""]
    assert evaluate("[split('abc', ',')]") == ["abc"]
    assert evaluate("[split('a--b-c', createArray('--', '-'))]") == ["a", "b", "c"]


@pytest.mark.parametrize("expression", ["[split('a', 1)]", "[split('a', createArray(1))]", "[split(1, ',')]"])
def test_split_errors(expression: str) -> None:
    with pytest.raises(ArmError):
        evaluate(expression)


def test_replace_documented_example() -> None:
    params = {"testString": "123-123-1234"}
    assert evaluate("[replace(parameters('testString'),'-', '')]", params) == "1231231234"
    assert evaluate("[replace(parameters('testString'),'1234', 'xxxx')]", params) == "123-123-xxxx"


def test_replace_is_case_sensitive() -> None:
    assert evaluate("[replace('aAa', 'a', 'b')]") == "bAb"


def test_replace_rejects_empty_old_string() -> None:
    with pytest.raises(ArmError):
        evaluate("[replace('abc', '', 'x')]")


# --- json -----------------------------------------------------------------------------------


def test_json_documented_example() -> None:
    params = {
        "jsonEmptyObject": "null",
        "jsonObject": '{"a": "b"}',
        "jsonString": '"test"',
        "jsonBoolean": "true",
        "jsonInt": "3",
        "jsonArray": "[1,2,3 ]",
        "concatValue": "demo value",
    }
    assert evaluate("[json(parameters('jsonEmptyObject'))]", params) is None
    assert evaluate("[json(parameters('jsonObject'))]", params) == {"a": "b"}
    assert evaluate("[json(parameters('jsonString'))]", params) == "test"
    assert evaluate("[json(parameters('jsonBoolean'))]", params) is True
    assert evaluate("[json(parameters('jsonInt'))]", params) == 3
    assert evaluate("[json(parameters('jsonArray'))]", params) == [1, 2, 3]


def test_json_numbers() -> None:
    assert evaluate("[json('1.5')]") == 1.5
    assert isinstance(evaluate("[json('1.5')]"), float)
    assert isinstance(evaluate("[json('3')]"), int)
    assert evaluate("[json('-2e3')]") == -2000.0


def test_json_is_as_lenient_as_newtonsoft() -> None:
    assert evaluate("[json('{''a'': ''b''}')]") == {"a": "b"}
    assert evaluate("[json(parameters('t'))]", {"t": '{a: 1, /* note */ "b": [1, 2,], // end\n}'}) == {"a": 1, "b": [1, 2]}
    assert evaluate("[json(parameters('t'))]", {"t": '"\\u00e9\\n"'}) == "é\n"
    assert evaluate("[json(parameters('t'))]", {"t": '{"a": 1, "a": 2}'}) == {"a": 2}


@pytest.mark.parametrize("text", ["", "{", "[1,", "1 2", "{'a' 1}", "tru", "'abc", "@"])
def test_json_errors(text: str) -> None:
    with pytest.raises(ArmError):
        evaluate("[json(parameters('t'))]", {"t": text})


# --- padLeft, substring, trim, toLower, toUpper, string ---------------------------------------


def test_pad_left_documented_example() -> None:
    assert evaluate("[padLeft(parameters('testString'),10,'0')]", {"testString": "123"}) == "0000000123"


def test_pad_left_details() -> None:
    assert evaluate("[padLeft(5, 3, '0')]") == "005"
    assert evaluate("[padLeft('ab', 4)]") == "  ab"
    assert evaluate("[padLeft('abcdef', 3, '0')]") == "abcdef"


@pytest.mark.parametrize("expression", ["[padLeft('a', 3, 'xy')]", "[padLeft('a', 3, '')]", "[padLeft('a', -1)]", "[padLeft('a', '3')]", "[padLeft(true, 3)]"])
def test_pad_left_errors(expression: str) -> None:
    with pytest.raises(ArmError):
        evaluate(expression)


def test_substring_documented_example() -> None:
    assert evaluate("[substring(parameters('testString'), 4, 3)]", {"testString": "one two three"}) == "two"


def test_substring_documented_error() -> None:
    with pytest.raises(ArmError) as raised:
        evaluate("[substring(parameters('inputString'), 0, 11)]", {"inputString": "1234567890"})
    assert "the length parameter: '11', the length of the string parameter: '10'" in raised.value.message


def test_substring_details() -> None:
    assert evaluate("[substring('abc', 1)]") == "bc"
    assert evaluate("[substring('abc', 3)]") == ""
    assert evaluate("[substring('abc', 1, 0)]") == ""
    assert evaluate("[substring('abc')]") == "abc"


@pytest.mark.parametrize("expression", ["[substring('abc', 4)]", "[substring('abc', -1, 1)]", "[substring('abc', 1, -1)]", "[substring('abc', '1')]"])
def test_substring_errors(expression: str) -> None:
    with pytest.raises(ArmError):
        evaluate(expression)


def test_trim_documented_example() -> None:
    assert evaluate("[trim(parameters('testString'))]", {"testString": "    one two three   "}) == "one two three"
    assert evaluate("[trim(parameters('t'))]", {"t": "\t\n\u00a0x y\u3000\r"}) == "x y"


def test_case_documented_example() -> None:
    params = {"testString": "One Two Three"}
    assert evaluate("[toLower(parameters('testString'))]", params) == "one two three"
    assert evaluate("[toUpper(parameters('testString'))]", params) == "ONE TWO THREE"


def test_case_mapping_is_one_to_one() -> None:
    assert evaluate("[toUpper('straße')]") == "STRAßE"
    assert evaluate("[toLower('ÄÖÜ')]") == "äöü"


def test_string_documented_example() -> None:
    params = {"testObject": {"valueA": 10, "valueB": "Example Text"}, "testArray": ["a", "b", "c"], "testInt": 5}
    assert evaluate("[string(parameters('testObject'))]", params) == '{"valueA":10,"valueB":"Example Text"}'
    assert evaluate("[string(parameters('testArray'))]", params) == '["a","b","c"]'
    assert evaluate("[string(parameters('testInt'))]", params) == "5"


def test_string_other_values() -> None:
    assert evaluate("[string('x')]") == "x"
    assert evaluate("[string(true)]") == "True"
    assert evaluate("[string(false)]") == "False"
    assert evaluate("[string(null())]") == ""
    assert evaluate("[string(json('1.5'))]") == "1.5"


# --- uri, uriComponent, uriComponentToString -------------------------------------------------


@pytest.mark.parametrize(
    ("base", "relative", "expected"),
    [
        ("http://contoso.org/firstpath", "myscript.sh", "http://contoso.org/myscript.sh"),
        ("http://contoso.org/firstpath/", "myscript.sh", "http://contoso.org/firstpath/myscript.sh"),
        ("http://contoso.org/firstpath/azuredeploy.json", "myscript.sh", "http://contoso.org/firstpath/myscript.sh"),
        ("http://contoso.org/firstpath/azuredeploy.json/", "myscript.sh", "http://contoso.org/firstpath/azuredeploy.json/myscript.sh"),
        ("http://contoso.com/resources/", "nested/azuredeploy.json", "http://contoso.com/resources/nested/azuredeploy.json"),
        ("http://contoso.org", "myscript.sh", "http://contoso.org/myscript.sh"),
        ("https://contoso.org/a/b/c", "../d?x=1", "https://contoso.org/a/d?x=1"),
        ("https://contoso.org/a/b", "/root", "https://contoso.org/root"),
        ("https://contoso.org/a/b", "https://other.org/x", "https://other.org/x"),
        ("https://contoso.org/a/b?q", "", "https://contoso.org/a/b?q"),
        ("HTTPS://Contoso.ORG:443/a", "b", "https://contoso.org/b"),
    ],
)
def test_uri(base: str, relative: str, expected: str) -> None:
    assert evaluate("[uri(parameters('b'), parameters('r'))]", {"b": base, "r": relative}) == expected


@pytest.mark.parametrize("expression", ["[uri('contoso.org/a', 'b')]", "[uri('http://', 'b')]", "[uri(1, 'b')]"])
def test_uri_errors(expression: str) -> None:
    with pytest.raises(ArmError):
        evaluate(expression)


def test_uri_component_documented_example() -> None:
    variables = {"uriFormat": "http://contoso.com/resources/nested/azuredeploy.json"}
    encoded = evaluate("[uriComponent(variables('uriFormat'))]", variables=variables)
    assert encoded == "http%3A%2F%2Fcontoso.com%2Fresources%2Fnested%2Fazuredeploy.json"
    assert evaluate("[uriComponentToString(parameters('e'))]", {"e": encoded}) == "http://contoso.com/resources/nested/azuredeploy.json"


def test_uri_component_escapes_like_escape_data_string() -> None:
    assert evaluate("[uriComponent('a b+ü~-._')]") == "a%20b%2B%C3%BC~-._"
    assert evaluate("[uriComponentToString('a%20b+%C3%BC%zz%FF')]") == "a b+ü%zz%FF"


# --- robustness: only values or ArmError, never a Python exception -----------------------------

_ARGUMENTS = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=2),
)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="{}0123456789,-:#.;%'\\ENXDGFPCxe+ ", max_size=16), _ARGUMENTS)
def test_format_never_crashes(spec: str, value: Any) -> None:
    for text in (spec, "{0:" + spec + "}"):
        try:
            result = evaluate("[format(parameters('f'), parameters('v'))]", {"f": text, "v": value})
        except ArmError:
            continue
        assert isinstance(result, str)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="{}[]\"':,0123456789.eE+-truefalsnul/* \n\\u", max_size=14))
def test_json_never_crashes(text: str) -> None:
    try:
        evaluate("[json(parameters('t'))]", {"t": text})
    except ArmError:
        pass


def test_lambda_is_not_a_string() -> None:
    with pytest.raises(ArmError):
        evaluate("[string(lambda('x', 'y'))]")
