"""ARM template functions: numeric (`add`, `sub`, `mul`, `div`, `mod`, `int`, `float`).

ARM integers are 64-bit (.NET `long`): a result outside that range is an error here rather than a
silently wrapped value. `div` truncates toward zero and `mod` takes the sign of the dividend, as
.NET's `/` and `%` do. Booleans are not numbers (Python's `bool` is an `int`: rejected explicitly).
`max` and `min` live in `arrays.py`; `copyIndex` in `deployment.py`.
"""
from __future__ import annotations

import re
from typing import Any

from ..evaluator import CallContext
from ..registry import FunctionTable, check_type
from ..values import is_int, is_number, type_name

TABLE = FunctionTable()

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

# .NET's long.Parse (NumberStyles.Integer): surrounding white space, an optional sign, ASCII digits.
_INTEGER_TEXT = re.compile(r"[ \t\n\v\f\r]*([+-]?[0-9]+)[ \t\n\v\f\r]*")
# .NET's double.Parse (invariant culture): digits with an optional fraction and exponent.
_FLOAT_TEXT = re.compile(r"[ \t\n\v\f\r]*([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)[ \t\n\v\f\r]*")


def _operands(ctx: CallContext, a: Any, b: Any) -> tuple[int, int]:
    check_type(ctx, 0, a, int)
    check_type(ctx, 1, b, int)
    return a, b


def _checked(ctx: CallContext, value: int) -> int:
    if not INT64_MIN <= value <= INT64_MAX:
        raise ctx.error(f"the result of '{ctx.name}' is outside the range of a 64-bit integer: {value}")
    return value


@TABLE.add("add", 2)
def add(ctx: CallContext, a: Any, b: Any) -> Any:
    x, y = _operands(ctx, a, b)
    return _checked(ctx, x + y)


@TABLE.add("sub", 2)
def sub(ctx: CallContext, a: Any, b: Any) -> Any:
    x, y = _operands(ctx, a, b)
    return _checked(ctx, x - y)


@TABLE.add("mul", 2)
def mul(ctx: CallContext, a: Any, b: Any) -> Any:
    x, y = _operands(ctx, a, b)
    return _checked(ctx, x * y)


@TABLE.add("div", 2)
def div(ctx: CallContext, a: Any, b: Any) -> Any:
    x, y = _operands(ctx, a, b)
    if y == 0:
        raise ctx.error("division by zero: the second argument of 'div' can't be 0", arg=1)
    quotient = abs(x) // abs(y)
    # Truncate toward zero, as .NET does, not toward minus infinity as Python's // does.
    return _checked(ctx, quotient if (x < 0) == (y < 0) else -quotient)


@TABLE.add("mod", 2)
def mod(ctx: CallContext, a: Any, b: Any) -> Any:
    x, y = _operands(ctx, a, b)
    if y == 0:
        raise ctx.error("division by zero: the second argument of 'mod' can't be 0", arg=1)
    remainder = abs(x) % abs(y)
    # The remainder takes the sign of the dividend, as .NET's % does.
    return remainder if x >= 0 else -remainder


@TABLE.add("int", 1)
def int_(ctx: CallContext, value: Any) -> Any:
    if is_int(value):
        return value
    if isinstance(value, str):
        match = _INTEGER_TEXT.fullmatch(value)
        if match is None:
            raise ctx.error(f"'{value}' can't be converted to an integer", arg=0)
        number = int(match.group(1))
        if not INT64_MIN <= number <= INT64_MAX:
            raise ctx.error(f"'{value}' is outside the range of a 64-bit integer", arg=0)
        return number
    # The documented argument types are string and int; anything else is rejected.
    raise ctx.error(f"the argument 1 of 'int' must be a string or an integer, not {type_name(value).lower()}", arg=0)


@TABLE.add("float", 1)
def float_(ctx: CallContext, value: Any) -> Any:
    if is_number(value):
        return float(value)
    if isinstance(value, str):
        match = _FLOAT_TEXT.fullmatch(value)
        if match is None:
            raise ctx.error(f"'{value}' can't be converted to a floating point number", arg=0)
        number = float(match.group(1))
        if number in (float("inf"), float("-inf")):
            raise ctx.error(f"'{value}' is outside the range of a floating point number", arg=0)
        return number
    raise ctx.error(f"the argument 1 of 'float' must be a string or an integer, not {type_name(value).lower()}", arg=0)
