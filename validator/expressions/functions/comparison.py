"""ARM template functions: comparison (`coalesce`, `equals`, `greater`, ...) and logical
(`and`, `bool`, `false`, `if`, `not`, `or`, `true`).

`if`, `and` and `or` are special forms: they receive the argument nodes and evaluate only what
they need, so an Unknown or an error in a branch that is never taken does not leak out.
"""
from __future__ import annotations

import unicodedata
from typing import Any, Callable

from ..evaluator import CallContext
from ..parser import Node
from ..registry import FunctionTable, check_type
from ..values import Unknown, arm_equals, is_int, is_number, type_name

TABLE = FunctionTable()


# --- comparison -----------------------------------------------------------------------------


@TABLE.add("coalesce", 1, None, unknowns="pass")
def coalesce(ctx: CallContext, *args: Any) -> Any:
    """The first non-null argument.

    Arguments are evaluated eagerly (`unknowns="pass"`, not lazy): `coalesce` is an ordinary
    function in Azure, so an error in a later argument still fails the deployment. An Unknown
    met before any non-null value could be null or not, so the result is Unknown.
    """
    pending: list[Unknown] = []
    for arg in args:
        if isinstance(arg, Unknown):
            pending.append(arg)
        elif arg is not None:
            if pending:
                return pending[0].derive(ctx.text, *pending[1:])
            return arg
    if pending:
        return pending[0].derive(ctx.text, *pending[1:])
    return None


@TABLE.add("equals", 2, unknowns="deep")
def equals(ctx: CallContext, first: Any, second: Any) -> bool:
    return arm_equals(first, second)


def _string_key(text: str) -> tuple[list[tuple[int, float]], list[str], list[int]]:
    """A sort key approximating .NET's culture-aware (invariant culture) string comparison.

    Azure compares strings linguistically, not ordinally: the documented `greater('A', 'a')` is
    true because, at equal letters, lower case sorts first. Levels: letters compared without
    case or accents, then accents, then case (lower before upper). Punctuation and symbols sort
    before digits, digits before letters. NLS's special weights (ignored hyphens, expansions
    such as 'æ') are not reproduced.
    """
    primary: list[tuple[int, float]] = []
    accents: list[str] = []
    case: list[int] = []
    for ch in text:
        decomposed = unicodedata.normalize("NFD", ch)
        base, marks = decomposed[0], decomposed[1:]
        for folded in base.casefold():
            if folded.isalpha():
                primary.append((3, ord(folded)))
            elif folded.isdigit():
                primary.append((2, unicodedata.digit(folded, ord(folded))))
            elif folded.isspace():
                primary.append((0, ord(folded)))
            else:
                primary.append((1, ord(folded)))
        accents.append(marks)
        case.append(1 if base.isupper() else 0)
    return primary, accents, case


def _compare(ctx: CallContext, first: Any, second: Any) -> int:
    """-1, 0 or 1: two numbers by value, two strings linguistically; anything else is an error."""
    if is_number(first) and is_number(second):
        return (first > second) - (first < second)
    if isinstance(first, str) and isinstance(second, str):
        a, b = _string_key(first), _string_key(second)
        return (a > b) - (a < b)
    for index, value in enumerate((first, second)):
        if not (is_number(value) or isinstance(value, str)):
            check_type(ctx, index, value, int, str)
    raise ctx.error(
        f"'{ctx.name}' can't compare {type_name(first).lower()} with {type_name(second).lower()}: "
        "both arguments must be integers or both strings"
    )


def _comparison(name: str, accept: Callable[[int], bool]) -> None:
    @TABLE.add(name, 2)
    def compare(ctx: CallContext, first: Any, second: Any) -> bool:
        return accept(_compare(ctx, first, second))

    compare.__name__ = name
    compare.__doc__ = f"`{name}(arg1, arg2)`: integers by value, strings in culture-aware order."


_comparison("greater", lambda order: order > 0)
_comparison("greaterOrEquals", lambda order: order >= 0)
_comparison("less", lambda order: order < 0)
_comparison("lessOrEquals", lambda order: order <= 0)


# --- logical --------------------------------------------------------------------------------


def _boolean_argument(ctx: CallContext, index: int, value: Any) -> None:
    if not isinstance(value, bool):
        raise ctx.error(
            f"the argument {index + 1} of '{ctx.name}' must be a boolean, not {type_name(value).lower()}",
            arg=index,
        )


def _junction(ctx: CallContext, nodes: tuple[Node, ...], decisive: bool) -> Any:
    """`and` (decisive value false) and `or` (decisive value true), left to right.

    The first decisive value ends the evaluation. An Unknown does not: a later decisive value
    still decides; otherwise the result is Unknown.
    """
    pending: list[Unknown] = []
    for index, node in enumerate(nodes):
        value = ctx.evaluate(node)
        if isinstance(value, Unknown):
            pending.append(value)
            continue
        _boolean_argument(ctx, index, value)
        if value is decisive:
            return decisive
    if pending:
        return pending[0].derive(ctx.text, *pending[1:])
    return not decisive


@TABLE.add("and", 2, None, lazy=True)
def and_(ctx: CallContext, *nodes: Node) -> Any:
    return _junction(ctx, nodes, False)


@TABLE.add("or", 2, None, lazy=True)
def or_(ctx: CallContext, *nodes: Node) -> Any:
    return _junction(ctx, nodes, True)


@TABLE.add("not", 1)
def not_(ctx: CallContext, value: Any) -> bool:
    _boolean_argument(ctx, 0, value)
    return not value


@TABLE.add("if", 3, lazy=True)
def if_(ctx: CallContext, condition: Node, when_true: Node, when_false: Node) -> Any:
    """Only the chosen branch is evaluated, as documented: `if(cond, reference(...), null())`."""
    value = ctx.evaluate(condition)
    if isinstance(value, Unknown):
        return value.derive(ctx.text)
    _boolean_argument(ctx, 0, value)
    return ctx.evaluate(when_true if value else when_false)


@TABLE.add("bool", 1)
def bool_(ctx: CallContext, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        # .NET's bool.Parse: case-insensitive, surrounding white space allowed.
        text = value.strip().lower()
        if text in ("true", "false"):
            return text == "true"
        raise ctx.error(f"bool() can't convert the string '{value}': it must be 'true' or 'false'", arg=0)
    if is_int(value):
        # Undocumented beyond 0 and 1: any non-zero integer is true, as .NET's Convert.ToBoolean.
        return value != 0
    raise ctx.error(f"the argument 1 of 'bool' must be a string or an integer, not {type_name(value).lower()}", arg=0)


@TABLE.add("true", 0)
def true_(ctx: CallContext) -> bool:
    return True


@TABLE.add("false", 0)
def false_(ctx: CallContext) -> bool:
    return False
