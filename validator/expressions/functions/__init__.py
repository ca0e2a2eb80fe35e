"""The ARM template function library, one module per group of Microsoft's function reference.

`ALL_FUNCTIONS` maps lower-case function names to their specs; it is the single list the
evaluator uses. Adding a group means adding it here.
"""
from __future__ import annotations

from dataclasses import replace

from ..registry import FunctionSpec
from . import arrays, cidr, comparison, dates, deployment, lambdas, numeric, strings

GROUPS = {
    "string": strings.TABLE,
    "array and object": arrays.TABLE,
    "comparison and logical": comparison.TABLE,
    "numeric": numeric.TABLE,
    "date": dates.TABLE,
    "cidr": cidr.TABLE,
    "lambda": lambdas.TABLE,
    "deployment, resource and scope": deployment.TABLE,
}


def _merge() -> dict[str, FunctionSpec]:
    merged: dict[str, FunctionSpec] = {}
    for table in GROUPS.values():
        for name, spec in table.specs.items():
            # `contains`, `empty`, `length`, ... are in several groups of Microsoft's reference:
            # one implementation serves them all, so a name must be defined once.
            if name in merged:
                raise RuntimeError(f"template function {name!r} is defined twice")
            merged[name] = spec
    # The lambda group's functions are the only ones a `lambda()` value may be given to.
    for name in lambdas.TABLE.specs:
        if name not in ("lambda", "lambdavariables"):
            merged[name] = replace(merged[name], takes_lambda=True)
    return merged


ALL_FUNCTIONS: dict[str, FunctionSpec] = _merge()
