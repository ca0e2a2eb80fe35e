"""Property-based tests of the expression language: whatever the input, the parser and the
evaluator either give a value or raise `ArmError`, never another Python exception.

Random text rarely gets past the parser, so a second strategy builds well-formed expressions from
the real function names in `ALL_FUNCTIONS` (random arity, literal arguments of every type, nested
calls, property access, indexing): it reaches every function implementation, whatever the
function library holds when the tests run.
"""
from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from validator.expressions import ArmError, Unknown, evaluate
from validator.expressions.functions import ALL_FUNCTIONS
from validator.expressions.parser import MAX_DEPTH, Call, Index, Literal, Property, parse

PARAMETERS: dict[str, Any] = {
    "s": "Hello World",
    "empty": "",
    "i": 3,
    "neg": -2,
    "big": 2**63 - 1,
    "f": 1.5,
    "b": True,
    "n": None,
    "arr": [1, "two", [3], {"four": 4}, None, False],
    "obj": {"a": 1, "B": "x", "nested": {"c": [1, 2]}, "n": None},
    "ids": ["/subscriptions/0/resourceGroups/rg", "10.0.0.0/16", "2020-01-01T00:00:00Z"],
    "unknown": Unknown("parameters('unknown')"),
    "secret": Unknown("parameters('secret')", secret=True),
    "mixed": [1, Unknown("reference('x').id")],
}
VARIABLES: dict[str, Any] = {"v": {"k": ["a", "b"]}, "w": "text"}

# `list*` stands for every `listKeys()`-like name; give it a real one.
FUNCTION_NAMES = sorted("listKeys" if name == "list*" else name for name in ALL_FUNCTIONS)
PROPERTY_NAMES = ["id", "name", "location", "properties", "outputs", "a", "b", "nested", "length", "value", "k", "x"]
# No example database: the tests must not leave files behind, and each run explores afresh.
SETTINGS = settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def is_value(value: Any) -> bool:
    """True when `value` is made only of the values an ARM expression can have (iterative: values may be deep)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, dict):
            if not all(isinstance(key, str) for key in item):
                return False
            pending.extend(item.values())
        elif not (item is None or isinstance(item, (str, bool, int, float, Unknown))):
            return False
    return True


def quote(text: str) -> str:
    """An ARM string literal for `text`."""
    return "'" + text.replace("'", "''") + "'"


# --- strategies ------------------------------------------------------------------------------

interesting_strings = st.sampled_from(
    [
        "", " ", "a", "abc", "A,b,C", "{0}-{1}", "{", "}", "{0:N2}", "'", "[x]", "10.0.0.0/24", "fdad:3236:5555::/48",
        "2020-04-07 14:53:14Z", "P1D", "-PT1H", "u", "yyyy-MM-dd", "x", "{\"a\":1}", "[1,2]", "null", "true", "1.5",
        "-1", "SGVsbG8=", "data:text/plain;charset=utf8;base64,SGVsbG8=", "https://a.b/c?d=e", "%zz", "Microsoft.Web/sites",
        "\u00e9\u4e2d\U0001f600", "full", "s", "obj", "arr", "i", "k", "v",
    ]
)
string_literals = st.one_of(interesting_strings, st.text(max_size=12)).map(quote)
int_literals = st.one_of(
    st.integers(-3, 12),
    st.sampled_from([0, -1, 2**31 - 1, -(2**31), 2**31, 2**63 - 1, -(2**63), 2**63, 10**20]),
).map(str)
keyword_literals = st.sampled_from(["true", "false", "null"])
parameter_refs = st.sampled_from(sorted(PARAMETERS)).map(lambda name: f"parameters({quote(name)})")
variable_refs = st.sampled_from(sorted(VARIABLES)).map(lambda name: f"variables({quote(name)})")
leaves = st.one_of(string_literals, int_literals, keyword_literals, parameter_refs, variable_refs)


def _extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    @st.composite
    def call(draw: st.DrawFn) -> str:
        name = draw(st.sampled_from(FUNCTION_NAMES))
        spec = ALL_FUNCTIONS.get(name.lower()) or ALL_FUNCTIONS["list*"]
        upper = spec.max_args if spec.max_args is not None else spec.min_args + 3
        # Mostly a valid arity, sometimes one Azure would reject.
        arity = draw(st.one_of(st.integers(spec.min_args, min(upper, spec.min_args + 4)), st.integers(0, 5)))
        args = draw(st.lists(children, min_size=arity, max_size=arity))
        return f"{name}({', '.join(args)})"

    @st.composite
    def lambda_call(draw: st.DrawFn) -> str:
        # lambda('x', body) where the body may read the variable, as the lambda functions expect.
        names = draw(st.lists(st.sampled_from(["x", "y", "acc"]), min_size=1, max_size=2, unique=True))
        body = draw(st.one_of(children, st.sampled_from(names).map(lambda n: f"lambdaVariables({quote(n)})")))
        return f"lambda({', '.join(quote(n) for n in names)}, {body})"

    @st.composite
    def higher_order(draw: st.DrawFn) -> str:
        name = draw(st.sampled_from([n for n in FUNCTION_NAMES if n.lower() in _LAMBDA_TAKERS]))
        spec = ALL_FUNCTIONS[name.lower()]
        first = draw(st.one_of(children, st.sampled_from(["parameters('arr')", "parameters('obj')", "createArray(3, 1, 2)"])))
        rest = draw(st.lists(st.one_of(lambda_call(), children), min_size=spec.min_args - 1, max_size=max(spec.min_args - 1, (spec.max_args or 3) - 1)))
        return f"{name}({', '.join([first, *rest])})"

    prop = st.tuples(children, st.sampled_from(PROPERTY_NAMES)).map(lambda t: f"{t[0]}.{t[1]}")
    index = st.tuples(children, children).map(lambda t: f"{t[0]}[{t[1]}]")
    options = [call(), call(), prop, index]
    if "lambda" in ALL_FUNCTIONS:
        options.append(lambda_call())
    if any(name.lower() in _LAMBDA_TAKERS for name in FUNCTION_NAMES):
        options.append(higher_order())
    return st.one_of(*options)


_LAMBDA_TAKERS = {"filter", "map", "reduce", "sort", "toobject", "groupby", "mapvalues"} & set(ALL_FUNCTIONS)

expressions = st.recursive(leaves, _extend, max_leaves=12)
well_formed = expressions.map(lambda body: f"[{body}]")

# Text made of the expression language's own characters, inside brackets, to get past `is_expression`.
arm_alphabet = "[](),.'\" -0123456789abcdefnlrstuxyzAP_$\t\n"
bracketed_noise = st.text(alphabet=arm_alphabet, max_size=40).map(lambda body: f"[{body}]")
any_text = st.one_of(st.text(max_size=40), bracketed_noise)


# --- properties ------------------------------------------------------------------------------


def _parse_or_arm_error(text: str) -> None:
    try:
        node = parse(text)
    except ArmError as err:
        assert err.span is None or (0 <= err.span[0] < err.span[1] <= max(len(text), 1))
        return
    assert isinstance(node, (Literal, Call, Property, Index))
    assert 0 < node.span[0] < node.span[1] < len(text)


def _evaluate_or_arm_error(text: str) -> None:
    try:
        value = evaluate(text, parameters=PARAMETERS, variables=VARIABLES)
    except ArmError:
        return
    assert is_value(value), f"{text!r} evaluated to {value!r}, which is not an ARM value"


@SETTINGS
@given(any_text)
def test_parse_gives_a_node_or_an_arm_error_for_any_text(text: str) -> None:
    if text.startswith("[") and text.endswith("]") and not text.startswith("[["):
        _parse_or_arm_error(text)
    else:
        try:
            parse(text)
        except ArmError:
            return
        raise AssertionError(f"{text!r} is not an expression but parsed")


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(well_formed)
def test_parse_accepts_generated_expressions(text: str) -> None:
    node = parse(text)
    assert (node.span[0], node.span[1]) == (1, len(text) - 1)


@SETTINGS
@given(any_text)
def test_evaluate_gives_a_value_or_an_arm_error_for_any_text(text: str) -> None:
    _evaluate_or_arm_error(text)


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(well_formed)
def test_evaluate_gives_a_value_or_an_arm_error_for_generated_expressions(text: str) -> None:
    _evaluate_or_arm_error(text)


@SETTINGS
@given(st.sampled_from(FUNCTION_NAMES), st.lists(st.one_of(leaves, expressions), max_size=4))
def test_every_function_with_random_arguments(name: str, args: list[str]) -> None:
    _evaluate_or_arm_error(f"[{name}({', '.join(args)})]")


@SETTINGS
@given(st.text())
def test_string_literal_round_trip(text: str) -> None:
    source = "[" + quote(text) + "]"
    node = parse(source)
    assert node == Literal(text, (1, len(source) - 1))


@SETTINGS
@given(st.text(), st.text(alphabet=" \t\r\n", max_size=3), st.text(alphabet=" \t\r\n", max_size=3))
def test_string_literal_round_trip_with_whitespace(text: str, before: str, after: str) -> None:
    source = "[" + before + quote(text) + after + "]"
    node = parse(source)
    assert isinstance(node, Literal) and node.value == text
    assert node.span == (1 + len(before), len(source) - 1 - len(after))


# --- the deepest expressions the parser accepts ----------------------------------------------


def _nested(name: str, leaf: str) -> str:
    """`name(name(...name(leaf, extra...)..., extra), extra)` as deep as the parser allows."""
    spec = ALL_FUNCTIONS.get(name.lower()) or ALL_FUNCTIONS["list*"]
    extra = "".join(f", {leaf}" for _ in range(max(spec.min_args - 1, 0)))
    return "[" + f"{name}(" * MAX_DEPTH + leaf + f"{extra})" * MAX_DEPTH + "]"


# Integer and boolean leaves: a string leaf would let base64() or dataUri() grow the value
# exponentially with the depth, which tests memory rather than the evaluator's stack.
@pytest.mark.parametrize("leaf", ["1", "true"])
@pytest.mark.parametrize("name", [n for n in FUNCTION_NAMES if (ALL_FUNCTIONS.get(n.lower()) or ALL_FUNCTIONS["list*"]).max_args != 0])
def test_deepest_nesting_evaluates_or_raises_arm_error(name: str, leaf: str) -> None:
    _evaluate_or_arm_error(_nested(name, leaf))


def _deep(levels: int) -> Any:
    value: Any = [1]
    for level in range(levels):
        value = {"a": value} if level % 2 else [value]
    return value


@pytest.mark.parametrize(
    "expression",
    [
        "[parameters('deep')]",
        "[string(parameters('deep'))]",
        "[equals(parameters('deep'), parameters('deep'))]",
        "[contains(createArray(parameters('deep')), parameters('deep'))]",
        "[union(createObject('x', parameters('deep')), createObject('x', parameters('deep')))]",
        "[length(parameters('deep'))]",
        "[json(string(parameters('deep')))]",
    ],
)
def test_deeply_nested_parameter_values(expression: str) -> None:
    # A parameter file can hold a value nested deeper than Python's recursion limit.
    value = evaluate_with_deep(expression, _deep(3000))
    assert value is None or is_value(value)


def evaluate_with_deep(expression: str, deep: Any) -> Any:
    """The value of `expression` with `parameters('deep')` bound to `deep`, or None for an ArmError."""
    try:
        return evaluate(expression, parameters={"deep": deep})
    except ArmError:
        return None
