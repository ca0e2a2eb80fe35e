"""Evaluates parsed ARM expressions against a `Scope`: what parameters, variables, copy loops,
lambda variables, user-defined functions and the deployment can see."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable, Protocol

from .parser import Call, Index, Literal, Node, Property, is_expression, parse
from .registry import FunctionSpec
from .values import ArmError, OpenObject, Unknown, find_unknown, get_property, is_int, type_name


# Azure caps a template at 4 MB; a string many times that can only come from runaway nesting
# (base64(base64(...))) and would exhaust memory before Azure ever saw it.
MAX_STRING_LENGTH = 16 * 1024 * 1024


class ResourceResolver(Protocol):
    """What the template layer answers for resource functions (`reference`, `resourceInfo`, `list*`)."""

    def reference(self, ctx: "CallContext", target: Any, api_version: Any, full: bool) -> Any: ...

    def resource_info(self, ctx: "CallContext", symbolic_name: str) -> Any: ...

    def references(self, ctx: "CallContext", symbolic_name: str, full: bool) -> Any: ...


@dataclass(frozen=True)
class UserFunction:
    """A function from the template's `functions` section."""

    namespace: str
    name: str
    parameters: tuple[tuple[str, str], ...]  # (name, type)
    output: Any  # the raw `output.value`
    output_type: str


@dataclass(frozen=True)
class DeploymentContext:
    """Where the template is deployed: what `subscription()`, `resourceGroup()` & co. return."""

    # An Unknown in these two: a nested deployment whose target only Azure knows.
    subscription_id: Any = "00000000-0000-0000-0000-000000000000"
    resource_group: Any = "rg"
    location: str = "westeurope"
    tenant_id: str = "00000000-0000-0000-0000-000000000000"
    deployment_name: str = "deployment"
    management_group: str | None = None
    cloud: str = "AzureCloud"
    scope: str = "resourceGroup"  # resourceGroup, subscription, managementGroup, tenant


@dataclass
class Scope:
    """Everything an expression can see. Copied (never mutated) to enter loops and lambdas."""

    deployment: DeploymentContext
    parameter: Callable[[str, "CallContext"], Any]
    variable: Callable[[str, "CallContext"], Any] | None = None
    functions: dict[str, UserFunction] = field(default_factory=dict)
    resources: ResourceResolver | None = None
    copy_indexes: dict[str, int] = field(default_factory=dict)
    current_copy: str | None = None  # the loop `copyIndex()` without a name refers to
    lambda_vars: dict[str, Any] = field(default_factory=dict)
    template: dict[str, Any] | None = None  # what `deployment().properties.template` shows
    in_user_function: bool = False

    def with_copy(self, loop: str, index: int, unnamed: bool = True) -> "Scope":
        """Enter a copy loop; `unnamed`: `copyIndex()` without a name refers to it (resource and
        output loops; property and variable loops are only reachable by name)."""
        current = loop.lower() if unnamed or self.current_copy is None else self.current_copy
        return replace(self, copy_indexes={**self.copy_indexes, loop.lower(): index}, current_copy=current)

    def with_lambda(self, names: list[str], values: list[Any]) -> "Scope":
        new = dict(self.lambda_vars)
        new.update({n.lower(): v for n, v in zip(names, values)})
        return replace(self, lambda_vars=new)


@dataclass(frozen=True)
class Lambda:
    """The value of `lambda('x', 'y', body)`: only the lambda functions can call it."""

    names: tuple[str, ...]
    body: Node
    source: str
    scope: Scope


class CallContext:
    """What a template function sees of its call: the evaluator, the scope and the call's source."""

    __slots__ = ("evaluator", "scope", "node", "source")

    def __init__(self, evaluator: "Evaluator", scope: Scope, node: Call, source: str):
        self.evaluator = evaluator
        self.scope = scope
        self.node = node
        self.source = source

    @property
    def name(self) -> str:
        return self.node.name

    @property
    def text(self) -> str:
        return self.source[self.node.span[0]:self.node.span[1]]

    def error(self, message: str, arg: int | None = None, code: str = "InvalidTemplateFunction") -> ArmError:
        span = self.node.args[arg].span if arg is not None and arg < len(self.node.args) else self.node.span
        return ArmError(message, span, code)

    def unknown(self, nondeterministic: bool = False, secret: bool = False) -> Unknown:
        return Unknown(self.text, nondeterministic, secret)

    def evaluate(self, node: Node, scope: Scope | None = None) -> Any:
        return self.evaluator.evaluate(node, self.source, scope or self.scope)

    def call_lambda(self, fn: Any, *args: Any) -> Any:
        if not isinstance(fn, Lambda):
            raise self.error(f"'{self.name}' expects a lambda() function, not {type_name(fn).lower()}")
        if len(args) != len(fn.names):
            raise self.error(f"the lambda given to '{self.name}' takes {len(fn.names)} arguments, but {len(args)} were given")
        return self.evaluator.evaluate(fn.body, fn.source, fn.scope.with_lambda(list(fn.names), list(args)))


class Evaluator:
    """Evaluates expressions with a function table (lower-case name -> spec)."""

    def __init__(self, functions: dict[str, FunctionSpec] | None = None):
        if functions is None:
            from .functions import ALL_FUNCTIONS

            functions = ALL_FUNCTIONS
        self.functions = functions

    def evaluate_string(self, text: str, scope: Scope) -> Any:
        """A JSON string of a template: an expression, an escaped `[[...]`, or plain text."""
        if is_expression(text):
            try:
                value = self.evaluate(parse(text), text, scope)
            except RecursionError:
                raise ArmError("the expression is nested too deeply to evaluate", (0, len(text)), "ExpressionTooDeep") from None
            if isinstance(value, Lambda):
                raise ArmError("a lambda() can only be given directly to a lambda function such as map() or filter()", (1, len(text) - 1))
            return value
        if text.startswith("[[") and text.endswith("]"):
            return text[1:]
        return text

    def evaluate_value(self, value: Any, scope: Scope) -> Any:
        """Evaluate every expression inside a JSON value, property names included."""
        if isinstance(value, str):
            if value and value[0] == "[":
                return self.evaluate_string(value, scope)
            return value
        if isinstance(value, list):
            return [self.evaluate_value(v, scope) for v in value]
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            for key, val in value.items():
                if key and key[0] == "[" and is_expression(key):
                    name = self.evaluate_string(key, scope)
                    if isinstance(name, Unknown):
                        name = "{" + name.expression + "}"
                    elif not isinstance(name, str):
                        name = str(name)
                    key = name
                out[key] = self.evaluate_value(val, scope)
            return out
        return value

    def evaluate(self, node: Node, source: str, scope: Scope) -> Any:
        if isinstance(node, Literal):
            return node.value
        if isinstance(node, Call):
            return self._call(node, source, scope)
        if isinstance(node, Property):
            target = self.evaluate(node.target, source, scope)
            return self._member(target, node.name, node, source, by_index=False)
        if isinstance(node, Index):
            target = self.evaluate(node.target, source, scope)
            index = self.evaluate(node.index, source, scope)
            if isinstance(index, Unknown):
                return index.derive(source[node.span[0]:node.span[1]], *([target] if isinstance(target, Unknown) else []))
            return self._member(target, index, node, source, by_index=True)
        raise ArmError(f"unexpected expression node {node!r}")

    def _member(self, target: Any, key: Any, node: Property | Index, source: str, by_index: bool) -> Any:
        text = source[node.span[0]:node.span[1]]
        if isinstance(target, Unknown):
            return target.derive(text)
        if isinstance(target, dict):
            if isinstance(key, str):
                found, value = get_property(target, key)
                if found:
                    return value
                if isinstance(target, OpenObject):
                    return Unknown(text)
                available = ", ".join(target.keys())
                raise ArmError(
                    f"the language expression property '{key}' doesn't exist, available properties are '{available}'",
                    node.span,
                    "InvalidTemplate",
                )
            raise ArmError(f"an object can only be indexed by a string, not {type_name(key).lower()}", node.span)
        if isinstance(target, list):
            if is_int(key):
                if 0 <= key < len(target):
                    return target[key]
                raise ArmError(
                    f"the language expression index '{key}' is out of bounds: the array has {len(target)} elements",
                    node.span,
                    "InvalidTemplate",
                )
            if isinstance(key, str) and not by_index:
                raise ArmError(f"the language expression property '{key}' can't be evaluated on an array", node.span)
            raise ArmError(f"an array can only be indexed by an integer, not {type_name(key).lower()}", node.span)
        if target is None:
            raise ArmError(f"the language expression property '{key}' can't be evaluated: the value is null", node.span)
        raise ArmError(
            f"the language expression property '{key}' can't be evaluated on a {type_name(target).lower()}",
            node.span,
        )

    def _call(self, node: Call, source: str, scope: Scope) -> Any:
        ctx = CallContext(self, scope, node, source)
        if node.namespace is not None:
            return self._call_user_function(ctx, scope)
        spec = self.functions.get(node.name.lower())
        if spec is None:
            if node.name.lower().startswith("list"):
                spec = self.functions["list*"]
            else:
                raise ArmError(
                    f"the template function '{node.name}' is not valid: there is no such function in ARM templates",
                    node.span,
                    "InvalidTemplateFunction",
                )
        count = len(node.args)
        if count < spec.min_args or (spec.max_args is not None and count > spec.max_args):
            if spec.max_args is None:
                expected = f"at least {spec.min_args}"
            elif spec.min_args == spec.max_args:
                expected = str(spec.min_args)
            else:
                expected = f"{spec.min_args} to {spec.max_args}"
            raise ArmError(
                f"the template function '{node.name}' expects {expected} argument{'s' if expected != '1' else ''}, but {count} were given",
                node.span,
                "InvalidTemplateFunction",
            )
        if spec.lazy:
            return spec.impl(ctx, *node.args)
        args = [self.evaluate(arg, source, scope) for arg in node.args]
        if not spec.takes_lambda:
            for arg, value in zip(node.args, args):
                if isinstance(value, Lambda):
                    raise ArmError(
                        f"'{node.name}' can't take a lambda(): only lambda functions such as map() or filter() can",
                        arg.span,
                        "InvalidTemplateFunction",
                    )
        if spec.unknowns != "pass":
            for arg in args:
                found = arg if isinstance(arg, Unknown) else (find_unknown(arg) if spec.unknowns == "deep" else None)
                if found is not None:
                    others = [a for a in args if isinstance(a, Unknown)]
                    return found.derive(ctx.text, *others)
        result = spec.impl(ctx, *args)
        if isinstance(result, str) and len(result) > MAX_STRING_LENGTH:
            raise ArmError(
                f"'{node.name}' produced a string of {len(result):,} characters: more than an ARM template can hold",
                node.span,
                "ValueTooLarge",
            )
        return result

    def _call_user_function(self, ctx: CallContext, scope: Scope) -> Any:
        node = ctx.node
        key = f"{node.namespace}.{node.name}".lower()
        fn = scope.functions.get(key)
        if fn is None:
            raise ctx.error(f"the user-defined function '{node.namespace}.{node.name}' is not defined in the template's functions")
        if len(node.args) != len(fn.parameters):
            raise ctx.error(
                f"the user-defined function '{node.namespace}.{node.name}' expects {len(fn.parameters)} arguments, but {len(node.args)} were given"
            )
        values = {pname.lower(): self.evaluate(arg, ctx.source, scope) for (pname, _), arg in zip(fn.parameters, node.args)}

        def parameter(name: str, inner: CallContext) -> Any:
            if name.lower() in values:
                return values[name.lower()]
            raise inner.error(f"the parameter '{name}' is not a parameter of the user-defined function '{fn.name}'")

        inner_scope = Scope(
            deployment=scope.deployment,
            parameter=parameter,
            variable=None,
            functions=scope.functions,
            in_user_function=True,
        )
        if isinstance(fn.output, str) and is_expression(fn.output):
            try:
                return self.evaluate(parse(fn.output), fn.output, inner_scope)
            except ArmError as err:
                raise ctx.error(f"in the user-defined function '{node.namespace}.{node.name}': {err.message}") from None
        return self.evaluate_value(fn.output, inner_scope)
