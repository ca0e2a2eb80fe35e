"""ARM template functions: lambdas (`lambda`, `lambdaVariables`, `filter`, `groupBy`, `map`,
`mapValues`, `reduce`, `sort`, `toObject`).

`lambda('x', 'y', body)` is a special form: it returns a `Lambda` holding the unevaluated body
and the scope it was written in; the functions that take it call it through
`CallContext.call_lambda`, which binds the lambda variables that `lambdaVariables()` reads.

Unknowns: the input array may hold Unknown elements (`unknowns="shallow"`); they are passed to
the lambda. A value the lambda computes stays Unknown in place (`map`, values of `toObject`,
`groupBy`, `mapValues`), but an Unknown *decision* (a `filter` test, a `sort` comparison, a key)
makes the whole result Unknown, because the shape of the result depends on it.
"""
from __future__ import annotations

from functools import cmp_to_key
from typing import Any

from ..evaluator import CallContext, Lambda
from ..parser import Call, Literal, Node
from ..registry import FunctionTable, check_type
from ..values import OpenObject, Unknown, type_name

TABLE = FunctionTable()


class _UnknownDecision(Exception):
    """Raised inside `sort`'s comparison to abandon the sort when the lambda gives an Unknown."""

    def __init__(self, unknown: Unknown):
        super().__init__(unknown.expression)
        self.unknown = unknown


@TABLE.add("lambda", 2, None, lazy=True)
def lambda_(ctx: CallContext, *nodes: Node) -> Lambda:
    """`lambda('x', ['y', ...], body)`: the names must be written as string literals."""
    *name_nodes, body = nodes
    names: list[str] = []
    for index, node in enumerate(name_nodes):
        if not (isinstance(node, Literal) and isinstance(node.value, str)):
            raise ctx.error(f"the argument {index + 1} of 'lambda' must be a variable name written as a string literal", arg=index)
        if not node.value:
            raise ctx.error("a lambda variable name can't be empty", arg=index)
        if node.value.lower() in (name.lower() for name in names):
            raise ctx.error(f"the lambda variable '{node.value}' is declared twice", arg=index)
        names.append(node.value)
    return Lambda(tuple(names), body, ctx.source, ctx.scope)


@TABLE.add("lambdaVariables", 1)
def lambda_variables(ctx: CallContext, name: Any) -> Any:
    check_type(ctx, 0, name, str)
    key = name.lower()
    if key not in ctx.scope.lambda_vars:
        raise ctx.error(f"the lambda variable '{name}' is not defined here: lambdaVariables() only reads the variables of an enclosing lambda()", arg=0)
    return ctx.scope.lambda_vars[key]


def _lambda_argument(ctx: CallContext, index: int, value: Any, arities: tuple[int, ...]) -> Lambda:
    """The lambda at argument `index`, which must be a `lambda()` call written right there."""
    node = ctx.node.args[index]
    written_inline = isinstance(node, Call) and node.namespace is None and node.name.lower() == "lambda"
    if not written_inline or not isinstance(value, Lambda):
        # Documented limitation: a lambda can only be given directly as a function argument.
        raise ctx.error(
            f"the argument {index + 1} of '{ctx.name}' must be a lambda() written directly in the call",
            arg=index,
        )
    if len(value.names) not in arities:
        expected = " or ".join(str(n) for n in arities)
        raise ctx.error(
            f"the lambda given to '{ctx.name}' must take {expected} argument{'s' if arities != (1,) else ''}, "
            f"not {len(value.names)}",
            arg=index,
        )
    return value


def _call_with_index(ctx: CallContext, fn: Lambda, item: Any, index: int) -> Any:
    """Call a lambda that takes the element and, optionally, its index (`(item, i) => ...`)."""
    if len(fn.names) == 2:
        return ctx.call_lambda(fn, item, index)
    return ctx.call_lambda(fn, item)


def _decision(ctx: CallContext, value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise ctx.error(f"the lambda given to '{ctx.name}' must return a boolean {what}, not {type_name(value).lower()}")
    return value


def _key(ctx: CallContext, value: Any) -> str:
    # Bicep types the key lambda as returning a string; ARM's behaviour for other types is undocumented.
    if not isinstance(value, str):
        raise ctx.error(f"the key lambda given to '{ctx.name}' must return a string, not {type_name(value).lower()}")
    return value


def _check_new_key(ctx: CallContext, seen: dict[str, str], key: str, allow_same: bool) -> None:
    """ARM property names are case-insensitive: keys differing only by case would collide.

    Undocumented: a colliding key is an error here rather than a silent overwrite.
    """
    previous = seen.get(key.lower())
    if previous is None:
        seen[key.lower()] = key
    elif previous != key or not allow_same:
        raise ctx.error(f"'{ctx.name}' produced the key '{key}' more than once (keys are case-insensitive)")


@TABLE.add("filter", 2, unknowns="shallow")
def filter_(ctx: CallContext, items: Any, fn: Any) -> Any:
    check_type(ctx, 0, items, list)
    fn = _lambda_argument(ctx, 1, fn, (1, 2))
    kept: list[Any] = []
    for index, item in enumerate(items):
        keep = _call_with_index(ctx, fn, item, index)
        if isinstance(keep, Unknown):
            return keep.derive(ctx.text)
        if _decision(ctx, keep, "(keep the element or not)"):
            kept.append(item)
    return kept


@TABLE.add("map", 2, unknowns="shallow")
def map_(ctx: CallContext, items: Any, fn: Any) -> Any:
    check_type(ctx, 0, items, list)
    fn = _lambda_argument(ctx, 1, fn, (1, 2))
    return [_call_with_index(ctx, fn, item, index) for index, item in enumerate(items)]


@TABLE.add("reduce", 3, unknowns="shallow")
def reduce_(ctx: CallContext, items: Any, initial: Any, fn: Any) -> Any:
    """`reduce(array, initial, lambda('cur', 'next'[, 'i'], ...))`: the optional third variable is the index."""
    check_type(ctx, 0, items, list)
    fn = _lambda_argument(ctx, 2, fn, (2, 3))
    current = initial
    for index, item in enumerate(items):
        if len(fn.names) == 3:
            current = ctx.call_lambda(fn, current, item, index)
        else:
            current = ctx.call_lambda(fn, current, item)
    return current


@TABLE.add("sort", 2, unknowns="shallow")
def sort_(ctx: CallContext, items: Any, fn: Any) -> Any:
    """A stable sort where `lambda('a', 'b', ...)` says whether a comes before b."""
    check_type(ctx, 0, items, list)
    fn = _lambda_argument(ctx, 1, fn, (2,))

    def before(a: Any, b: Any) -> bool:
        answer = ctx.call_lambda(fn, a, b)
        if isinstance(answer, Unknown):
            raise _UnknownDecision(answer)
        return _decision(ctx, answer, "(whether the first element comes before the second)")

    def compare(a: Any, b: Any) -> int:
        if before(a, b):
            return -1
        if before(b, a):
            return 1
        return 0

    try:
        return sorted(items, key=cmp_to_key(compare))
    except _UnknownDecision as stop:
        return stop.unknown.derive(ctx.text)


def _keyed_elements(ctx: CallContext, items: Any, key_fn: Any, value_fn: Any, allow_same: bool) -> list[tuple[str, Any]] | Unknown:
    """(key, element or mapped value) for `toObject` and `groupBy`; an Unknown key makes it all Unknown."""
    check_type(ctx, 0, items, list)
    key_fn = _lambda_argument(ctx, 1, key_fn, (1,))
    if len(ctx.node.args) == 3:
        value_fn = _lambda_argument(ctx, 2, value_fn, (1,))
    pairs: list[tuple[str, Any]] = []
    seen: dict[str, str] = {}
    for item in items:
        key = ctx.call_lambda(key_fn, item)
        if isinstance(key, Unknown):
            return key.derive(ctx.text)
        key = _key(ctx, key)
        _check_new_key(ctx, seen, key, allow_same=allow_same)
        pairs.append((key, ctx.call_lambda(value_fn, item) if value_fn is not None else item))
    return pairs


@TABLE.add("toObject", 2, 3, unknowns="shallow")
def to_object(ctx: CallContext, items: Any, key_fn: Any, value_fn: Any = None) -> Any:
    pairs = _keyed_elements(ctx, items, key_fn, value_fn, allow_same=False)
    return pairs if isinstance(pairs, Unknown) else dict(pairs)


@TABLE.add("groupBy", 2, 3, unknowns="shallow")
def group_by(ctx: CallContext, items: Any, key_fn: Any, value_fn: Any = None) -> Any:
    """An object from each key to the array of elements (or mapped values) with that key, in order."""
    pairs = _keyed_elements(ctx, items, key_fn, value_fn, allow_same=True)
    if isinstance(pairs, Unknown):
        return pairs
    groups: dict[str, list[Any]] = {}
    for key, value in pairs:
        groups.setdefault(key, []).append(value)
    return groups


@TABLE.add("mapValues", 2, unknowns="shallow")
def map_values(ctx: CallContext, obj: Any, fn: Any) -> Any:
    """The same keys with each value mapped; an open object stays open (its missing keys stay Unknown)."""
    check_type(ctx, 0, obj, dict)
    fn = _lambda_argument(ctx, 1, fn, (1,))
    mapped = {key: ctx.call_lambda(fn, value) for key, value in obj.items()}
    return OpenObject(mapped) if isinstance(obj, OpenObject) else mapped

