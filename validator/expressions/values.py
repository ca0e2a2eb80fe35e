"""Values of the ARM expression language, and the Unknown value for what only Azure knows.

ARM values map onto Python as: string -> str, int -> int, bool -> bool, null -> None,
array -> list, object -> dict. Numbers read from JSON may also be float.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..keys import find_key


class ArmError(Exception):
    """An expression that Azure would reject: the project's one error type for evaluation.

    `span` is an offset range inside the expression text (without the surrounding brackets'
    JSON string quotes) when it is known; the template layer turns it into file, line, column.
    """

    def __init__(self, message: str, span: tuple[int, int] | None = None, code: str = "ExpressionError"):
        super().__init__(message)
        self.message = message
        self.span = span
        self.code = code

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Unknown:
    """A value only Azure knows at deployment time.

    `expression` is the text of the expression that produced it; `nondeterministic` says the
    value changes between deployments (`newGuid()`, `utcNow()`); `secret` says the value is a
    secret (secure parameter, Key Vault reference) that must never be printed.
    """

    expression: str
    nondeterministic: bool = False
    secret: bool = False

    def derive(self, expression: str, *others: "Unknown") -> "Unknown":
        return Unknown(
            expression,
            self.nondeterministic or any(o.nondeterministic for o in others),
            self.secret or any(o.secret for o in others),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"$unknown": self.expression}
        if self.nondeterministic:
            out["nondeterministic"] = True
        if self.secret:
            out["secret"] = True
        return out


class OpenObject(dict):  # type: ignore[type-arg]
    """An object of which only some properties are known offline (for example a nested
    deployment's `reference()`, where `outputs` is known and `provisioningState` is not):
    a property that is not there is Unknown rather than an error."""


def is_unknown(value: Any) -> bool:
    return isinstance(value, Unknown)


def find_unknown(value: Any) -> Unknown | None:
    """The first Unknown anywhere inside `value` (itself included), or None."""
    if isinstance(value, Unknown):
        return value
    if isinstance(value, list):
        for item in value:
            found = find_unknown(item)
            if found is not None:
                return found
    elif isinstance(value, dict):
        for item in value.values():
            found = find_unknown(item)
            if found is not None:
                return found
    return None


def unknowns_in(value: Any) -> list[Unknown]:
    """Every Unknown inside `value`, depth first."""
    if isinstance(value, Unknown):
        return [value]
    if isinstance(value, list):
        return [u for item in value for u in unknowns_in(item)]
    if isinstance(value, dict):
        return [u for item in value.values() for u in unknowns_in(item)]
    return []


def type_name(value: Any) -> str:
    """The ARM type name of a value, as ARM's error messages spell it."""
    if isinstance(value, Unknown):
        return "Unknown"
    if value is None:
        return "Null"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Float"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "Array"
    if isinstance(value, dict):
        return "Object"
    return type(value).__name__


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def to_json_text(value: Any) -> str:
    """Compact JSON as ARM's `string()` writes objects and arrays (Newtonsoft, no spaces)."""
    return json.dumps(to_plain(value), separators=(",", ":"), ensure_ascii=False)


def to_plain(value: Any) -> Any:
    """Replace Unknowns by their JSON marker, for printing."""
    if isinstance(value, Unknown):
        return value.to_json()
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    return value


def arm_string(value: Any) -> str:
    """ARM's string conversion: `string()`, `concat()` and `format()` all agree on it."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "True" if value else "False"
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value).replace("e", "E")  # .NET writes 1E+16 where Python writes 1e+16
    if isinstance(value, int):
        return str(value)
    return to_json_text(value)


def get_property(obj: dict[str, Any], name: str) -> tuple[bool, Any]:
    """Look up an object property as ARM does: exact name first, then case-insensitively."""
    key = find_key(obj, name)
    return (False, None) if key is None else (True, obj[key])


def arm_equals(a: Any, b: Any) -> bool:
    """Deep equality as `equals()` sees it: strings case-sensitive, object keys case-insensitive."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if is_number(a) and is_number(b):
        return a == b
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(arm_equals(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        if len(a) != len(b):
            return False
        for key, val in a.items():
            found, other = get_property(b, key)
            if not found or not arm_equals(val, other):
                return False
        return True
    return False
