"""Expansion: evaluate a template as Azure would deploy it.

Parameters (command line over parameter file over `defaultValue`, validated), variables (with
`copy`), user-defined functions, resources (`condition`, `copy`, child resources flattened,
`languageVersion` 2.0 symbolic names and `existing`), nested deployments (inline with inner or
outer scope, linked by relative path from disk), and outputs. Whatever goes wrong becomes a
`Diagnostic` with file, line and column, and expansion goes on where that makes sense.
"""
from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from ..diagnostics import Diagnostic, Severity
from ..expressions import default_evaluator
from ..expressions.evaluator import CallContext, DeploymentContext, Scope, UserFunction
from ..expressions.parser import is_expression
from ..expressions.values import (
    ArmError,
    OpenObject,
    Unknown,
    arm_equals,
    is_int,
    type_name,
)
from ..keys import find_key
from ..source import Document, SourceError, load_document
from .model import (
    DECLARATION_KEYS,
    ExpandedResource,
    Expansion,
    JsonPath,
    ParameterValue,
)

MAX_COPY = 800  # ARM's limit on copy loops
MAX_VALUE_DEPTH = 64  # JSON nesting inside one template beyond which values are not evaluated
MAX_NESTING = 32  # nested deployments deeper than this are absurd (ARM itself allows a few hundred in total)
DEPLOYMENTS = "microsoft.resources/deployments"

SCHEMA_SCOPES = (
    ("subscriptiondeploymenttemplate", "subscription"),
    ("managementgroupdeploymenttemplate", "managementGroup"),
    ("tenantdeploymenttemplate", "tenant"),
    ("deploymenttemplate", "resourceGroup"),
)

_NONDETERMINISTIC = re.compile(r"\b(newguid|utcnow)\s*\(", re.IGNORECASE)


@dataclass
class InputValue:
    """A parameter value supplied from outside the template."""

    value: Any
    origin: str  # "command line", "parameter file", "nested deployment"
    json_path: JsonPath = ()
    document: Document | None = None
    is_reference: bool = False  # a Key Vault reference: a secret only Azure can read


@dataclass
class ExpandOptions:
    fill_missing: bool = False  # give required parameters without a value an Unknown instead of an error
    base_dir: str | None = None  # where linked templates' relative paths start


class _Cycle(Exception):
    pass


def scope_of_schema(template: dict[str, Any]) -> str:
    schema = str(_get(template, "$schema") or "").lower()
    for marker, scope in SCHEMA_SCOPES:
        if marker in schema:
            return scope
    return "resourceGroup"


def _get(obj: Any, key: str, default: Any = None) -> Any:
    """Case-insensitive property of a template object (ARM's own keys are case-insensitive);
    `default` when `obj` is not an object (a malformed template)."""
    found = find_key(obj, key) if isinstance(obj, dict) else None
    return default if found is None else obj[found]


def _key(obj: Any, key: str) -> str:
    """The key as spelled in `obj`, for JSON paths."""
    return (find_key(obj, key) if isinstance(obj, dict) else None) or key


def expand_template(
    document: Document,
    context: DeploymentContext,
    inputs: dict[str, InputValue],
    options: ExpandOptions | None = None,
) -> Expansion:
    """Expand the template in `document`; `inputs` are keyed by lower-case parameter name."""
    options = options or ExpandOptions()
    expansion = Expansion(document=document)
    if not isinstance(document.value, dict):
        expansion.diagnostics.append(
            Diagnostic("error", "InvalidTemplate", "a template must be a JSON object", document.path, 1, 1)
        )
        return expansion
    context = replace(context, scope=scope_of_schema(document.value))
    run = _Run(expansion, document, (), document.value, context, inputs, options, depth=0, parent=None, name=None)
    run.expand()
    run.release()
    return expansion


class _Run:
    """One template deployment: the top-level template or a nested one."""

    def __init__(
        self,
        expansion: Expansion,
        document: Document,
        path: JsonPath,
        template: dict[str, Any],
        context: DeploymentContext,
        inputs: dict[str, InputValue],
        options: ExpandOptions,
        depth: int,
        parent: _Run | None,
        name: str | None,
        outer_scope: Scope | None = None,
        deployed: bool | Unknown = True,
    ):
        self.expansion = expansion
        self.document = document
        self.path = path
        self.template = template
        self.context = context
        self.inputs = inputs
        self.options = options
        self.depth = depth
        self.parent = parent
        self.name = name
        self.deployed = deployed
        self.evaluator = default_evaluator()
        self.outer_scope = outer_scope
        self.language_v2 = str(_get(template, "languageVersion") or "").startswith("2")
        self.parameter_decls = {k.lower(): (k, v) for k, v in (_get(template, "parameters") or {}).items()} if isinstance(_get(template, "parameters"), dict) else {}
        raw_vars = _get(template, "variables")
        self.variable_decls = {k.lower(): (k, v) for k, v in raw_vars.items()} if isinstance(raw_vars, dict) else {}
        self.parameter_values: dict[str, Any] = {}
        self.variable_values: dict[str, Any] = {}
        self.in_progress: set[str] = set()
        self.resources: list[ExpandedResource] = []
        self.by_symbol: dict[str, list[ExpandedResource]] = {}
        self.copy_groups: dict[str, list[ExpandedResource]] = {}
        self.nested_outputs: dict[int, Any] = {}  # id(resource) -> outputs of its nested deployment
        self.pending_bodies: dict[int, Callable[[], None]] = {}
        # Azure does not evaluate what a false condition leaves out: its errors are not reported.
        self.quiet: bool = deployed is False or (parent is not None and parent.quiet)
        self.scope = self._make_scope()

    # --- diagnostics --------------------------------------------------------------------------

    def report(self, severity: Severity, code: str, message: str, path: JsonPath, span_start: int | None = None) -> None:
        if self.quiet:
            return
        line, column = 0, 0
        try:
            if span_start is not None:
                offset = self.document.source_offset_in_string(path, span_start)
                line, column = self.document.position(offset)
            else:
                loc = self.document.location(path)
                line, column = loc.line, loc.column
        except Exception:  # noqa: BLE001, S110 - a position is a courtesy: never let it hide the diagnostic itself
            pass
        self.expansion.diagnostics.append(Diagnostic(severity, code, message, self.document.path, line, column, tuple(path)))

    def evaluate(self, value: Any, path: JsonPath, scope: Scope | None = None, allow_nondeterministic: bool = False) -> Any:
        """Evaluate a JSON value; an expression that fails becomes a diagnostic and an Unknown."""
        scope = scope or self.scope
        if isinstance(value, str):
            if not value or value[0] != "[":
                return value
            if not allow_nondeterministic and is_expression(value) and _NONDETERMINISTIC.search(value):
                match = _NONDETERMINISTIC.search(value)
                assert match is not None
                self.report(
                    "error",
                    "InvalidFunctionLocation",
                    f"{match.group(1)}() can only be used in a parameter's defaultValue: Azure rejects it here",
                    path,
                    match.start(),
                )
            try:
                return self.evaluator.evaluate_string(value, scope)
            except ArmError as err:
                self.report("error", err.code, err.message, path, err.span[0] if err.span else None)
                return Unknown(value[1:-1] if is_expression(value) else value)
            except RecursionError:
                self.report("error", "ExpressionTooDeep", "the expression is nested too deeply to evaluate", path)
                return Unknown(value[1:-1])
        if isinstance(value, (list, dict)) and len(path) - len(self.path) > MAX_VALUE_DEPTH:
            # Deeper than any real template; recursing further would overflow Python's stack.
            self.report("error", "NestingTooDeep", f"the JSON value is nested more than {MAX_VALUE_DEPTH} levels deep", path)
            return Unknown("<a value nested too deeply>")
        if isinstance(value, list):
            return [self.evaluate(v, path + (i,), scope, allow_nondeterministic) for i, v in enumerate(value)]
        if isinstance(value, dict):
            return self._evaluate_object(value, path, scope, allow_nondeterministic)
        return value

    def _evaluate_object(self, value: dict[str, Any], path: JsonPath, scope: Scope, allow_nd: bool) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key.lower() == "copy" and isinstance(item, list):
                # Property iteration: each entry makes an array property from `input` repeated `count` times.
                for i, loop in enumerate(item):
                    produced = self._property_copy(loop, path + (key, i), scope)
                    if produced is not None:
                        out[produced[0]] = produced[1]
                continue
            name = key
            if key and key[0] == "[" and is_expression(key):
                evaluated = self.evaluate(key, path + (key,), scope, allow_nd)
                name = evaluated.expression if isinstance(evaluated, Unknown) else str(evaluated)
            out[name] = self.evaluate(item, path + (key,), scope, allow_nd)
        return out

    def _property_copy(self, loop: Any, path: JsonPath, scope: Scope) -> tuple[str, Any] | None:
        if not isinstance(loop, dict) or not isinstance(_get(loop, "name"), str) or _get(loop, "input") is None:
            self.report("error", "InvalidCopy", "a property copy needs 'name', 'count' and 'input'", path)
            return None
        name = _get(loop, "name")
        count = self._copy_count(loop, path, scope)
        input_key = _key(loop, "input")
        if isinstance(count, Unknown):
            return name, count.derive(f"copy '{name}'")
        return name, [self.evaluate(loop[input_key], path + (input_key,), scope.with_copy(name, i, unnamed=False)) for i in range(count)]

    def _copy_count(self, loop: dict[str, Any], path: JsonPath, scope: Scope) -> int | Unknown:
        count_key = _key(loop, "count")
        count = self.evaluate(loop.get(count_key), path + (count_key,), scope)
        if isinstance(count, Unknown):
            return count
        if isinstance(count, str) and count.strip().lstrip("-").isdigit():
            count = int(count)
        if not is_int(count):
            self.report("error", "InvalidCopy", f"the copy count must be an integer, not {type_name(count).lower()}", path + (count_key,))
            return 0
        if count < 0 or count > MAX_COPY:
            self.report(
                "error",
                "CopyCountOutOfRange",
                f"the copy count {count} is outside ARM's limits (0 to {MAX_COPY})",
                path + (count_key,),
            )
            return int(max(0, min(count, MAX_COPY)))
        return int(count)

    # --- scope: parameters, variables, functions ------------------------------------------------

    def _make_scope(self) -> Scope:
        if self.outer_scope is not None:
            # Outer scope: expressions see the parent's parameters and variables.
            return replace(self.outer_scope, resources=_Resolver(self), template=self.template)
        return Scope(
            deployment=self.context,
            parameter=self._parameter,
            variable=self._variable,
            functions=self._user_functions(),
            resources=_Resolver(self),
            template=self.template,
        )

    def _user_functions(self) -> dict[str, UserFunction]:
        functions: dict[str, UserFunction] = {}
        raw = _get(self.template, "functions")
        if not isinstance(raw, list):
            return functions
        for i, group in enumerate(raw):
            if not isinstance(group, dict):
                continue
            namespace = _get(group, "namespace")
            members = _get(group, "members")
            if not isinstance(namespace, str) or not isinstance(members, dict):
                self.report("error", "InvalidFunctions", "a function group needs a 'namespace' and 'members'", ("functions", i))
                continue
            for fname, decl in members.items():
                if not isinstance(decl, dict):
                    continue
                params = tuple(
                    (str(_get(p, "name")), str(_get(p, "type", "")))
                    for p in (_get(decl, "parameters") or [])
                    if isinstance(p, dict)
                )
                output = _get(decl, "output") or {}
                functions[f"{namespace}.{fname}".lower()] = UserFunction(
                    namespace, fname, params, _get(output, "value"), str(_get(output, "type", ""))
                )
        return functions

    def _parameter(self, name: str, ctx: CallContext) -> Any:
        key = name.lower()
        if key in self.parameter_values:
            return self.parameter_values[key]
        if key not in self.parameter_decls:
            raise ctx.error(f"the template parameter '{name}' is not found: it is not declared in 'parameters'", code="InvalidTemplate")
        if key in self.in_progress:
            raise ctx.error(f"the default value of parameter '{name}' refers to itself", code="CircularReference")
        self.in_progress.add(key)
        try:
            self._resolve_parameter(key)
        finally:
            self.in_progress.discard(key)
        return self.parameter_values[key]

    def _resolve_parameter(self, key: str) -> None:
        declared_name, decl = self.parameter_decls[key]
        path = self.path + (_key(self.template, "parameters"), declared_name)
        if not isinstance(decl, dict):
            self.report("error", "InvalidParameter", f"the parameter '{declared_name}' must be declared as an object", path)
            self.parameter_values[key] = Unknown(f"parameters('{declared_name}')")
            return
        ptype = str(_get(decl, "type") or self._definition_type(decl) or "").lower()
        secure = ptype in ("securestring", "secureobject") or bool(_get(_get(decl, "metadata") or {}, "__bicep_secure"))
        placeholder = Unknown(f"parameters('{declared_name}')", secret=secure)
        supplied = self.inputs.get(key)
        if supplied is not None and supplied.value is None and not supplied.is_reference:
            supplied = None  # ARM deploys a parameter given as null with its default value
        if supplied is not None:
            value, origin = supplied.value, supplied.origin
            if supplied.is_reference:
                value = Unknown(f"parameters('{declared_name}')", secret=True)
        elif _key(decl, "defaultValue") in decl:
            default_key = _key(decl, "defaultValue")
            default_scope = replace(self.scope, variable=None)
            value = self.evaluate(decl[default_key], path + (default_key,), default_scope, allow_nondeterministic=True)
            origin = "default"
        elif _get(decl, "nullable") is True:
            value, origin = None, "default"
        else:
            if not self.options.fill_missing:
                self.report(
                    "error",
                    "MissingParameter",
                    f"the template parameter '{declared_name}' has no value: pass it with --param {declared_name}=VALUE or in a parameter file",
                    path,
                )
            value, origin = placeholder, "missing"
        if supplied is not None and not isinstance(value, Unknown):
            value = self._coerce(value, ptype, supplied.origin)
        if not isinstance(value, Unknown):
            # A bad default is reported at the defaultValue itself, not at the whole declaration.
            where = path + (_key(decl, "defaultValue"),) if origin == "default" and _key(decl, "defaultValue") in decl else path
            self._validate_parameter(declared_name, decl, ptype, value, supplied, where)
        if secure:  # never the value itself, but keep whether it changes between runs (a newGuid() default)
            nondeterministic = isinstance(value, Unknown) and value.nondeterministic
            value = Unknown(f"parameters('{declared_name}')", nondeterministic=nondeterministic, secret=True)
        self.parameter_values[key] = value
        if self.parent is None:
            self.expansion.parameters[declared_name] = ParameterValue(declared_name, ptype, value, origin, secure)

    def _definition_type(self, decl: dict[str, Any]) -> str | None:
        ref = _get(decl, "$ref")
        if isinstance(ref, str) and ref.startswith("#/definitions/"):
            definitions = _get(self.template, "definitions") or {}
            target = _get(definitions, ref.split("/")[-1]) if isinstance(definitions, dict) else None
            if isinstance(target, dict):
                return _get(target, "type") or self._definition_type(target)
        return None

    @staticmethod
    def _coerce(value: Any, ptype: str, origin: str = "") -> Any:
        """Parameter files and the command line carry strings for ints and bools; ARM converts them."""
        if origin == "command line" and ptype in ("string", "securestring") and isinstance(value, (bool, int, float)):
            # The Azure CLI keeps `NAME=123` as written for a string parameter; the library parsed it as JSON.
            return json.dumps(value)
        if isinstance(value, str):
            if ptype == "int" and re.fullmatch(r"-?\d+", value.strip()):
                return int(value)
            if ptype == "bool" and value.lower() in ("true", "false"):
                return value.lower() == "true"
        return value

    def _validate_parameter(
        self, name: str, decl: dict[str, Any], ptype: str, value: Any, supplied: InputValue | None, path: JsonPath
    ) -> None:
        def fail(message: str) -> None:
            if self.quiet:
                return  # Azure does not validate what a false condition leaves out
            where = f" (from the {supplied.origin})" if supplied is not None else ""
            if supplied is not None and supplied.document is not None and supplied.json_path:
                self.expansion.diagnostics.append(_diagnostic_at(supplied.document, supplied.json_path, message + where))
            else:
                self.report("error", "InvalidParameter", message + where, path)

        expected = {
            "string": (str,),
            "securestring": (str,),
            "int": (int,),
            "bool": (bool,),
            "object": (dict,),
            "secureobject": (dict,),
            "array": (list,),
        }.get(ptype)
        if value is None and _get(decl, "nullable") is True:
            return
        if expected is not None:
            ok = isinstance(value, expected) and not (isinstance(value, bool) and bool not in expected)
            if not ok:
                fail(f"the value of parameter '{name}' must be of type '{ptype}', not {type_name(value).lower()}")
                return
        allowed = _get(decl, "allowedValues")
        if isinstance(allowed, list) and allowed:
            candidates = value if isinstance(value, list) and ptype == "array" else [value]
            for candidate in candidates:
                if any(arm_equals(candidate, a) for a in allowed):
                    continue
                listed = ", ".join(repr(a) if not isinstance(a, str) else f"'{a}'" for a in allowed)
                # A secure value is never shown, only said to be one.
                subject = "the secure value" if ptype.startswith("secure") else f"the value {candidate!r}"
                fail(f"{subject} of parameter '{name}' is not one of the allowed values: {listed}")
                break
        for bound, at_least, word in (("minValue", True, "at least"), ("maxValue", False, "at most")):
            limit = _get(decl, bound)
            if is_int(limit) and is_int(value) and (value < limit if at_least else value > limit):
                fail(f"the value of parameter '{name}' must be {word} {limit}, not {value}")
        for bound, at_least, word in (("minLength", True, "at least"), ("maxLength", False, "at most")):
            limit = _get(decl, bound)
            if is_int(limit) and isinstance(value, (str, list)) and (len(value) < limit if at_least else len(value) > limit):
                fail(f"the length of parameter '{name}' must be {word} {limit}, not {len(value)}")

    def _variable(self, name: str, ctx: CallContext) -> Any:
        key = name.lower()
        if key in self.variable_values:
            return self.variable_values[key]
        copies = self._variable_copies()
        if key not in self.variable_decls and key not in copies:
            raise ctx.error(f"the template variable '{name}' is not found: it is not declared in 'variables'", code="InvalidTemplate")
        if "v:" + key in self.in_progress:
            raise ctx.error(f"the variable '{name}' refers to itself, directly or through other variables", code="CircularReference")
        self.in_progress.add("v:" + key)
        try:
            if key in self.variable_decls:
                declared_name, raw = self.variable_decls[key]
                value = self.evaluate(raw, self.path + ("variables", declared_name))
            else:
                index, loop = copies[key]
                produced = self._property_copy(loop, self.path + ("variables", _key(_get(self.template, "variables"), "copy"), index), self.scope)
                value = produced[1] if produced else Unknown(f"variables('{name}')")
        finally:
            self.in_progress.discard("v:" + key)
        self.variable_values[key] = value
        return value

    def _variable_copies(self) -> dict[str, tuple[int, dict[str, Any]]]:
        raw = self.variable_decls.get("copy", (None, None))[1]
        if not isinstance(raw, list):
            return {}
        return {str(_get(loop, "name")).lower(): (i, loop) for i, loop in enumerate(raw) if isinstance(loop, dict)}

    # --- the whole run --------------------------------------------------------------------------

    def expand(self) -> None:
        if self.depth == 0 or self.outer_scope is None:
            for key in self.parameter_decls:
                if key not in self.parameter_values:
                    try:
                        self._parameter(self.parameter_decls[key][0], _NullContext(self))  # type: ignore[arg-type]
                    except ArmError as err:
                        self.report("error", err.code, err.message, self.path + ("parameters", self.parameter_decls[key][0]))
            for key, supplied in self.inputs.items():
                if key not in self.parameter_decls and supplied.origin != "nested deployment":
                    message = f"the parameter '{key}' from the {supplied.origin} is not declared in the template: Azure rejects the deployment"
                    if supplied.document is not None:
                        self.expansion.diagnostics.append(_diagnostic_at(supplied.document, supplied.json_path, message))
                    else:
                        self.report("error", "UnknownParameter", message, self.path)
        self._declare_resources()
        for resource in list(self.resources):
            self._evaluate_body(resource)
        self._evaluate_outputs()

    def release(self) -> None:
        """Break the run's reference cycles (its scope calls back into it through bound methods and
        a resolver) once it is done, so that it, and the template it holds, are freed at once by
        reference counting rather than kept until the cyclic garbage collector runs."""
        self.scope = None  # type: ignore[assignment]
        self.outer_scope = None
        self.pending_bodies.clear()

    def _declarations(self) -> Iterator[tuple[JsonPath, dict[str, Any], str | None]]:
        raw = _get(self.template, "resources")
        key = _key(self.template, "resources")
        if isinstance(raw, list):
            for i, decl in enumerate(raw):
                yield self.path + (key, i), decl, None
        elif isinstance(raw, dict):
            for symbol, decl in raw.items():
                yield self.path + (key, symbol), decl, symbol
        elif raw is not None:
            self.report("error", "InvalidTemplate", "'resources' must be an array (or an object with languageVersion 2.0)", self.path + (key,))

    def _declare_resources(self) -> None:
        for path, decl, symbol in self._declarations():
            self._declare(path, decl, symbol, parent=None)

    def _declare(self, path: JsonPath, decl: Any, symbol: str | None, parent: ExpandedResource | None) -> None:
        if not isinstance(decl, dict):
            self.report("error", "InvalidResource", "a resource must be a JSON object", path)
            return
        copy = _get(decl, "copy")
        if copy is not None and not isinstance(copy, dict):
            self.report("error", "InvalidCopy", "a resource's 'copy' must be an object with 'name' and 'count'", path + (_key(decl, "copy"),))
            copy = None
        instances: list[tuple[Scope, int | Unknown | None]] = [(self.scope, None)]
        if copy is not None:
            loop_name = _get(copy, "name")
            if not isinstance(loop_name, str):
                self.report("error", "InvalidCopy", "a resource's copy loop needs a 'name'", path + (_key(decl, "copy"),))
                loop_name = symbol or "copy"
            count = self._copy_count(copy, path + (_key(decl, "copy"),), self.scope)
            if isinstance(count, Unknown):
                instances = [(_UnknownIndexScope.make(self.scope, loop_name), count)]
            else:
                instances = [(self.scope.with_copy(loop_name, i), i) for i in range(count)]
        group: list[ExpandedResource] = []
        for scope, index in instances:
            resource = self._declare_instance(path, decl, symbol, parent, scope, index)
            if resource is None:
                continue
            group.append(resource)
            for j, child in enumerate(_get(decl, "resources") or []):
                self._declare(path + (_key(decl, "resources"), j), child, None, parent=resource)
        if symbol is not None:
            self.by_symbol[symbol.lower()] = group
        if copy is not None and isinstance(_get(copy, "name"), str):
            self.copy_groups[_get(copy, "name").lower()] = group

    def _declare_instance(
        self,
        path: JsonPath,
        decl: dict[str, Any],
        symbol: str | None,
        parent: ExpandedResource | None,
        scope: Scope,
        index: int | Unknown | None,
    ) -> ExpandedResource | None:
        existing = _get(decl, "existing") is True
        deployed: bool | Unknown = not existing
        if deployed is True and self.deployed is not True:
            deployed = self.deployed
        if parent is not None and parent.deployed is not True and deployed is True:
            deployed = parent.deployed
        condition_key = _key(decl, "condition")
        condition_false = False
        if condition_key in decl:
            condition = self.evaluate(decl[condition_key], path + (condition_key,), scope)
            if isinstance(condition, str) and condition.lower() in ("true", "false"):
                condition = condition.lower() == "true"
            if isinstance(condition, Unknown):
                deployed = condition if deployed is True else deployed
            elif not isinstance(condition, bool):
                self.report("error", "InvalidCondition", f"a condition must be a boolean, not {type_name(condition).lower()}", path + (condition_key,))
            elif not condition:
                deployed, condition_false = False, True
        was_quiet = self.quiet
        # Azure evaluates nothing else of a resource whose condition is false.
        # Existing resources are only read when referenced: their expressions are checked there.
        self.quiet = was_quiet or condition_false or deployed is False
        try:
            rtype = self.evaluate(_get(decl, "type"), path + (_key(decl, "type"),), scope)
            name = self.evaluate(_get(decl, "name"), path + (_key(decl, "name"),), scope)
            api_version = self.evaluate(_get(decl, "apiVersion"), path + (_key(decl, "apiVersion"),), scope)
            if not isinstance(rtype, str) or "/" not in rtype and parent is None:
                self.report("error", "InvalidResource", "a resource needs a 'type' such as 'Microsoft.KeyVault/vaults'", path)
                return None
            if name is None:
                self.report("error", "InvalidResource", "a resource needs a 'name'", path)
                return None
            if isinstance(name, (int, bool)) or not isinstance(name, (str, Unknown)):
                name = str(name)
            if parent is not None:
                if not rtype.lower().startswith(parent.type.lower() + "/") and rtype.count("/") < 2:
                    rtype = f"{parent.type}/{rtype}"
                if isinstance(name, str) and isinstance(parent.name, str) and name.count("/") < rtype.count("/") - 1:
                    name = f"{parent.name}/{name}"
                elif isinstance(parent.name, Unknown) or isinstance(name, Unknown):
                    name = (parent.name if isinstance(parent.name, Unknown) else name).derive(f"{_text(parent.name)}/{_text(name)}")
            target, resource_id = self._resource_id(decl, path, scope, rtype, name)
        finally:
            self.quiet = was_quiet
        resource = ExpandedResource(
            id=resource_id,
            type=rtype,
            name=name,
            api_version=api_version if isinstance(api_version, str) else str(api_version or ""),
            deployed=deployed,
            document=self.document,
            json_path=path,
            raw=decl,
            symbolic_name=symbol,
            existing=existing,
            copy_index=index,
            deployment=self._deployment_chain(),
            target=target,
        )
        self.resources.append(resource)
        self.expansion.resources.append(resource)
        self.pending_bodies[id(resource)] = lambda: self._evaluate_body_now(resource, scope)
        return resource

    def _deployment_chain(self) -> str | None:
        names: list[str] = []
        run: _Run | None = self
        while run is not None and run.name is not None:
            names.append(run.name)
            run = run.parent
        return "/".join(reversed(names)) if names else None

    def _resource_id(self, decl: dict[str, Any], path: JsonPath, scope: Scope, rtype: str, name: Any) -> tuple[str, str | Unknown]:
        context = self.context
        subscription: Any = context.subscription_id
        group: Any = context.resource_group if context.scope == "resourceGroup" else None
        for key in ("subscriptionId", "resourceGroup"):
            if _key(decl, key) in decl:
                value = self.evaluate(decl[_key(decl, key)], path + (_key(decl, key),), scope)
                if key == "subscriptionId":
                    subscription = value
                else:
                    group = value
        if isinstance(subscription, Unknown) or isinstance(group, Unknown):
            bad = subscription if isinstance(subscription, Unknown) else group
            return str(bad.expression), bad.derive(f"resourceId of {_text(name)}")
        if group is not None:
            target = f"/subscriptions/{subscription}/resourceGroups/{group}"
        elif context.scope in ("managementGroup", "tenant") and subscription == context.subscription_id:
            target = f"/providers/Microsoft.Management/managementGroups/{context.management_group}" if context.management_group else ""
        else:
            target = f"/subscriptions/{subscription}"
        scope_key = _key(decl, "scope")
        if scope_key in decl:
            extension_scope = self.evaluate(decl[scope_key], path + (scope_key,), scope)
            if isinstance(extension_scope, Unknown):
                return target, extension_scope.derive(f"resourceId of {_text(name)}")
            if isinstance(extension_scope, str):
                if not extension_scope.startswith("/"):
                    symbol = self.by_symbol.get(extension_scope.lower())
                    if symbol and isinstance(symbol[0].id, str):
                        extension_scope = symbol[0].id
                    else:
                        extension_scope = f"{target}/providers/{extension_scope}" if extension_scope else target
                target = extension_scope.rstrip("/")
        if isinstance(name, Unknown):
            return target, name.derive(f"resourceId of {name.expression}")
        segments = rtype.split("/")
        names = str(name).split("/")
        if len(names) != len(segments) - 1:
            self.report(
                "error",
                "InvalidResourceName",
                f"the resource name '{name}' must have {len(segments) - 1} segment(s) for type '{rtype}', one per type segment after the namespace",
                path + (_key(decl, "name"),),
            )
        parts = [segments[0], segments[1], names[0]]
        for child_type, child_name in zip(segments[2:], names[1:]):
            parts += [child_type, child_name]
        return target, f"{target}/providers/{'/'.join(parts)}"

    # --- resource bodies and nested deployments -------------------------------------------------

    def _evaluate_body(self, resource: ExpandedResource) -> None:
        pending = self.pending_bodies.pop(id(resource), None)
        if pending is not None:
            pending()

    def _evaluate_body_now(self, resource: ExpandedResource, scope: Scope) -> None:
        was_quiet = self.quiet
        self.quiet = was_quiet or resource.deployed is False
        try:
            self._evaluate_body_quietly(resource, scope)
        finally:
            self.quiet = was_quiet

    def _evaluate_body_quietly(self, resource: ExpandedResource, scope: Scope) -> None:
        decl, path = resource.raw, resource.json_path
        body: dict[str, Any] = {}
        for key, value in decl.items():
            if key.lower() in DECLARATION_KEYS or key.lower() in ("subscriptionid", "resourcegroup", "scope", "metadata"):
                continue
            if key.lower() == "properties" and resource.type_lower == DEPLOYMENTS and isinstance(value, dict):
                body[key] = self._deployment_properties(resource, value, path + (key,), scope)
                continue
            body[key] = self.evaluate(value, path + (key,), scope)
        resource.body = body
        depends_key = _key(decl, "dependsOn")
        raw_depends = decl.get(depends_key)
        if isinstance(raw_depends, list):
            resource.depends_on = [
                dep for i, entry in enumerate(raw_depends) for dep in self._dependency(entry, path + (depends_key, i), scope)
            ]
        if resource.type_lower == DEPLOYMENTS and isinstance(decl.get(_key(decl, "properties")), dict):
            self._expand_nested(resource, decl[_key(decl, "properties")], path + (_key(decl, "properties"),), scope)

    def _deployment_properties(self, resource: ExpandedResource, value: dict[str, Any], path: JsonPath, scope: Scope) -> dict[str, Any]:
        """A nested deployment's properties, without evaluating its template in the parent's scope."""
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key.lower() == "template":
                out[key] = {"$nestedTemplate": True}
            elif key.lower() == "parameters" and isinstance(item, dict):
                secure = _secure_parameters(_get(value, "template"))
                out[key] = {
                    pname: (
                        {"reference": "<Key Vault reference>"}
                        if isinstance(p, dict) and _key(p, "reference") in p
                        # A value passed to a secure parameter of the nested template is a secret even when written literally.
                        else {"value": Unknown(f"parameters('{pname}')", secret=True)}
                        if pname.lower() in secure
                        else self.evaluate(p, path + (key, pname), scope)
                    )
                    for pname, p in item.items()
                }
            else:
                out[key] = self.evaluate(item, path + (key,), scope)
        return out

    def _dependency(self, entry: Any, path: JsonPath, scope: Scope) -> list[str | Unknown]:
        value = self.evaluate(entry, path, scope)
        if isinstance(value, Unknown):
            return [value]
        if not isinstance(value, str):
            self.report("error", "InvalidDependency", f"a dependsOn entry must be a string, not {type_name(value).lower()}", path)
            return []
        lowered = value.lower()
        found = self.by_symbol.get(lowered)
        if found is None:
            found = self.copy_groups.get(lowered)
        if found is None and lowered.endswith("]") and "[" in lowered:
            symbol, _, index = lowered[:-1].partition("[")
            group = self.by_symbol.get(symbol)
            if group is not None and index.isdigit() and int(index) < len(group):
                found = [group[int(index)]]
        if found is None:
            found = [r for r in self.resources if _matches_reference(r, value)]
        if not found and found is not None and (lowered in self.by_symbol or lowered in self.copy_groups):
            return []  # a copy loop with no instances
        if not found:
            if lowered.startswith(("/subscriptions/", "/providers/")):
                return [value]  # an ID outside this template: ARM ignores it when it is not in the deployment
            self.report(
                "error",
                "UnknownDependency",
                f"dependsOn '{value}' matches no resource of this template: Azure rejects the deployment ('The resource is not defined in the template')",
                path,
            )
            return []
        return [r.id for r in found]

    def _expand_nested(self, resource: ExpandedResource, properties: dict[str, Any], path: JsonPath, scope: Scope) -> None:
        name = resource.name if isinstance(resource.name, str) else _text(resource.name)
        if self.depth + 1 > MAX_NESTING:
            self.report("error", "NestingTooDeep", f"nested deployments are more than {MAX_NESTING} levels deep", path)
            return
        template = _get(properties, "template")
        document = self.document
        template_path = path + (_key(properties, "template"),)
        if isinstance(template, str):
            # Bicep's loadJsonContent() puts the template in a variable: `"template": "[variables('$fxv#0')]"`.
            template = self.evaluate(template, template_path, scope)
        if template is None:
            link = _get(properties, "templateLink")
            loaded = self._load_linked(link, path + (_key(properties, "templateLink"),), scope)
            if loaded is None:
                self.nested_outputs[id(resource)] = None
                return
            document, template, template_path = loaded, loaded.value, ()
        if not isinstance(template, dict):
            self.report("error", "InvalidTemplate", "a nested deployment's template must be a JSON object", template_path)
            return
        options = _get(properties, "expressionEvaluationOptions") or {}
        inner = str(_get(options, "scope") or "outer").lower() == "inner" if isinstance(options, dict) else False
        if document is not self.document or (isinstance(_get(template, "parameters"), dict) and isinstance(_get(properties, "parameters"), dict) and _get(properties, "parameters")):
            # Linked templates always have their own scope, and so does a template given
            # its own parameters (Bicep's loadJsonContent() modules, even with scope 'Outer').
            inner = True
        context = self._nested_context(resource, template, scope)
        inputs: dict[str, InputValue] = {}
        parameters_key = _key(properties, "parameters")
        raw_params = properties.get(parameters_key)
        evaluated_params = resource.body.get(_key(resource.body, "properties"), {}).get(parameters_key) if isinstance(resource.body.get(_key(resource.body, "properties")), dict) else None
        if inner and isinstance(raw_params, dict):
            for pname, entry in raw_params.items():
                if isinstance(entry, dict) and _key(entry, "reference") in entry:
                    inputs[pname.lower()] = InputValue(None, "nested deployment", path + (parameters_key, pname), self.document, is_reference=True)
                    continue
                evaluated = (evaluated_params or {}).get(pname) if isinstance(evaluated_params, dict) else None
                if isinstance(evaluated, dict) and _key(evaluated, "value") in evaluated:
                    inputs[pname.lower()] = InputValue(evaluated[_key(evaluated, "value")], "nested deployment", path + (parameters_key, pname), self.document)
                elif isinstance(evaluated, Unknown):
                    inputs[pname.lower()] = InputValue(evaluated, "nested deployment", path + (parameters_key, pname), self.document)
        run = _Run(
            self.expansion,
            document,
            template_path if document is self.document else (),
            template,
            context,
            inputs,
            replace(self.options, base_dir=os.path.dirname(document.path) or self.options.base_dir),
            self.depth + 1,
            self,
            name,
            outer_scope=None if inner else replace(scope, deployment=self.scope.deployment),
            deployed=resource.deployed,
        )
        run.expand()
        self.nested_outputs[id(resource)] = run.outputs_value()
        run.release()

    def _nested_context(self, resource: ExpandedResource, template: dict[str, Any], scope: Scope) -> DeploymentContext:
        """Where a nested deployment deploys: its `subscriptionId` and `resourceGroup`, or the parent's."""
        context = replace(self.context, deployment_name=resource.name if isinstance(resource.name, str) else self.context.deployment_name)
        decl, path = resource.raw, resource.json_path
        targets: dict[str, Any] = {}
        was_quiet, self.quiet = self.quiet, True  # their errors were reported when the resource's ID was made
        try:
            for key in ("subscriptionId", "resourceGroup"):
                if _key(decl, key) in decl:
                    targets[key] = self.evaluate(decl[_key(decl, key)], path + (_key(decl, key),), scope)
        finally:
            self.quiet = was_quiet
        if "subscriptionId" in targets:
            context = replace(context, subscription_id=targets["subscriptionId"])
        if "resourceGroup" in targets:
            group, parent_group = targets["resourceGroup"], self.context.resource_group
            same_group = (
                self.context.scope == "resourceGroup"
                and "subscriptionId" not in targets
                and isinstance(group, str)
                and isinstance(parent_group, str)
                and group.lower() == parent_group.lower()
            )
            context = replace(context, resource_group=group)
            if not same_group:
                # Another resource group's location is only known to Azure: `resourceGroup().location` must not guess.
                context = replace(context, location=Unknown("resourceGroup().location"))  # type: ignore[arg-type]
        deploy_scope = scope_of_schema(template)
        if deploy_scope == "resourceGroup" and "resourceGroup" not in targets and self.context.scope != "resourceGroup":
            deploy_scope = "subscription"  # a deploymentTemplate schema deployed to a subscription
        location = _get(resource.body, "location")  # evaluated with the body, so errors are not reported twice
        if deploy_scope != "resourceGroup" and isinstance(location, (str, Unknown)):
            # Above a resource group, `deployment().location` is the nested deployment's own location.
            context = replace(context, location=location)  # type: ignore[arg-type]
        return replace(context, scope=deploy_scope)

    def _load_linked(self, link: Any, path: JsonPath, scope: Scope) -> Document | None:
        if not isinstance(link, dict):
            self.report("error", "InvalidTemplate", "a nested deployment needs 'template' or 'templateLink'", path)
            return None
        relative = self.evaluate(_get(link, "relativePath"), path, scope) if _get(link, "relativePath") is not None else None
        uri = self.evaluate(_get(link, "uri"), path, scope) if _get(link, "uri") is not None else None
        candidate = relative if isinstance(relative, str) else uri if isinstance(uri, str) and "://" not in uri else None
        if candidate is None:
            shown = _text(relative if relative is not None else uri if uri is not None else _get(link, "id"))
            self.report("note", "LinkedTemplateNotResolved", f"the linked template '{shown}' is not on the local file system: its resources and outputs are unknown", path)
            return None
        base = self.options.base_dir or os.path.dirname(self.document.path) or "."
        file = os.path.normpath(os.path.join(base, candidate.split("?")[0]))
        if not os.path.isfile(file):
            self.report("note", "LinkedTemplateNotResolved", f"the linked template '{candidate}' is not found at {file}: its resources and outputs are unknown", path)
            return None
        try:
            return load_document(file)
        except SourceError as err:
            if not self.quiet:
                self.expansion.diagnostics.append(Diagnostic("error", "InvalidJson", err.message, err.path, err.line, err.column))
            return None

    # --- outputs --------------------------------------------------------------------------------

    def _evaluate_outputs(self) -> None:
        self.outputs: dict[str, tuple[str, Any]] = {}
        raw = _get(self.template, "outputs")
        if not isinstance(raw, dict):
            return
        key = _key(self.template, "outputs")
        for name, decl in raw.items():
            path = self.path + (key, name)
            if not isinstance(decl, dict):
                self.report("error", "InvalidOutput", f"the output '{name}' must be an object with 'type' and 'value'", path)
                continue
            otype = str(_get(decl, "type") or self._definition_type(decl) or "")
            condition_key = _key(decl, "condition")
            if condition_key in decl:
                condition = self.evaluate(decl[condition_key], path + (condition_key,))
                if condition is False:
                    continue
            copy = _get(decl, "copy")
            if isinstance(copy, dict):
                count = self._copy_count(copy, path + (_key(decl, "copy"),), self.scope)
                input_key = _key(copy, "input")
                value: Any = (
                    count.derive(f"outputs('{name}')")
                    if isinstance(count, Unknown)
                    else [self.evaluate(copy.get(input_key), path + (_key(decl, "copy"), input_key), self.scope.with_copy(name, i)) for i in range(count)]
                )
            else:
                value = self.evaluate(_get(decl, "value"), path + (_key(decl, "value"),))
            if otype.lower() in ("securestring", "secureobject"):
                value = Unknown(f"outputs('{name}')", secret=True)
            self.outputs[name] = (otype, value)
        if self.parent is None:
            self.expansion.outputs = dict(self.outputs)

    def outputs_value(self) -> dict[str, Any]:
        return {name: {"type": t, "value": v} for name, (t, v) in self.outputs.items()}


class _NullContext:
    """Stands in for a call when a parameter is resolved up front rather than from an expression."""

    def __init__(self, run: _Run):
        self.run = run

    def error(self, message: str, arg: int | None = None, code: str = "InvalidTemplate") -> ArmError:
        return ArmError(message, None, code)


class _UnknownIndexScope:
    """A copy loop whose count only Azure knows: `copyIndex()` is Unknown inside it."""

    @staticmethod
    def make(scope: Scope, loop: str) -> Scope:
        return replace(scope, copy_indexes={**scope.copy_indexes, loop.lower(): Unknown(f"copyIndex('{loop}')")}, current_copy=loop.lower())  # type: ignore[dict-item]


def _secure_parameters(template: Any) -> set[str]:
    """Lower-case names of the `securestring` / `secureObject` parameters an inline template declares."""
    declared = _get(template, "parameters") if isinstance(template, dict) else None
    if not isinstance(declared, dict):
        return set()
    return {
        name.lower()
        for name, decl in declared.items()
        if isinstance(decl, dict) and str(_get(decl, "type") or "").lower() in ("securestring", "secureobject")
    }


def _text(value: Any) -> str:
    return value.expression if isinstance(value, Unknown) else str(value)


def _matches_reference(resource: ExpandedResource, value: str) -> bool:
    """Does a 1.0 `dependsOn` / `reference()` string (a name, `type/name` or an ID) name this resource?"""
    if not isinstance(resource.name, str):
        return False
    lowered = value.lower()
    if isinstance(resource.id, str) and resource.id.lower() == lowered:
        return True
    if resource.name.lower() == lowered:
        return True
    if isinstance(resource.id, str) and lowered.count("/") >= 2 and not lowered.startswith("/"):
        # `Microsoft.KeyVault/vaults/kv1`, or the trailing part of an ID
        type_name_path = f"{resource.type}/{resource.name}".lower()
        if type_name_path == lowered or resource.id.lower().endswith("/providers/" + lowered):
            return True
    if lowered.startswith("/") and isinstance(resource.id, str) and resource.id.lower().endswith(lowered.split("/providers/")[-1]) and "/providers/" in lowered:
        return resource.id.lower() == lowered or lowered.endswith(resource.id.lower().split("/providers/", 1)[-1])
    return False


def _diagnostic_at(document: Document, path: JsonPath, message: str, severity: Severity = "error") -> Diagnostic:
    try:
        loc = document.location(path)
        line, column = loc.line, loc.column
    except Exception:  # noqa: BLE001 - a position is a courtesy: never let it hide the diagnostic itself
        line, column = 0, 0
    return Diagnostic(severity, "InvalidParameter", message, document.path, line, column, tuple(path))


class _Resolver:
    """Answers `reference()`, `references()` and `resourceInfo()` from the run's resources."""

    def __init__(self, run: _Run):
        self.run = run

    def _find(self, target: str) -> list[ExpandedResource]:
        run = self.run
        lowered = target.lower()
        symbol = run.by_symbol.get(lowered)
        if symbol is not None:
            return symbol
        if lowered.endswith("]") and "[" in lowered:
            name, _, index = lowered[:-1].partition("[")
            group = run.by_symbol.get(name)
            if group is not None and index.strip().isdigit() and int(index) < len(group):
                return [group[int(index)]]
        return [r for r in run.resources if _matches_reference(r, target)]

    def reference(self, ctx: CallContext, target: Any, api_version: Any, full: bool) -> Any:
        if not isinstance(target, str):
            return ctx.unknown()
        found = self._find(target)
        if len(found) != 1:
            return ctx.unknown()  # a resource outside the template: only Azure knows it
        resource = found[0]
        if resource.type_lower == DEPLOYMENTS:
            self.run._evaluate_body(resource)
            outputs = self.run.nested_outputs.get(id(resource))
            if outputs is not None:
                properties = OpenObject(outputs=outputs)
                return OpenObject(properties=properties, id=resource.id, name=resource.name, type=resource.type) if full else properties
            return ctx.unknown()
        if full:
            return OpenObject(id=resource.id, name=resource.name, type=resource.type, apiVersion=resource.api_version)
        return OpenObject()

    def references(self, ctx: CallContext, symbolic_name: str, full: bool) -> Any:
        group = self.run.by_symbol.get(symbolic_name.lower())
        if group is None:
            raise ctx.error(f"'{symbolic_name}' is not the symbolic name of a resource in this template")
        return [self.reference(ctx, f"{symbolic_name}[{i}]", None, full) for i in range(len(group))]

    def resource_info(self, ctx: CallContext, symbolic_name: str) -> Any:
        found = self._find(symbolic_name)
        if len(found) != 1:
            raise ctx.error(f"'{symbolic_name}' is not the symbolic name of a resource in this template")
        resource = found[0]
        return {"id": resource.id, "name": resource.name, "type": resource.type, "apiVersion": resource.api_version}


__all__ = ["ExpandOptions", "InputValue", "expand_template", "scope_of_schema"]
