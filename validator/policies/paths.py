"""Policy paths: `properties.accessPolicies[*].permissions.keys`, resolved into an expanded resource.

A path is dot-separated property names, each optionally followed by array steps: `[3]` (one
element) or `[*]` (every element). A name of `*` alone means every property of an object.
Property names match case-insensitively, as ARM matches them; names containing `.`, `[` or `]`
cannot be written.

Resolving a path gives one `Hit` per concrete place it reaches. Three markers stand for what is
not a value: `MISSING` (the property or element is not there), `EMPTY` (a wildcard had nothing
to go over: the array or object is empty or not there), and a `blocked` hit whose value is the
`Unknown` that stopped the walk (only Azure knows what lies beyond it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..expressions.values import OpenObject, Unknown, get_property

# One property step, then its array steps; the schema uses the same grammar.
_SEGMENT = r"[^.\[\]\s]+(?:\[(?:\*|[0-9]+)\])*"
PATH_PATTERN = rf"^{_SEGMENT}(?:\.{_SEGMENT})*$"
_PATH = re.compile(PATH_PATTERN)
_STEP = re.compile(r"\[(\*|[0-9]+)\]")


class _Marker:
    """A named sentinel, printed by its name."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return self.name


MISSING = _Marker("MISSING")
EMPTY = _Marker("EMPTY")


@dataclass(frozen=True)
class Wildcard:
    """`*`: every property of an object (`array=False`) or `[*]`: every element of an array."""

    array: bool


Step = str | int | Wildcard


@dataclass(frozen=True)
class Hit:
    """One concrete place a path reaches: its concrete steps and what is there."""

    path: tuple[str | int, ...]
    value: Any  # a value, MISSING, EMPTY, or (when blocked) the Unknown that stopped the walk
    blocked: bool = False


def parse_path(text: str) -> tuple[Step, ...]:
    """The steps of a policy path; ValueError when it is not one."""
    if not _PATH.match(text):
        raise ValueError(
            f"'{text}' is not a path: write dotted property names, with [N] or [*] after a name for arrays"
        )
    steps: list[Step] = []
    for segment in text.split("."):
        bracket = segment.find("[")
        name = segment if bracket < 0 else segment[:bracket]
        steps.append(Wildcard(array=False) if name == "*" else name)
        for index in _STEP.findall(segment[len(name) :]):
            steps.append(Wildcard(array=True) if index == "*" else int(index))
    return tuple(steps)


def has_wildcard(steps: tuple[Step, ...]) -> bool:
    return any(isinstance(s, Wildcard) for s in steps)


def format_path(path: tuple[Any, ...]) -> str:
    """`properties.accessPolicies[0].permissions`: how a concrete path is shown in messages."""
    out = ""
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        elif isinstance(step, Wildcard):
            out += "[*]" if step.array else ("." if out else "") + "*"
        else:
            out += ("." if out else "") + step
    return out


def resolve(value: Any, steps: tuple[Step, ...], prefix: tuple[str | int, ...] = ()) -> Iterator[Hit]:
    """Every place `steps` reaches from `value`, depth first, in document order."""
    if not steps:
        yield Hit(prefix, value)
        return
    if isinstance(value, Unknown):
        yield Hit(prefix, value, blocked=True)
        return
    step, rest = steps[0], steps[1:]
    if isinstance(step, Wildcard):
        if step.array:
            children: list[tuple[str | int, Any]] = list(enumerate(value)) if isinstance(value, list) else []
        else:
            children = list(value.items()) if isinstance(value, dict) else []
        if not children:
            yield Hit(prefix, EMPTY)  # nothing to check: the wildcard holds vacuously here
            return
        for key, child in children:
            yield from resolve(child, rest, prefix + (key,))
        return
    if isinstance(step, int):
        if isinstance(value, list) and 0 <= step < len(value):
            yield from resolve(value[step], rest, prefix + (step,))
        else:
            yield _absent(prefix + (step,), rest)
        return
    if isinstance(value, dict):
        found, child = get_property(value, step)
        if found:
            key = _spelling(value, step)
            yield from resolve(child, rest, prefix + (key,))
        elif isinstance(value, OpenObject):
            yield Hit(prefix + (step,), Unknown(format_path(prefix + (step,))), blocked=True)
        else:
            yield _absent(prefix + (step,), rest)
        return
    yield _absent(prefix + (step,), rest)


def _absent(path: tuple[str | int, ...], rest: tuple[Step, ...]) -> Hit:
    """The hit for a node that is not there: MISSING, or EMPTY when a wildcard lies below it."""
    return Hit(path + _spelled(rest), EMPTY if has_wildcard(rest) else MISSING)


def _spelling(obj: dict[str, Any], key: str) -> str:
    """The key as the value spells it (for locating it in source)."""
    if key in obj:
        return key
    lowered = key.lower()
    return next(k for k in obj if k.lower() == lowered)


def _spelled(steps: tuple[Step, ...]) -> tuple[str | int, ...]:
    """The rest of a path under a missing node, shown as written (a wildcard is kept as `*`)."""
    out: list[str | int] = []
    for step in steps:
        if isinstance(step, Wildcard):
            break  # nothing below a missing node to go over
        out.append(step)
    return tuple(out)
