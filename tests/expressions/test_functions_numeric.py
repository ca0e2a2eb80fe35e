"""Numeric functions: Microsoft's documented examples, 64-bit integer semantics and errors."""
from __future__ import annotations

from typing import Any

import pytest

from validator.expressions import ArmError, evaluate
from validator.expressions.values import Unknown

INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)


def ev(text: str, **parameters: Any) -> Any:
    return evaluate(text, parameters=parameters)


@pytest.mark.parametrize(
    ("function", "first", "second", "expected"),
    [("add", 5, 3, 8), ("div", 8, 3, 2), ("mod", 7, 3, 1), ("mul", 5, 3, 15), ("sub", 7, 3, 4)],
)
def test_documented_examples(function: str, first: int, second: int, expected: int) -> None:
    assert ev(f"[{function}(parameters('first'), parameters('second'))]", first=first, second=second) == expected


def test_int_doc() -> None:
    assert ev("[int(parameters('stringToConvert'))]", stringToConvert="4") == 4


def test_float_doc() -> None:
    result = ev("[float('3.0')]")
    assert result == 3.0 and isinstance(result, float)
    result = ev("[float(3)]")
    assert result == 3.0 and isinstance(result, float)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("[div(-7, 2)]", -3),
        ("[div(7, -2)]", -3),
        ("[div(-7, -2)]", 3),
        ("[div(0, 5)]", 0),
        ("[mod(-7, 3)]", -1),
        ("[mod(7, -3)]", 1),
        ("[mod(-7, -3)]", -1),
        ("[mod(6, 3)]", 0),
        ("[sub(3, 7)]", -4),
        ("[mul(-4, 5)]", -20),
    ],
)
def test_truncating_division_and_dotnet_remainder(expression: str, expected: int) -> None:
    assert ev(expression) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("4", 4), ("-12", -12), ("+7", 7), (" 42 ", 42), ("9223372036854775807", INT64_MAX), ("-9223372036854775808", INT64_MIN)],
)
def test_int_parses_strings(text: str, expected: int) -> None:
    assert ev("[int(parameters('s'))]", s=text) == expected


def test_int_of_int() -> None:
    assert ev("[int(-5)]") == -5


@pytest.mark.parametrize("text", ["4.0", "1e3", "abc", "", "1_000", "0x10", "9223372036854775808", "\u0661"])
def test_int_rejects_bad_strings(text: str) -> None:
    with pytest.raises(ArmError):
        ev("[int(parameters('s'))]", s=text)


@pytest.mark.parametrize(("text", "expected"), [("3.5", 3.5), ("-2", -2.0), ("1e3", 1000.0), (" .5 ", 0.5)])
def test_float_parses_strings(text: str, expected: float) -> None:
    assert ev("[float(parameters('s'))]", s=text) == expected


@pytest.mark.parametrize("text", ["abc", "", "1.2.3", "1e999", "nan"])
def test_float_rejects_bad_strings(text: str) -> None:
    with pytest.raises(ArmError):
        ev("[float(parameters('s'))]", s=text)


@pytest.mark.parametrize(
    "expression",
    [
        "[div(1, 0)]",
        "[mod(1, 0)]",
        "[add(parameters('max'), 1)]",
        "[sub(parameters('min'), 1)]",
        "[mul(parameters('max'), 2)]",
        "[div(parameters('min'), -1)]",
        "[add('1', 2)]",
        "[sub(1, parameters('t'))]",
        "[mul(parameters('t'), 2)]",
        "[add(parameters('f'), 1)]",
        "[int(parameters('t'))]",
        "[int(createArray())]",
        "[int(parameters('f'))]",
        "[float(parameters('t'))]",
        "[float(null())]",
        "[add(1)]",
    ],
)
def test_errors_are_arm_errors(expression: str) -> None:
    with pytest.raises(ArmError):
        ev(expression, max=INT64_MAX, min=INT64_MIN, t=True, f=1.5)


def test_bounds_are_reachable() -> None:
    assert ev("[add(parameters('max'), 0)]", max=INT64_MAX) == INT64_MAX
    assert ev("[sub(parameters('min'), 0)]", min=INT64_MIN) == INT64_MIN
    assert ev("[mod(parameters('min'), -1)]", min=INT64_MIN) == 0


def test_unknown_operands() -> None:
    result = ev("[add(parameters('u'), 1)]", u=Unknown("[parameters('u')]", secret=True))
    assert isinstance(result, Unknown) and result.secret
    assert isinstance(ev("[int(parameters('u'))]", u=Unknown("[parameters('u')]")), Unknown)
