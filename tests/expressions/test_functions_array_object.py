"""Array and object functions: Microsoft's documented examples, edge cases, errors and Unknowns."""
from __future__ import annotations

from typing import Any

import pytest

from validator.expressions import ArmError, OpenObject, evaluate
from validator.expressions.values import Unknown

THREE = ["one", "two", "three"]
ENTITIES = {
    "item002": {"enabled": False, "displayName": "Example item 2", "number": 200},
    "item001": {"enabled": True, "displayName": "Example item 1", "number": 300},
}


def ev(text: str, **parameters: Any) -> Any:
    return evaluate(text, parameters=parameters)


def unknown(name: str = "x", secret: bool = False) -> Unknown:
    return Unknown(f"[parameters('{name}')]", secret=secret)


# --- documented examples ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1, [1]), ("efgh", ["efgh"]), ({"a": "b", "c": "d"}, [{"a": "b", "c": "d"}]), ([1, 2], [1, 2])],
)
def test_array_doc(value: Any, expected: Any) -> None:
    assert ev("[array(parameters('v'))]", v=value) == expected


def test_concat_arrays_doc() -> None:
    result = ev(
        "[concat(parameters('firstArray'), parameters('secondArray'))]",
        firstArray=["1-1", "1-2", "1-3"],
        secondArray=["2-1", "2-2", "2-3"],
    )
    assert result == ["1-1", "1-2", "1-3", "2-1", "2-2", "2-3"]


def test_concat_strings() -> None:
    assert ev("[concat(parameters('prefix'), '-', 'suffix')]", prefix="prefix") == "prefix-suffix"
    assert ev("[concat('a', 1, parameters('t'))]", t=True) == "a1True"


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("[contains(parameters('stringToTest'), 'e')]", True),
        ("[contains(parameters('stringToTest'), 'z')]", False),
        ("[contains(parameters('objectToTest'), 'one')]", True),
        ("[contains(parameters('objectToTest'), 'a')]", False),
        ("[contains(parameters('arrayToTest'), 'three')]", True),
        ("[contains(parameters('arrayToTest'), 'four')]", False),
    ],
)
def test_contains_doc(expression: str, expected: bool) -> None:
    params = {"stringToTest": "OneTwoThree", "objectToTest": {"one": "a", "two": "b", "three": "c"}, "arrayToTest": THREE}
    assert ev(expression, **params) is expected


def test_contains_case_rules() -> None:
    assert ev("[contains('OneTwoThree', 'two')]") is False  # strings: case-sensitive
    assert ev("[contains(parameters('o'), 'ONE')]", o={"one": 1}) is True  # keys: case-insensitive
    assert ev("[contains(parameters('a'), 'ONE')]", a=["one"]) is False
    assert ev("[contains(parameters('a'), 2)]", a=[1, 2]) is True
    assert ev("[contains(parameters('a'), '2')]", a=[1, 2]) is False
    assert ev("[contains(parameters('a'), parameters('b'))]", a=[[1, 2], {"k": "v"}], b={"K": "v"}) is True
    assert ev("[contains('abc123', 12)]") is True


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("[createArray('a', 'b', 'c')]", ["a", "b", "c"]),
        ("[createArray(1, 2, 3)]", [1, 2, 3]),
        ("[createArray(parameters('objectToTest'))]", [{"one": "a", "two": "b", "three": "c"}]),
        ("[createArray(parameters('arrayToTest'))]", [["one", "two", "three"]]),
        ("[createArray()]", []),
    ],
)
def test_create_array_doc(expression: str, expected: Any) -> None:
    assert ev(expression, objectToTest={"one": "a", "two": "b", "three": "c"}, arrayToTest=THREE) == expected


def test_create_object_doc() -> None:
    result = ev(
        "[createObject('intProp', 1, 'stringProp', 'abc', 'boolProp', parameters('t'), "
        "'arrayProp', createArray('a', 'b', 'c'), 'objectProp', createObject('key1', 'value1'))]",
        t=True,
    )
    assert result == {
        "intProp": 1,
        "stringProp": "abc",
        "boolProp": True,
        "arrayProp": ["a", "b", "c"],
        "objectProp": {"key1": "value1"},
    }
    assert ev("[createObject()]") == {}


@pytest.mark.parametrize("value", [[], {}, ""])
def test_empty_doc(value: Any) -> None:
    assert ev("[empty(parameters('v'))]", v=value) is True


def test_empty_non_empty_and_null() -> None:
    assert ev("[empty(parameters('v'))]", v=[0]) is False
    assert ev("[empty(parameters('v'))]", v={"a": None}) is False
    assert ev("[empty('x')]") is False
    assert ev("[empty(null())]") is True  # the null() example: emptyOutput is True


def test_first_last_doc() -> None:
    assert ev("[first(parameters('arrayToTest'))]", arrayToTest=THREE) == "one"
    assert ev("[first('One Two Three')]") == "O"
    assert ev("[last(parameters('arrayToTest'))]", arrayToTest=THREE) == "three"
    assert ev("[last('One Two Three')]") == "e"


def test_first_last_of_empty() -> None:
    assert ev("[first(createArray())]") is None
    assert ev("[last(createArray())]") is None
    assert ev("[first('')]") == ""
    assert ev("[last('')]") == ""


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("[lastIndexOf(variables('names'), 'two')]", 1),
        ("[indexOf(variables('names'), 'one')]", 0),
        ("[lastIndexOf(variables('names'), 'Three')]", -1),
        ("[lastIndexOf(variables('numbers'), 4)]", 0),
        ("[indexOf(variables('numbers'), 6)]", 2),
        ("[lastIndexOf(variables('numbers'), '5')]", -1),
        ("[indexOf(variables('collection'), variables('numbers'))]", 1),
        ("[indexOf(variables('duplicates'), 1)]", 0),
        ("[lastIndexOf(variables('duplicates'), 1)]", 3),
    ],
)
def test_index_of_arrays_doc(expression: str, expected: int) -> None:
    variables = {
        "names": THREE,
        "numbers": [4, 5, 6],
        "collection": [THREE, [4, 5, 6]],
        "duplicates": [1, 2, 3, 1],
    }
    assert evaluate(expression, variables=variables) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("[indexOf('test', 't')]", 0),
        ("[lastIndexOf('test', 't')]", 3),
        ("[indexOf('abcdef', 'CD')]", 2),
        ("[lastIndexOf('abcdef', 'AB')]", 0),
        ("[indexOf('abcdef', 'z')]", -1),
        ("[lastIndexOf('abcdef', 'z')]", -1),
    ],
)
def test_index_of_strings_doc(expression: str, expected: int) -> None:
    assert ev(expression) == expected


def test_index_of_objects_by_value() -> None:
    assert ev("[indexOf(parameters('a'), parameters('b'))]", a=[{"x": 1}, {"y": 2}], b={"Y": 2}) == 1


def test_intersection_doc() -> None:
    result = ev(
        "[intersection(parameters('firstObject'), parameters('secondObject'))]",
        firstObject={"one": "a", "two": "b", "three": "c"},
        secondObject={"one": "a", "two": "z", "three": "c"},
    )
    assert result == {"one": "a", "three": "c"}
    assert ev(
        "[intersection(parameters('firstArray'), parameters('secondArray'))]",
        firstArray=THREE,
        secondArray=["two", "three"],
    ) == ["two", "three"]


def test_intersection_three_arrays_and_duplicates() -> None:
    assert ev("[intersection(parameters('a'), parameters('b'), parameters('c'))]", a=[1, 2, 2, 3], b=[2, 3, 2], c=[3, 2]) == [2, 3]


def test_items_doc() -> None:
    assert evaluate("[items(variables('entities'))]", variables={"entities": ENTITIES}) == [
        {"key": "item001", "value": {"displayName": "Example item 1", "enabled": True, "number": 300}},
        {"key": "item002", "value": {"displayName": "Example item 2", "enabled": False, "number": 200}},
    ]
    assert evaluate("[items(variables('entities'))[1].value.displayName]", variables={"entities": ENTITIES}) == "Example item 2"
    assert evaluate("[length(items(variables('entities')))]", variables={"entities": ENTITIES}) == 2


def test_length_doc() -> None:
    obj = {"propA": "one", "propB": "two", "propC": "three", "propD": {"propD-1": "sub", "propD-2": "sub"}}
    assert ev("[length(parameters('arrayToTest'))]", arrayToTest=THREE) == 3
    assert ev("[length(parameters('stringToTest'))]", stringToTest="One Two Three") == 13
    assert ev("[length(parameters('objectToTest'))]", objectToTest=obj) == 4


def test_length_counts_utf16_units() -> None:
    assert ev("[length(parameters('s'))]", s="a\U0001F600") == 3


@pytest.mark.parametrize("function", ["max", "min"])
def test_max_min_doc(function: str) -> None:
    expected = 5 if function == "max" else 0
    assert ev(f"[{function}(parameters('arrayToTest'))]", arrayToTest=[0, 3, 2, 5, 4]) == expected
    assert ev(f"[{function}(0,3,2,5,4)]") == expected


def test_max_min_single_and_negative() -> None:
    assert ev("[max(7)]") == 7
    assert ev("[min(-4, 2)]") == -4


def test_null_doc() -> None:
    assert ev("[null()]") is None


def test_object_keys() -> None:
    assert ev("[objectKeys(parameters('obj'))]", obj={"a": 1, "b": 2}) == ["a", "b"]
    assert ev("[objectKeys(createObject())]") == []


def test_range_doc() -> None:
    assert ev("[range(parameters('startingInt'), parameters('numberOfElements'))]", startingInt=5, numberOfElements=3) == [5, 6, 7]
    assert ev("[range(0, 0)]") == []
    assert ev("[range(-2, 3)]") == [-2, -1, 0]
    assert len(ev("[range(2147473647, 10000)]")) == 10000


@pytest.mark.parametrize("expression", ["[range(0, 10001)]", "[range(0, -1)]", "[range(2147483647, 1)]", "[range('1', 2)]"])
def test_range_limits(expression: str) -> None:
    with pytest.raises(ArmError):
        ev(expression)


def test_shallow_merge() -> None:
    first_array = [{"one": "a"}, {"two": "b"}, {"two": "c"}]
    assert ev("[shallowMerge(parameters('a'))]", a=first_array) == {"one": "a", "two": "c"}
    second_array = [{"one": "a", "nested": {"a": 1, "nested": {"c": 3}}}, {"two": "b", "nested": {"b": 2}}]
    assert ev("[shallowMerge(parameters('a'))]", a=second_array) == {"one": "a", "nested": {"b": 2}, "two": "b"}
    assert ev("[shallowMerge(createArray())]") == {}


def test_skip_take_doc() -> None:
    assert ev("[skip(parameters('testArray'), 2)]", testArray=THREE) == ["three"]
    assert ev("[skip(parameters('testString'), 4)]", testString="one two three") == "two three"
    assert ev("[take(parameters('testArray'), 2)]", testArray=THREE) == ["one", "two"]
    assert ev("[take(parameters('testString'), 2)]", testString="one two three") == "on"


def test_skip_take_bounds() -> None:
    assert ev("[skip(parameters('a'), -1)]", a=THREE) == THREE
    assert ev("[skip(parameters('a'), 9)]", a=THREE) == []
    assert ev("[take(parameters('a'), 0)]", a=THREE) == []
    assert ev("[take(parameters('a'), 9)]", a=THREE) == THREE
    assert ev("[skip('abc', 5)]") == ""
    assert ev("[take('abc', -5)]") == ""


def test_union_doc() -> None:
    result = ev(
        "[union(parameters('firstObject'), parameters('secondObject'))]",
        firstObject={"one": "a", "two": "b", "three": "c1"},
        secondObject={"three": "c2", "four": "d", "five": "e"},
    )
    assert result == {"one": "a", "two": "b", "three": "c2", "four": "d", "five": "e"}
    assert ev(
        "[union(parameters('firstArray'), parameters('secondArray'))]",
        firstArray=THREE,
        secondArray=["three", "four"],
    ) == ["one", "two", "three", "four"]


def test_union_deep_merge_doc() -> None:
    variables = {
        "firstObject": {"property": {"one": "a", "two": "b", "three": "c1"}, "nestedArray": [1, 2]},
        "secondObject": {"property": {"three": "c2", "four": "d", "five": "e"}, "nestedArray": [3, 4]},
        "firstArray": [["one", "two"], ["three"]],
        "secondArray": [["three"], ["four", "two"]],
    }
    assert evaluate("[union(variables('firstObject'), variables('secondObject'))]", variables=variables) == {
        "property": {"one": "a", "two": "b", "three": "c2", "four": "d", "five": "e"},
        "nestedArray": [3, 4],
    }
    assert evaluate("[union(variables('firstArray'), variables('secondArray'))]", variables=variables) == [
        ["one", "two"],
        ["three"],
        ["four", "two"],
    ]


def test_union_does_not_change_its_arguments() -> None:
    first = {"p": {"a": 1}}
    ev("[union(parameters('f'), parameters('s'))]", f=first, s={"p": {"b": 2}})
    assert first == {"p": {"a": 1}}


def test_try_get() -> None:
    users = {"name": "John Doe", "age": 30}
    assert ev("[tryGet(parameters('u'), 'name')]", u=users) == "John Doe"
    assert ev("[tryGet(parameters('u'), 'NAME')]", u=users) == "John Doe"
    assert ev("[tryGet(parameters('u'), 'address')]", u=users) is None
    versions = ["v1.0.0", "v1.1.0", "v1.2.0"]
    assert ev("[tryGet(parameters('v'), 2)]", v=versions) == "v1.2.0"
    assert ev("[tryGet(parameters('v'), 5)]", v=versions) is None
    assert ev("[tryGet(parameters('v'), -1)]", v=versions) is None
    nested = {"a": {"b": [10, 20]}}
    assert ev("[tryGet(parameters('n'), 'a', 'b', 1)]", n=nested) == 20
    assert ev("[tryGet(parameters('n'), 'a', 'c', 1)]", n=nested) is None
    assert ev("[tryGet(null(), 'a')]") is None


def test_index_from_end() -> None:
    assert ev("[indexFromEnd(parameters('a'), 1)]", a=THREE) == "three"
    assert ev("[indexFromEnd(parameters('a'), 3)]", a=THREE) == "one"
    assert ev("[tryIndexFromEnd(parameters('a'), 2)]", a=THREE) == "two"
    assert ev("[tryIndexFromEnd(parameters('a'), 4)]", a=THREE) is None
    assert ev("[tryIndexFromEnd(parameters('a'), 0)]", a=THREE) is None
    assert ev("[tryIndexFromEnd(createArray(), 1)]") is None
    assert ev("[indexFromEnd('abc', 1)]") == "c"


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expression",
    [
        "[indexFromEnd(parameters('a'), 4)]",
        "[indexFromEnd(parameters('a'), 0)]",
        "[createObject('a')]",
        "[createObject(1, 'a')]",
        "[concat(createArray(1), 'a')]",
        "[union(createArray(1), createObject())]",
        "[intersection(createObject(), createArray())]",
        "[union(1, 2)]",
        "[length(1)]",
        "[length(null())]",
        "[empty(1)]",
        "[first(1)]",
        "[last(1)]",
        "[skip(1, 1)]",
        "[take(createArray(), 'a')]",
        "[items(createArray())]",
        "[objectKeys('a')]",
        "[contains(1, 1)]",
        "[contains('abc', createArray())]",
        "[indexOf(1, 1)]",
        "[max(createArray())]",
        "[max('a', 1)]",
        "[min(createArray(1, 'a'))]",
        "[shallowMerge(createArray(1))]",
        "[shallowMerge(createObject())]",
        "[tryGet(parameters('a'), 'x')]",
        "[tryGet(createObject('a', 1), 0)]",
        "[array()]",
        "[concat()]",
    ],
)
def test_errors_are_arm_errors(expression: str) -> None:
    with pytest.raises(ArmError):
        ev(expression, a=THREE)


def test_max_rejects_booleans() -> None:
    with pytest.raises(ArmError):
        ev("[max(parameters('a'))]", a=[1, True])


# --- Unknowns ---------------------------------------------------------------------------------


def test_shallow_functions_see_through_unknown_elements() -> None:
    a = [1, unknown("a")]
    assert ev("[length(parameters('a'))]", a=a) == 2
    assert ev("[empty(parameters('a'))]", a=a) is False
    assert ev("[first(parameters('a'))]", a=a) == 1
    assert ev("[last(parameters('a'))]", a=a) == unknown("a")
    assert ev("[skip(parameters('a'), 1)]", a=a) == [unknown("a")]
    assert ev("[take(parameters('a'), 1)]", a=a) == [1]
    assert ev("[array(parameters('a'))]", a=a) == a
    assert ev("[createArray(parameters('a'))]", a=a) == [a]
    assert ev("[length(concat(parameters('a'), createArray(2)))]", a=a) == 3
    assert ev("[tryIndexFromEnd(parameters('a'), 2)]", a=a) == 1
    assert ev("[indexFromEnd(parameters('a'), 2)]", a=a) == 1


def test_shallow_object_functions_with_unknown_values() -> None:
    o = {"b": unknown("o"), "a": 1}
    assert ev("[objectKeys(parameters('o'))]", o=o) == ["b", "a"]
    assert ev("[items(parameters('o'))]", o=o) == [{"key": "a", "value": 1}, {"key": "b", "value": unknown("o")}]
    assert ev("[tryGet(parameters('o'), 'a')]", o=o) == 1
    assert ev("[tryGet(parameters('o'), 'missing')]", o=o) is None
    assert ev("[createObject('k', parameters('o'))]", o=o) == {"k": o}
    assert ev("[length(parameters('o'))]", o=o) == 2
    assert ev("[contains(parameters('o'), 'A')]", o=o) is True
    assert ev("[shallowMerge(createArray(parameters('o'), createObject('a', 2)))]", o=o) == {"b": unknown("o"), "a": 2}


def test_top_level_unknown_short_circuits() -> None:
    for expression in ["[length(parameters('x'))]", "[first(parameters('x'))]", "[objectKeys(parameters('x'))]"]:
        assert isinstance(ev(expression, x=unknown()), Unknown)


def test_unknown_keeps_secrecy() -> None:
    result = ev("[union(parameters('a'), createArray(1))]", a=[unknown("a", secret=True)])
    assert isinstance(result, Unknown) and result.secret


def test_comparing_functions_are_unknown_with_unknown_elements() -> None:
    a = [1, unknown("a")]
    for expression in [
        "[indexOf(parameters('a'), 1)]",
        "[lastIndexOf(parameters('a'), 1)]",
        "[intersection(parameters('a'), createArray(1))]",
        "[union(parameters('a'), createArray(1))]",
        "[max(parameters('a'))]",
        "[min(parameters('a'))]",
        "[contains(parameters('a'), 3)]",
        "[concat('x', parameters('o'))]",
    ]:
        assert isinstance(ev(expression, a=a, o={"k": unknown("o")}), Unknown), expression


def test_contains_finds_known_match_despite_unknowns() -> None:
    assert ev("[contains(parameters('a'), 1)]", a=[1, unknown("a")]) is True


def test_union_of_objects_with_unknown_values() -> None:
    first = {"a": unknown("f"), "b": {"x": 1}, "c": 1}
    second = {"b": {"y": 2}, "c": unknown("s"), "d": 4}
    result = ev("[union(parameters('f'), parameters('s'))]", f=first, s=second)
    assert result == {"a": unknown("f"), "b": {"x": 1, "y": 2}, "c": unknown("s"), "d": 4}
    # An Unknown that might be an object to merge with leaves that property unknown.
    merged = ev("[union(parameters('f'), parameters('s'))]", f={"p": unknown("f")}, s={"p": {"y": 2}})
    assert isinstance(merged["p"], Unknown)


def test_open_objects() -> None:
    open_object = OpenObject(outputs={"a": 1})
    assert isinstance(ev("[length(parameters('o'))]", o=open_object), Unknown)
    assert isinstance(ev("[contains(parameters('o'), 'provisioningState')]", o=open_object), Unknown)
    assert ev("[contains(parameters('o'), 'outputs')]", o=open_object) is True
    assert isinstance(ev("[tryGet(parameters('o'), 'provisioningState')]", o=open_object), Unknown)
    assert ev("[empty(parameters('o'))]", o=open_object) is False
    assert isinstance(ev("[objectKeys(parameters('o'))]", o=open_object), Unknown)


def test_try_get_into_a_scalar_finds_nothing() -> None:
    # Azure deploys Azure Verified Modules templates that step into a string with tryGet().
    assert evaluate("[tryGet('abc', 1)]") is None
