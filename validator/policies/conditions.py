"""Policy conditions: `allOf` / `anyOf` / `not` over leaves `{path: ..., <operator>: value}`.

Evaluation has three outcomes: the condition holds (True), does not hold (False), or cannot be
decided offline (None), because a value it needs is an `Unknown` (a `reference()`, a secure
parameter, a value only Azure knows). `allOf` and `anyOf` combine them as Kleene logic does: an
`allOf` with one False part is False whatever the Unknowns are, an `anyOf` with one True part is
True; otherwise an undecided part leaves the whole undecided. `not` keeps None as None.

Each outcome carries its evidence: groups of `Witness`es, one group per leaf that decided it, so
a finding can point at the exact property (or array element) that made the policy fail.
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass
from typing import Any

from ..expressions.values import Unknown, is_number, to_plain
from .paths import (
    EMPTY,
    MISSING,
    Hit,
    Step,
    format_path,
    has_wildcard,
    parse_path,
    resolve,
)

OPERATORS = (
    "exists",
    "hasValue",
    "equals",
    "notEquals",
    "in",
    "regex",
    "less",
    "lessOrEquals",
    "greater",
    "greaterOrEquals",
)
_ORDERING = frozenset({"less", "lessOrEquals", "greater", "greaterOrEquals"})
_DATE = re.compile(r"^([0-9]{4}-[0-9]{2}-[0-9]{2})")


class ConditionError(Exception):
    """A condition that cannot be compiled; `json_path` is where it is in the policy file."""

    def __init__(self, json_path: tuple[Any, ...], message: str):
        super().__init__(message)
        self.json_path = json_path
        self.message = message


@dataclass(frozen=True)
class Leaf:
    """`{path: ..., <operator>: expected}`."""

    path_text: str
    steps: tuple[Step, ...]
    operator: str
    expected: Any
    pattern: re.Pattern[str] | None = None  # compiled, for `regex`


@dataclass(frozen=True)
class AllOf:
    parts: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    part: Condition


Condition = Leaf | AllOf | AnyOf | Not


@dataclass(frozen=True)
class Witness:
    """A place a leaf looked at: the concrete path, what was there, and what the policy wanted.

    `wanted` is False when the leaf sits under an odd number of `not`s: the policy wanted the
    leaf *not* to hold there.
    """

    path: tuple[str | int, ...]
    value: Any  # the value, MISSING or EMPTY
    leaf: Leaf
    wanted: bool

    def reason(self) -> str:
        """`properties.enablePurgeProtection` is not set; the policy requires it to equal true."""
        return f"`{format_path(self.path)}` {describe_value(self.value)}; the policy requires {self.requirement()}"

    def requirement(self) -> str:
        positive, phrase = _phrase(self.leaf)
        positive = positive == self.wanted
        if self.value is EMPTY:
            return f"every element to {phrase}" if positive else f"at least one element not to {phrase}"
        return f"it to {phrase}" if positive else f"it not to {phrase}"


def _phrase(leaf: Leaf, code: bool = False) -> tuple[bool, str]:
    """What a leaf asks, as (positive?, infinitive): `exists: false` is (False, 'be set').
    With `code`, values are whole markdown code spans (documentation) rather than message text."""

    def value(v: Any) -> str:
        return f"`{_literal(v)}`" if code else show(v)

    if leaf.operator == "exists":
        return bool(leaf.expected), "be set"
    if leaf.operator == "hasValue":
        return bool(leaf.expected), "have a value"
    if leaf.operator in ("equals", "notEquals"):
        return leaf.operator == "equals", f"equal {value(leaf.expected)}"
    if leaf.operator == "in":
        return True, "be one of " + ", ".join(value(v) for v in leaf.expected)
    if leaf.operator == "regex":
        return True, f"match `/{leaf.expected}/`" if code else f"match /{leaf.expected}/"
    words = {"less": "less than", "lessOrEquals": "at most", "greater": "greater than", "greaterOrEquals": "at least"}
    return True, f"be {words[leaf.operator]} {value(leaf.expected)}"


@dataclass(frozen=True)
class Outcome:
    holds: bool | None
    evidence: tuple[tuple[Witness, ...], ...] = ()


def show(value: Any) -> str:
    """A value as a message shows it: strings in single quotes, the rest as JSON, cut when long."""
    return shorten(_literal(value))


def _literal(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) else json.dumps(to_plain(value), default=str)


def unknown_text(value: Unknown) -> str:
    """The expression an Unknown came from, as written in a template (never a secret's value)."""
    text = value.expression
    return shorten(text if text.startswith("[") else f"[{text}]")


def shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe_value(value: Any) -> str:
    if isinstance(value, Unknown):
        return f"is `{unknown_text(value)}`, known only at deploy time"
    if value is MISSING:
        return "is not set"
    if value is EMPTY:
        return "is empty or not set"
    if value is None:
        return "is null"
    return f"is {show(value)}"


# --- compiling ----------------------------------------------------------------------------------


def compile_condition(data: dict[str, Any], where: tuple[Any, ...]) -> Condition:
    """A condition from its (schema-valid) data; `where` is its JSON path in the policy file."""
    if "allOf" in data:
        return AllOf(tuple(compile_condition(c, where + ("allOf", i)) for i, c in enumerate(data["allOf"])))
    if "anyOf" in data:
        return AnyOf(tuple(compile_condition(c, where + ("anyOf", i)) for i, c in enumerate(data["anyOf"])))
    if "not" in data:
        return Not(compile_condition(data["not"], where + ("not",)))
    operator = next(k for k in data if k != "path")
    expected = data[operator]
    try:
        steps = parse_path(data["path"])
    except ValueError as err:
        raise ConditionError(where + ("path",), str(err)) from None
    pattern = None
    if operator == "regex":
        try:
            pattern = re.compile(expected, re.IGNORECASE)
        except re.error as err:
            raise ConditionError(where + ("regex",), f"invalid regular expression /{expected}/: {err}") from None
    if operator in _ORDERING and isinstance(expected, str) and _as_date(expected) is None:
        raise ConditionError(
            where + (operator,), f"'{expected}' is not a date: write yyyy-mm-dd, or compare with a number"
        )
    return Leaf(data["path"], steps, operator, expected, pattern)


# --- evaluating ---------------------------------------------------------------------------------


def evaluate(condition: Condition, view: dict[str, Any], wanted: bool = True) -> Outcome:
    """Does `condition` hold for the resource `view`? `wanted` flips under `not` (for messages)."""
    if isinstance(condition, Leaf):
        return _evaluate_leaf(condition, view, wanted)
    if isinstance(condition, Not):
        inner = evaluate(condition.part, view, not wanted)
        return Outcome(None if inner.holds is None else not inner.holds, inner.evidence)
    outcomes = [evaluate(part, view, wanted) for part in condition.parts]
    decisive = not isinstance(condition, AllOf)  # the outcome that settles the combination
    deciders = [o for o in outcomes if o.holds is decisive]
    if deciders:
        # allOf: every failing part is evidence; anyOf: the first part that holds is enough.
        chosen = deciders if isinstance(condition, AllOf) else deciders[:1]
        return Outcome(decisive, tuple(g for o in chosen for g in o.evidence))
    if any(o.holds is None for o in outcomes):
        return Outcome(None)
    return Outcome(not decisive, tuple(g for o in outcomes for g in o.evidence))


def _evaluate_leaf(leaf: Leaf, view: dict[str, Any], wanted: bool) -> Outcome:
    results = [(hit, _leaf_holds(leaf, hit)) for hit in resolve(view, leaf.steps)]
    failing = [hit for hit, holds in results if holds is False]
    if failing:
        return Outcome(False, (tuple(Witness(h.path, h.value, leaf, wanted) for h in failing),))
    if any(holds is None for _, holds in results):
        return Outcome(None)
    return Outcome(True, (tuple(Witness(h.path, h.value, leaf, wanted) for h, _ in results),))


def _leaf_holds(leaf: Leaf, hit: Hit) -> bool | None:
    value = hit.value
    if value is EMPTY:
        return True  # a wildcard over nothing: there is no element that fails
    if hit.blocked:
        return None  # an Unknown lies on the way: only Azure knows what is below it
    if leaf.operator == "exists":
        return (value is not MISSING) == bool(leaf.expected)
    if isinstance(value, Unknown):
        return None
    if leaf.operator == "hasValue":
        return (value is not MISSING and value is not None and value != "") == bool(leaf.expected)
    if value is MISSING:
        return leaf.operator == "notEquals"
    if leaf.operator == "equals":
        return scalar_equals(value, leaf.expected)
    if leaf.operator == "notEquals":
        return not scalar_equals(value, leaf.expected)
    if leaf.operator == "in":
        return any(scalar_equals(value, option) for option in leaf.expected)
    if leaf.operator == "regex":
        return isinstance(value, str) and leaf.pattern is not None and leaf.pattern.search(value) is not None
    return _compare(leaf.operator, value, leaf.expected)


def scalar_equals(value: Any, expected: Any) -> bool:
    """Equality as policies see it: strings case-insensitive, booleans and numbers strict, no coercion."""
    if isinstance(value, bool) or isinstance(expected, bool):
        return isinstance(value, bool) and isinstance(expected, bool) and value == expected
    if is_number(value) and is_number(expected):
        return bool(value == expected)
    if isinstance(value, str) and isinstance(expected, str):
        return value.casefold() == expected.casefold()
    return value is None and expected is None


def _as_date(value: str) -> datetime.date | None:
    match = _DATE.match(value)
    if match is None:
        return None
    try:
        return datetime.date.fromisoformat(match.group(1))
    except ValueError:
        return None


def _compare(operator: str, value: Any, expected: Any) -> bool:
    left: Any
    right: Any
    if is_number(value) and is_number(expected):
        left, right = value, expected
    elif isinstance(value, str) and isinstance(expected, str):
        left, right = _as_date(value), _as_date(expected)
        if left is None or right is None:
            return False
    else:
        return False
    if operator == "less":
        return bool(left < right)
    if operator == "lessOrEquals":
        return bool(left <= right)
    if operator == "greater":
        return bool(left > right)
    return bool(left >= right)


# --- describing, for the policy's documentation -------------------------------------------------


def describe(condition: Condition, negated: bool = False) -> list[str]:
    """`condition` as the lines of a markdown list, in words. `not` is pushed down to the leaves
    (De Morgan, which holds for the three-valued logic too), so the text never nests negations."""
    if isinstance(condition, Leaf):
        return [f"- {_leaf_sentence(condition, negated)}"]
    if isinstance(condition, Not):
        return describe(condition.part, not negated)
    if len(condition.parts) == 1:
        return describe(condition.parts[0], negated)
    every = isinstance(condition, AllOf) != negated
    lines = [f"- {'all' if every else 'any'} of:"]
    for part in condition.parts:
        lines.extend(f"  {line}" for line in describe(part, negated))
    return lines


def _leaf_sentence(leaf: Leaf, negated: bool) -> str:
    """`properties.enableSoftDelete` does not equal `false`; with wildcards, every or some place."""
    positive, phrase = _phrase(leaf, code=True)
    verb = _conjugate(phrase, positive != negated)
    if not has_wildcard(leaf.steps):
        return f"`{leaf.path_text}` {verb}"
    # A wildcard leaf holds when it holds at every place it reaches; negated, at some place fails.
    if negated:
        return f"some `{leaf.path_text}` {verb} (false when there is none)"
    return f"every `{leaf.path_text}` {verb} (true when there is none)"


def _conjugate(infinitive: str, positive: bool) -> str:
    """'equal x' -> 'equals x' / 'does not equal x'; 'be set' -> 'is set' / 'is not set'."""
    verb, _, rest = infinitive.partition(" ")
    if verb == "be":
        return f"is {rest}" if positive else f"is not {rest}"
    if not positive:
        return f"does not {infinitive}"
    third_person = {"have": "has", "match": "matches"}.get(verb, f"{verb}s")
    return f"{third_person} {rest}"
