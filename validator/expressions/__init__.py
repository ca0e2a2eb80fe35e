"""The ARM expression language: parser, evaluator, function library and the Unknown value."""
from __future__ import annotations

from typing import Any, Mapping

from .evaluator import CallContext, DeploymentContext, Evaluator, Scope, UserFunction
from .parser import Node, is_expression, parse
from .values import ArmError, OpenObject, Unknown

_default_evaluator: Evaluator | None = None


def default_evaluator() -> Evaluator:
    global _default_evaluator
    if _default_evaluator is None:
        _default_evaluator = Evaluator()
    return _default_evaluator


def simple_scope(
    parameters: Mapping[str, Any] | None = None,
    variables: Mapping[str, Any] | None = None,
    deployment: DeploymentContext | None = None,
) -> Scope:
    """A scope with fixed parameter and variable values, for tests and one-off evaluation."""
    params = {k.lower(): v for k, v in (parameters or {}).items()}
    vars_ = {k.lower(): v for k, v in (variables or {}).items()}

    def parameter(name: str, ctx: CallContext) -> Any:
        if name.lower() not in params:
            raise ctx.error(f"the parameter '{name}' is not defined in the template", code="InvalidTemplate")
        return params[name.lower()]

    def variable(name: str, ctx: CallContext) -> Any:
        if name.lower() not in vars_:
            raise ctx.error(f"the variable '{name}' is not defined in the template", code="InvalidTemplate")
        return vars_[name.lower()]

    return Scope(deployment=deployment or DeploymentContext(), parameter=parameter, variable=variable)


def evaluate(
    text: str,
    parameters: Mapping[str, Any] | None = None,
    variables: Mapping[str, Any] | None = None,
    deployment: DeploymentContext | None = None,
) -> Any:
    """Evaluate one template string (`"[concat('a', 'b')]"`); plain strings come back as they are."""
    return default_evaluator().evaluate_string(text, simple_scope(parameters, variables, deployment))


__all__ = [
    "ArmError",
    "CallContext",
    "DeploymentContext",
    "Evaluator",
    "Node",
    "OpenObject",
    "Scope",
    "Unknown",
    "UserFunction",
    "evaluate",
    "is_expression",
    "parse",
    "simple_scope",
]
