"""Lambda template functions: Microsoft's documented examples, the optional index variable,
Unknown propagation and the documented limitations."""
from __future__ import annotations

from typing import Any

import pytest

from validator.expressions import ArmError, OpenObject, Unknown, evaluate
from validator.expressions.functions import ALL_FUNCTIONS


def needs(*names: str) -> pytest.MarkDecorator:
    """Skip until the other function groups this test uses are implemented."""
    missing = [name for name in names if name.lower() not in ALL_FUNCTIONS]
    return pytest.mark.skipif(bool(missing), reason=f"waiting for {', '.join(missing)}")


EVIE = {"name": "Evie", "age": 5, "interests": ["Ball", "Frisbee"]}
CASPER = {"name": "Casper", "age": 3, "interests": ["Other dogs"]}
INDY = {"name": "Indy", "age": 2, "interests": ["Butter"]}
KIRA = {"name": "Kira", "age": 8, "interests": ["Rubs"]}
DOGS = {"dogs": [EVIE, CASPER, INDY, KIRA]}

DOGS_WITH_PROPERTIES = {
    "dogs": [
        {"name": "Evie", "properties": {"age": 5, "interests": ["Ball", "Frisbee"]}},
        {"name": "Casper", "properties": {"age": 3, "interests": ["Other dogs"]}},
        {"name": "Indy", "properties": {"age": 2, "interests": ["Butter"]}},
        {"name": "Kira", "properties": {"age": 8, "interests": ["Rubs"]}},
    ]
}

DOGS_OBJECT = {"Evie": EVIE, "Casper": CASPER, "Indy": INDY, "Kira": KIRA}


# --- documented examples: template-functions-lambda.md --------------------------------------


def test_filter_documented_old_dogs() -> None:
    expression = "[filter(variables('dogs'), lambda('dog', greaterOrEquals(lambdaVariables('dog').age, 5)))]"
    assert evaluate(expression, variables=DOGS) == [EVIE, KIRA]


def test_filter_documented_filtered_loop() -> None:
    expression = "[filter(variables('itemForLoop'), lambda('i', greater(lambdaVariables('i'), 5)))]"
    assert evaluate(expression, variables={"itemForLoop": list(range(10))}) == [6, 7, 8, 9]


@needs("range", "mod")
def test_filter_documented_is_even() -> None:
    expression = "[filter(range(0, 10), lambda('i', equals(0, mod(lambdaVariables('i'), 2))))]"
    assert evaluate(expression) == [0, 2, 4, 6, 8]


@needs("substring")
def test_filter_documented_with_index() -> None:
    """Bicep's `filter(dogs, (val, i) => i < 2 && substring(val.name, 0, 1) == 'C')`."""
    expression = (
        "[filter(variables('dogs'), lambda('val', 'i', and(less(lambdaVariables('i'), 2), "
        "equals(substring(lambdaVariables('val').name, 0, 1), 'C'))))]"
    )
    assert evaluate(expression, variables=DOGS) == [CASPER]


def test_map_documented_dog_names() -> None:
    expression = "[map(variables('dogs'), lambda('dog', lambdaVariables('dog').name))]"
    assert evaluate(expression, variables=DOGS) == ["Evie", "Casper", "Indy", "Kira"]


@needs("format")
def test_map_documented_say_hi() -> None:
    expression = "[map(variables('dogs'), lambda('dog', format('Hello {0}!', lambdaVariables('dog').name)))]"
    assert evaluate(expression, variables=DOGS) == ["Hello Evie!", "Hello Casper!", "Hello Indy!", "Hello Kira!"]


@needs("range", "length", "createObject", "format")
def test_map_documented_map_object() -> None:
    expression = (
        "[map(range(0, length(variables('dogs'))), lambda('i', createObject('i', lambdaVariables('i'), "
        "'dog', variables('dogs')[lambdaVariables('i')].name, "
        "'greeting', format('Ahoy, {0}!', variables('dogs')[lambdaVariables('i')].name))))]"
    )
    assert evaluate(expression, variables=DOGS) == [
        {"i": 0, "dog": "Evie", "greeting": "Ahoy, Evie!"},
        {"i": 1, "dog": "Casper", "greeting": "Ahoy, Casper!"},
        {"i": 2, "dog": "Indy", "greeting": "Ahoy, Indy!"},
        {"i": 3, "dog": "Kira", "greeting": "Ahoy, Kira!"},
    ]


@needs("add")
@pytest.mark.parametrize("initial, expected", [(0, 18), (1, 19)])
def test_reduce_documented_total_age(initial: int, expected: int) -> None:
    ages = "map(variables('dogs'), lambda('dog', lambdaVariables('dog').age))"
    expression = f"[reduce({ages}, {initial}, lambda('cur', 'next', add(lambdaVariables('cur'), lambdaVariables('next'))))]"
    assert evaluate(expression, variables=DOGS) == expected


@needs("createArray", "createObject", "union")
def test_reduce_documented_object_union() -> None:
    expression = (
        "[reduce(createArray(createObject('foo', 123), createObject('bar', 456), createObject('baz', 789)), "
        "createObject(), lambda('cur', 'next', union(lambdaVariables('cur'), lambdaVariables('next'))))]"
    )
    assert evaluate(expression) == {"foo": 123, "bar": 456, "baz": 789}


def test_sort_documented_dogs_by_age() -> None:
    expression = "[sort(variables('dogs'), lambda('a', 'b', less(lambdaVariables('a').age, lambdaVariables('b').age)))]"
    assert evaluate(expression, variables=DOGS) == [INDY, CASPER, EVIE, KIRA]


def test_to_object_documented_key_only() -> None:
    expression = "[toObject(variables('dogs'), lambda('entry', lambdaVariables('entry').name))]"
    result = evaluate(expression, variables=DOGS)
    assert result == DOGS_OBJECT
    assert list(result) == ["Evie", "Casper", "Indy", "Kira"]


def test_to_object_documented_identity_value() -> None:
    expression = "[toObject(variables('dogs'), lambda('entry', lambdaVariables('entry').name), lambda('entry', lambdaVariables('entry')))]"
    assert evaluate(expression, variables=DOGS) == DOGS_OBJECT


def test_to_object_documented_value_lambda() -> None:
    expression = (
        "[toObject(variables('dogs'), lambda('entry', lambdaVariables('entry').name), "
        "lambda('entry', lambdaVariables('entry').properties))]"
    )
    assert evaluate(expression, variables=DOGS_WITH_PROPERTIES) == {
        "Evie": {"age": 5, "interests": ["Ball", "Frisbee"]},
        "Casper": {"age": 3, "interests": ["Other dogs"]},
        "Indy": {"age": 2, "interests": ["Butter"]},
        "Kira": {"age": 8, "interests": ["Rubs"]},
    }


@needs("createArray", "substring")
def test_group_by_documented() -> None:
    """Bicep's `groupBy(['foo', 'bar', 'baz'], x => substring(x, 0, 1))`."""
    expression = "[groupBy(createArray('foo', 'bar', 'baz'), lambda('x', substring(lambdaVariables('x'), 0, 1)))]"
    assert evaluate(expression) == {"f": ["foo"], "b": ["bar", "baz"]}


@needs("createObject", "toUpper")
def test_map_values_documented() -> None:
    """Bicep's `mapValues({ foo: 'foo' }, val => toUpper(val))`."""
    expression = "[mapValues(createObject('foo', 'foo'), lambda('val', toUpper(lambdaVariables('val'))))]"
    assert evaluate(expression) == {"foo": "FOO"}


# --- the core of each function, with parameters only ----------------------------------------


def test_filter_with_parameters() -> None:
    expression = "[filter(parameters('a'), lambda('x', equals(lambdaVariables('x'), 1)))]"
    assert evaluate(expression, parameters={"a": [1, 2, 1]}) == [1, 1]
    assert evaluate(expression, parameters={"a": []}) == []


def test_filter_index_variable() -> None:
    expression = "[filter(parameters('a'), lambda('x', 'i', greaterOrEquals(lambdaVariables('i'), 1)))]"
    assert evaluate(expression, parameters={"a": ["p", "q", "r"]}) == ["q", "r"]


def test_map_index_variable() -> None:
    expression = "[map(parameters('a'), lambda('x', 'i', if(equals(lambdaVariables('i'), 0), lambdaVariables('x'), lambdaVariables('i'))))]"
    assert evaluate(expression, parameters={"a": ["p", "q", "r"]}) == ["p", 1, 2]


def test_reduce_two_variables() -> None:
    # The largest element, with no numeric helper needed.
    expression = (
        "[reduce(parameters('a'), 0, lambda('cur', 'next', "
        "if(greater(lambdaVariables('next'), lambdaVariables('cur')), lambdaVariables('next'), lambdaVariables('cur'))))]"
    )
    assert evaluate(expression, parameters={"a": [3, 9, 4]}) == 9


def test_reduce_index_variable() -> None:
    expression = (
        "[reduce(parameters('a'), -1, lambda('cur', 'next', 'i', "
        "if(equals(lambdaVariables('next'), 'b'), lambdaVariables('i'), lambdaVariables('cur'))))]"
    )
    assert evaluate(expression, parameters={"a": ["a", "b", "c"]}) == 1


def test_reduce_empty_array_is_initial_value() -> None:
    assert evaluate("[reduce(parameters('a'), 'start', lambda('c', 'n', lambdaVariables('n')))]", parameters={"a": []}) == "start"


def test_sort_is_stable() -> None:
    items = [{"k": 2, "id": "a"}, {"k": 1, "id": "b"}, {"k": 2, "id": "c"}, {"k": 1, "id": "d"}]
    expression = "[sort(parameters('a'), lambda('x', 'y', less(lambdaVariables('x').k, lambdaVariables('y').k)))]"
    assert [item["id"] for item in evaluate(expression, parameters={"a": items})] == ["b", "d", "a", "c"]


def test_sort_descending_strings() -> None:
    expression = "[sort(parameters('a'), lambda('x', 'y', greater(lambdaVariables('x'), lambdaVariables('y'))))]"
    assert evaluate(expression, parameters={"a": ["b", "C", "a"]}) == ["C", "b", "a"]


def test_group_by_keeps_order_and_maps_values() -> None:
    expression = "[groupBy(parameters('a'), lambda('x', lambdaVariables('x').kind), lambda('x', lambdaVariables('x').id))]"
    items = [{"kind": "vm", "id": 1}, {"kind": "disk", "id": 2}, {"kind": "vm", "id": 3}]
    result = evaluate(expression, parameters={"a": items})
    assert result == {"vm": [1, 3], "disk": [2]}
    assert list(result) == ["vm", "disk"]


def test_map_values_with_parameters() -> None:
    expression = "[mapValues(parameters('o'), lambda('v', lambdaVariables('v').name))]"
    assert evaluate(expression, parameters={"o": {"a": {"name": "x"}, "b": {"name": "y"}}}) == {"a": "x", "b": "y"}


def test_map_values_keeps_an_open_object_open() -> None:
    result = evaluate("[mapValues(parameters('o'), lambda('v', lambdaVariables('v')))]", parameters={"o": OpenObject(a=1)})
    assert isinstance(result, OpenObject)
    assert result == {"a": 1}


def test_lambda_variable_names_are_case_insensitive() -> None:
    assert evaluate("[map(parameters('a'), lambda('Item', lambdaVariables('iTEM')))]", parameters={"a": [1]}) == [1]


def test_nested_lambdas_see_outer_variables() -> None:
    expression = (
        "[map(parameters('a'), lambda('x', filter(parameters('b'), "
        "lambda('y', equals(lambdaVariables('x'), lambdaVariables('y'))))))]"
    )
    assert evaluate(expression, parameters={"a": [1, 2], "b": [2, 1, 2]}) == [[1], [2, 2]]


def test_inner_lambda_variable_shadows_outer() -> None:
    expression = "[map(parameters('a'), lambda('x', map(parameters('b'), lambda('x', lambdaVariables('x')))))]"
    assert evaluate(expression, parameters={"a": [1], "b": ["p"]}) == [["p"]]


# --- Unknowns -------------------------------------------------------------------------------


def test_map_keeps_unknown_elements_in_place() -> None:
    expression = "[map(parameters('a'), lambda('x', lambdaVariables('x').name))]"
    result = evaluate(expression, parameters={"a": [{"name": "p"}, Unknown("ref", secret=True)]})
    assert result[0] == "p"
    assert isinstance(result[1], Unknown) and result[1].secret


def test_map_over_unknown_array_is_unknown() -> None:
    result = evaluate("[map(parameters('a'), lambda('x', 1))]", parameters={"a": Unknown("a", nondeterministic=True)})
    assert isinstance(result, Unknown) and result.nondeterministic


def test_filter_unknown_decision_makes_result_unknown() -> None:
    expression = "[filter(parameters('a'), lambda('x', equals(lambdaVariables('x'), 1)))]"
    result = evaluate(expression, parameters={"a": [1, Unknown("u", nondeterministic=True)]})
    assert isinstance(result, Unknown)
    assert result.nondeterministic
    assert result.expression == "filter(parameters('a'), lambda('x', equals(lambdaVariables('x'), 1)))"


def test_filter_known_decision_keeps_unknown_element() -> None:
    expression = "[filter(parameters('a'), lambda('x', 'i', equals(lambdaVariables('i'), 1)))]"
    assert evaluate(expression, parameters={"a": [1, Unknown("u")]}) == [Unknown("u")]


def test_sort_unknown_decision_makes_result_unknown() -> None:
    expression = "[sort(parameters('a'), lambda('x', 'y', less(lambdaVariables('x'), lambdaVariables('y'))))]"
    result = evaluate(expression, parameters={"a": [2, Unknown("u", secret=True), 1]})
    assert isinstance(result, Unknown) and result.secret


def test_to_object_unknown_key_makes_result_unknown() -> None:
    expression = "[toObject(parameters('a'), lambda('x', lambdaVariables('x')))]"
    assert isinstance(evaluate(expression, parameters={"a": ["k", Unknown("u")]}), Unknown)


def test_to_object_unknown_value_stays_in_place() -> None:
    expression = "[toObject(parameters('a'), lambda('x', lambdaVariables('x').k), lambda('x', lambdaVariables('x').v))]"
    result = evaluate(expression, parameters={"a": [{"k": "a", "v": Unknown("u")}]})
    assert result == {"a": Unknown("u")}


def test_group_by_unknown_key_makes_result_unknown() -> None:
    expression = "[groupBy(parameters('a'), lambda('x', lambdaVariables('x').k))]"
    assert isinstance(evaluate(expression, parameters={"a": [{"k": Unknown("u")}]}), Unknown)


def test_reduce_carries_unknowns_through() -> None:
    expression = "[reduce(parameters('a'), 0, lambda('c', 'n', lambdaVariables('n')))]"
    assert evaluate(expression, parameters={"a": [1, Unknown("u")]}) == Unknown("u")


# --- errors and documented limitations ------------------------------------------------------


def test_lambda_must_be_written_directly_as_the_argument() -> None:
    with pytest.raises(ArmError):
        evaluate("[map(parameters('a'), parameters('f'))]", parameters={"a": [1], "f": "x"})
    with pytest.raises(ArmError):
        evaluate("[map(parameters('a'), if(true, lambda('x', 1), lambda('x', 2)))]", parameters={"a": [1]})


def test_lambda_names_must_be_string_literals() -> None:
    with pytest.raises(ArmError):
        evaluate("[map(parameters('a'), lambda(parameters('n'), 1))]", parameters={"a": [1], "n": "x"})
    with pytest.raises(ArmError):
        evaluate("[map(parameters('a'), lambda(1, 1))]", parameters={"a": [1]})
    with pytest.raises(ArmError):
        evaluate("[map(parameters('a'), lambda('x', 'X', 1))]", parameters={"a": [1]})


def test_lambda_needs_a_name_and_a_body() -> None:
    with pytest.raises(ArmError):
        evaluate("[map(parameters('a'), lambda('x'))]", parameters={"a": [1]})


@pytest.mark.parametrize(
    "expression",
    [
        "[map(parameters('a'), lambda('x', 'i', 'j', 1))]",
        "[filter(parameters('a'), lambda('x', 'i', 'j', true))]",
        "[sort(parameters('a'), lambda('x', true))]",
        "[reduce(parameters('a'), 0, lambda('x', 1))]",
        "[toObject(parameters('a'), lambda('x', 'i', 'k'))]",
        "[groupBy(parameters('a'), lambda('x', 'i', 'k'))]",
        "[mapValues(parameters('o'), lambda('k', 'v', 1))]",
    ],
)
def test_lambda_arity_is_checked(expression: str) -> None:
    with pytest.raises(ArmError):
        evaluate(expression, parameters={"a": [1], "o": {"a": 1}})


def test_lambda_variables_outside_a_lambda_is_an_error() -> None:
    with pytest.raises(ArmError):
        evaluate("[lambdaVariables('x')]")
    with pytest.raises(ArmError):
        evaluate("[map(parameters('a'), lambda('x', lambdaVariables('y')))]", parameters={"a": [1]})


@pytest.mark.parametrize(
    "expression, params",
    [
        ("[map(parameters('a'), lambda('x', 1))]", {"a": "abc"}),
        ("[filter(parameters('a'), lambda('x', true))]", {"a": {"k": 1}}),
        ("[mapValues(parameters('a'), lambda('x', 1))]", {"a": [1]}),
        ("[sort(parameters('a'), lambda('x', 'y', true))]", {"a": None}),
    ],
)
def test_input_type_is_checked(expression: str, params: dict[str, Any]) -> None:
    with pytest.raises(ArmError):
        evaluate(expression, parameters=params)


@pytest.mark.parametrize(
    "expression",
    [
        "[filter(parameters('a'), lambda('x', 1))]",
        "[filter(parameters('a'), lambda('x', 'true'))]",
        "[sort(parameters('a'), lambda('x', 'y', 0))]",
    ],
)
def test_decisions_must_be_booleans(expression: str) -> None:
    with pytest.raises(ArmError):
        evaluate(expression, parameters={"a": [1, 2]})


@pytest.mark.parametrize("function", ["toObject", "groupBy"])
def test_keys_must_be_strings(function: str) -> None:
    with pytest.raises(ArmError):
        evaluate(f"[{function}(parameters('a'), lambda('x', lambdaVariables('x')))]", parameters={"a": [1]})


def test_to_object_duplicate_key_is_an_error() -> None:
    with pytest.raises(ArmError):
        evaluate("[toObject(parameters('a'), lambda('x', lambdaVariables('x')))]", parameters={"a": ["k", "K"]})
    with pytest.raises(ArmError):
        evaluate("[toObject(parameters('a'), lambda('x', lambdaVariables('x')))]", parameters={"a": ["k", "k"]})


def test_group_by_keys_differing_only_by_case_is_an_error() -> None:
    with pytest.raises(ArmError):
        evaluate("[groupBy(parameters('a'), lambda('x', lambdaVariables('x')))]", parameters={"a": ["k", "K"]})


def test_errors_inside_the_lambda_body_surface() -> None:
    with pytest.raises(ArmError):
        evaluate("[map(parameters('a'), lambda('x', lambdaVariables('x').missing))]", parameters={"a": [{"p": 1}]})
    with pytest.raises(ArmError):
        evaluate("[sort(parameters('a'), lambda('x', 'y', less(lambdaVariables('x'), lambdaVariables('y'))))]", parameters={"a": [1, "a"]})
