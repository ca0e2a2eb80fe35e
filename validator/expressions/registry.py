"""How template functions are declared: one table per function group, merged in `functions/__init__.py`.

A function receives the evaluated arguments and a `CallContext`. By default any Unknown anywhere in
its arguments makes the result Unknown without calling it (`unknowns="deep"`): a function that can
work around Unknowns inside arrays or objects (`length`, `createArray`, ...) declares
`unknowns="shallow"` and only a top-level Unknown argument short-circuits. Special forms (`if`,
`and`, `lambda`, ...) declare `lazy=True` and receive the unevaluated argument nodes instead.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Literal

from .values import ArmError, type_name

if TYPE_CHECKING:
    from .evaluator import CallContext

Impl = Callable[..., Any]


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    impl: Impl
    min_args: int
    max_args: int | None  # None: any number
    unknowns: Literal["deep", "shallow", "pass"] = "deep"
    lazy: bool = False
    takes_lambda: bool = False  # only these may receive a `lambda()` value as an argument


@dataclass
class FunctionTable:
    """Functions of one group, keyed by lower-case name."""

    specs: dict[str, FunctionSpec] = field(default_factory=dict)

    def add(
        self,
        name: str,
        min_args: int = 0,
        max_args: int | None = -1,
        unknowns: Literal["deep", "shallow", "pass"] = "deep",
        lazy: bool = False,
    ) -> Callable[[Impl], Impl]:
        """Register `impl(ctx, *args)`; `max_args=-1` means the same as `min_args`."""

        def register(impl: Impl) -> Impl:
            upper = min_args if max_args == -1 else max_args
            self.specs[name.lower()] = FunctionSpec(name, impl, min_args, upper, unknowns, lazy)
            return impl

        return register


def check_type(ctx: "CallContext", index: int, value: Any, *types: type, what: str | None = None) -> None:
    """Raise Azure's kind of error when argument `index` is not of one of `types`."""
    if isinstance(value, bool) and bool not in types:
        ok = False
    else:
        ok = isinstance(value, types)
    if not ok:
        expected = what or " or ".join(_TYPE_WORDS.get(t, t.__name__) for t in types)
        raise ctx.error(
            f"the argument {index + 1} of '{ctx.name}' must be {expected}, not {type_name(value).lower()}",
            arg=index,
        )


_TYPE_WORDS = {str: "a string", int: "an integer", bool: "a boolean", list: "an array", dict: "an object", float: "a number"}


__all__ = ["ArmError", "FunctionSpec", "FunctionTable", "check_type"]
