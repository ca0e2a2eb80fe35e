"""Comparison and logical template functions: Microsoft's documented examples, laziness of
`if`/`and`/`or`, Unknown propagation and errors."""
from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from validator.expressions import ArmError, Unknown, evaluate
from validator.expressions.functions import ALL_FUNCTIONS


def needs(*names: str) -> pytest.MarkDecorator:
    """Skip until the other function groups this test uses are implemented."""
    missing = [name for name in names if name.lower() not in ALL_FUNCTIONS]
    return pytest.mark.skipif(bool(missing), reason=f"waiting for {', '.join(missing)}")


OBJECT_TO_TEST = {
    "null1": None,
    "null2": None,
    "string": "default",
    "int": 1,
    "object": {"first": "default"},
    "array": [1],
}

EQUALS_PARAMETERS = {
    "firstInt": 1,
    "secondInt": 1,
    "firstString": "a",
    "secondString": "a",
    "firstArray": ["a", "b"],
    "secondArray": ["a", "b"],
    "firstObject": {"a": "b"},
    "secondObject": {"a": "b"},
}

ORDER_PARAMETERS = {"firstInt": 1, "secondInt": 2, "firstString": "A", "secondString": "a"}


# --- documented examples: template-functions-comparison.md ----------------------------------


@pytest.mark.parametrize(
    "expression, expected",
    [
        ("[coalesce(parameters('objectToTest').null1, parameters('objectToTest').null2, parameters('objectToTest').string)]", "default"),
        ("[coalesce(parameters('objectToTest').null1, parameters('objectToTest').null2, parameters('objectToTest').int)]", 1),
        ("[coalesce(parameters('objectToTest').null1, parameters('objectToTest').null2, parameters('objectToTest').object)]", {"first": "default"}),
        ("[coalesce(parameters('objectToTest').null1, parameters('objectToTest').null2, parameters('objectToTest').array)]", [1]),
    ],
)
def test_coalesce_documented(expression: str, expected: Any) -> None:
    assert evaluate(expression, parameters={"objectToTest": OBJECT_TO_TEST}) == expected


@needs("empty")
def test_coalesce_documented_empty_output() -> None:
    expression = "[empty(coalesce(parameters('objectToTest').null1, parameters('objectToTest').null2))]"
    assert evaluate(expression, parameters={"objectToTest": OBJECT_TO_TEST}) is True


@pytest.mark.parametrize(
    "expression",
    [
        "[equals(parameters('firstInt'), parameters('secondInt') )]",
        "[equals(parameters('firstString'), parameters('secondString'))]",
        "[equals(parameters('firstArray'), parameters('secondArray'))]",
        "[equals(parameters('firstObject'), parameters('secondObject'))]",
    ],
)
def test_equals_documented(expression: str) -> None:
    assert evaluate(expression, parameters=EQUALS_PARAMETERS) is True


def test_not_equals_documented() -> None:
    assert evaluate("[not(equals(1, 2))]") is True


@pytest.mark.parametrize(
    "function, ints, strings",
    [
        ("greater", False, True),
        ("greaterOrEquals", False, True),
        ("less", True, False),
        ("lessOrEquals", True, False),
    ],
)
def test_ordering_documented(function: str, ints: bool, strings: bool) -> None:
    assert evaluate(f"[{function}(parameters('firstInt'), parameters('secondInt') )]", parameters=ORDER_PARAMETERS) is ints
    assert evaluate(f"[{function}(parameters('firstString'), parameters('secondString'))]", parameters=ORDER_PARAMETERS) is strings


# --- documented examples: template-functions-logical.md -------------------------------------


@pytest.mark.parametrize(
    "expression, expected",
    [
        ("[and(bool('true'), bool('false'))]", False),
        ("[or(bool('true'), bool('false'))]", True),
        ("[not(bool('true'))]", False),
        ("[bool('true')]", True),
        ("[bool('false')]", False),
        ("[bool(1)]", True),
        ("[bool(0)]", False),
        ("[if(equals('a', 'a'), 'yes', 'no')]", "yes"),
        ("[if(equals('a', 'b'), 'yes', 'no')]", "no"),
        ("[true()]", True),
        ("[false()]", False),
    ],
)
def test_logical_documented(expression: str, expected: Any) -> None:
    result = evaluate(expression)
    assert result == expected
    assert type(result) is type(expected)


@needs("json")
def test_if_documented_object_output() -> None:
    expression = "[if(equals('a', 'a'), json('{\"test\": \"value1\"}'), json('null'))]"
    assert evaluate(expression) == {"test": "value1"}


@needs("empty", "json")
def test_if_documented_conditionally_valid_reference() -> None:
    """With no workspace, the `reference()`/`listKeys()` branches are never evaluated."""
    params = {"logAnalytics": ""}
    workspace_id = (
        "[if(not(empty(parameters('logAnalytics'))), "
        "reference(parameters('logAnalytics'), '2015-11-01-preview').customerId, json('null'))]"
    )
    workspace_key = (
        "[if(not(empty(parameters('logAnalytics'))), "
        "listKeys(parameters('logAnalytics'), '2015-11-01-preview').primarySharedKey, json('null'))]"
    )
    status = "[if(not(empty(parameters('logAnalytics'))), 'Enabled monitoring for VM!', 'Nothing to enable')]"
    assert evaluate(workspace_id, parameters=params) is None
    assert evaluate(workspace_key, parameters=params) is None
    assert evaluate(status, parameters=params) == "Nothing to enable"


# --- coalesce -------------------------------------------------------------------------------


def test_coalesce_all_null_is_null() -> None:
    assert evaluate("[coalesce(null, parameters('a'))]", parameters={"a": None}) is None


def test_coalesce_keeps_empty_values() -> None:
    assert evaluate("[coalesce(null, parameters('a'), 'x')]", parameters={"a": ""}) == ""
    assert evaluate("[coalesce(parameters('a'), 'x')]", parameters={"a": []}) == []


def test_coalesce_unknown_before_value_is_unknown() -> None:
    result = evaluate("[coalesce(null, parameters('u'), 'x')]", parameters={"u": Unknown("ref", secret=True)})
    assert isinstance(result, Unknown)
    assert result.secret
    assert result.expression == "coalesce(null, parameters('u'), 'x')"


def test_coalesce_unknown_after_value_does_not_matter() -> None:
    assert evaluate("[coalesce('x', parameters('u'))]", parameters={"u": Unknown("ref")}) == "x"


def test_coalesce_evaluates_every_argument() -> None:
    with pytest.raises(ArmError):
        evaluate("[coalesce('x', parameters('missing'))]", parameters={})


# --- equals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "a, b, expected",
    [
        ("a", "A", False),
        (1, "1", False),
        (True, 1, False),
        (None, None, True),
        ({"Key": [1, {"x": None}]}, {"key": [1, {"X": None}]}, True),
        ([1, 2], [2, 1], False),
        (1, 1.0, True),
    ],
)
def test_equals_values(a: Any, b: Any, expected: bool) -> None:
    assert evaluate("[equals(parameters('a'), parameters('b'))]", parameters={"a": a, "b": b}) is expected


def test_equals_unknown_inside_is_unknown() -> None:
    result = evaluate("[equals(parameters('a'), parameters('b'))]", parameters={"a": [1, Unknown("x", nondeterministic=True)], "b": [1, 2]})
    assert isinstance(result, Unknown)
    assert result.nondeterministic


# --- ordering -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "a, b, expected",
    [
        ("a", "B", True),  # culture-aware: letters first, case second
        ("B", "a", False),
        ("a", "A", True),  # lower case before upper case at equal letters
        ("abc", "abd", True),
        ("ab", "abc", True),
        ("", "a", True),
        ("9", "a", True),
        ("-", "0", True),
        ("e", "é", True),
        ("é", "f", True),
        ("x", "x", False),
        (1, 2, True),
        (-5, 3, True),
        (2, 1.5, False),
        (1.5, 2, True),
    ],
)
def test_less_values(a: Any, b: Any, expected: bool) -> None:
    assert evaluate("[less(parameters('a'), parameters('b'))]", parameters={"a": a, "b": b}) is expected


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=6), st.text(max_size=6))
def test_string_ordering_is_consistent(a: str, b: str) -> None:
    params = {"a": a, "b": b}
    less = evaluate("[less(parameters('a'), parameters('b'))]", parameters=params)
    greater = evaluate("[greater(parameters('a'), parameters('b'))]", parameters=params)
    assert evaluate("[greater(parameters('b'), parameters('a'))]", parameters=params) is less
    assert not (less and greater)
    assert evaluate("[lessOrEquals(parameters('a'), parameters('b'))]", parameters=params) is (not greater)
    if a == b:
        assert not less and not greater


def test_or_equals_on_equal_values() -> None:
    assert evaluate("[lessOrEquals('x', 'x')]") is True
    assert evaluate("[greaterOrEquals(3, 3)]") is True
    assert evaluate("[greater(3, 3)]") is False


@pytest.mark.parametrize("a, b", [(1, "1"), ("a", 1), (True, False), ([1], [2]), (None, 1), ({"a": 1}, {"a": 2})])
def test_ordering_rejects_other_types(a: Any, b: Any) -> None:
    with pytest.raises(ArmError):
        evaluate("[greater(parameters('a'), parameters('b'))]", parameters={"a": a, "b": b})


def test_ordering_unknown_is_unknown() -> None:
    assert isinstance(evaluate("[less(parameters('u'), 3)]", parameters={"u": Unknown("u")}), Unknown)


# --- and / or / not -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expression, expected",
    [
        ("[and(true, true, true)]", True),
        ("[and(true, true, false)]", False),
        ("[or(false, false, false)]", False),
        ("[or(false, false, true)]", True),
    ],
)
def test_junctions_many_arguments(expression: str, expected: bool) -> None:
    assert evaluate(expression) is expected


def test_and_stops_at_first_false() -> None:
    assert evaluate("[and(false, fail('not evaluated'))]") is False
    assert evaluate("[and(false, parameters('missing'))]", parameters={}) is False


def test_or_stops_at_first_true() -> None:
    assert evaluate("[or(true, fail('not evaluated'))]") is True


def test_and_evaluates_until_decided() -> None:
    with pytest.raises(ArmError):
        evaluate("[and(true, fail('evaluated'))]")


def test_junction_unknown_then_decisive_value_decides() -> None:
    params = {"u": Unknown("u")}
    assert evaluate("[and(parameters('u'), false)]", parameters=params) is False
    assert evaluate("[or(parameters('u'), true)]", parameters=params) is True


def test_junction_unknown_undecided_is_unknown() -> None:
    params = {"u": Unknown("u", secret=True)}
    result = evaluate("[and(true, parameters('u'), true)]", parameters=params)
    assert isinstance(result, Unknown)
    assert result.secret
    assert isinstance(evaluate("[or(false, parameters('u'))]", parameters=params), Unknown)


@pytest.mark.parametrize("expression", ["[and(true, 'true')]", "[or(false, 1)]", "[not('false')]", "[and(null, true)]"])
def test_logical_rejects_non_booleans(expression: str) -> None:
    with pytest.raises(ArmError):
        evaluate(expression)


def test_not_unknown_is_unknown() -> None:
    result = evaluate("[not(parameters('u'))]", parameters={"u": Unknown("u", nondeterministic=True)})
    assert isinstance(result, Unknown)
    assert result.nondeterministic


def test_and_needs_two_arguments() -> None:
    with pytest.raises(ArmError):
        evaluate("[and(true)]")


# --- if -------------------------------------------------------------------------------------


def test_if_evaluates_only_the_chosen_branch() -> None:
    assert evaluate("[if(true, 'yes', fail('no'))]") == "yes"
    assert evaluate("[if(false, fail('no'), 'yes')]") == "yes"
    assert evaluate("[if(false, parameters('missing'), null)]", parameters={}) is None


def test_if_unknown_condition_is_unknown_and_evaluates_no_branch() -> None:
    result = evaluate("[if(parameters('u'), fail('a'), fail('b'))]", parameters={"u": Unknown("u", nondeterministic=True, secret=True)})
    assert isinstance(result, Unknown)
    assert result.nondeterministic and result.secret
    assert result.expression == "if(parameters('u'), fail('a'), fail('b'))"


def test_if_unknown_branch_value_is_returned() -> None:
    result = evaluate("[if(true, parameters('u'), 'x')]", parameters={"u": Unknown("u")})
    assert result == Unknown("u")


@pytest.mark.parametrize("condition", ["'true'", "1", "null"])
def test_if_rejects_non_boolean_condition(condition: str) -> None:
    with pytest.raises(ArmError):
        evaluate(f"[if({condition}, 'a', 'b')]")


def test_if_needs_three_arguments() -> None:
    with pytest.raises(ArmError):
        evaluate("[if(true, 'a')]")


# --- bool / true / false --------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [("True", True), ("FALSE", False), (" true ", True), (2, True), (-1, True), (True, True), (False, False)],
)
def test_bool_conversions(value: Any, expected: bool) -> None:
    assert evaluate("[bool(parameters('v'))]", parameters={"v": value}) is expected


@pytest.mark.parametrize("value", ["yes", "1", "", 1.5, None, [], {}])
def test_bool_rejects(value: Any) -> None:
    with pytest.raises(ArmError):
        evaluate("[bool(parameters('v'))]", parameters={"v": value})


def test_true_false_take_no_arguments() -> None:
    with pytest.raises(ArmError):
        evaluate("[true(1)]")
    with pytest.raises(ArmError):
        evaluate("[false('x')]")
