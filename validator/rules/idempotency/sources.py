"""Where a value comes from in the template as written: the helpers the idempotency and workspace
rules share to explain a nondeterministic value (`newGuid()` / `utcNow()` in a parameter default)
and to read expressions as text (role-assignment names)."""
from __future__ import annotations

import re
from typing import Any, Iterator

from ...expressions.parser import Call, Literal, Node, is_expression, try_parse, walk
from ...expressions.values import Unknown
from ...template.model import ExpandedResource
from ..base import LintContext, raw_get

NONDETERMINISTIC_CALL = re.compile(r"\b(newguid|utcnow)\s*\(", re.IGNORECASE)
MAX_INLINE_DEPTH = 8  # variables referring to variables deeper than this are not followed


def is_nondeterministic(value: Any) -> bool:
    """An evaluated value that changes on every deployment."""
    return isinstance(value, Unknown) and value.nondeterministic


def declaring_template(resource: ExpandedResource) -> dict[str, Any]:
    """The template object (root, inline nested or linked) that declares `resource`."""
    path = resource.json_path
    cut = 0
    for i in range(1, len(path)):
        # An inline nested template sits at `properties.template` of a deployment.
        if isinstance(path[i], str) and path[i].lower() == "template" and str(path[i - 1]).lower() == "properties":
            cut = i + 1
    template: Any = resource.document.value
    for key in path[:cut]:
        template = template[key]
    return template if isinstance(template, dict) else {}


def named_reference(node: Node, function: str) -> str | None:
    """`x` when `node` is `function('x')` (`parameters('x')`, `variables('x')`, `reference('x')`)."""
    if (
        isinstance(node, Call)
        and node.namespace is None
        and node.name.lower() == function
        and node.args
        and isinstance(node.args[0], Literal)
        and isinstance(node.args[0].value, str)
    ):
        return node.args[0].value
    return None


def _declaration(template: dict[str, Any], section: str, name: str) -> tuple[str, Any] | None:
    declared = raw_get(template, section)
    if not isinstance(declared, dict):
        return None
    for key, value in declared.items():
        if key.lower() == name.lower():
            return key, value
    return None


def referenced_parameters(template: dict[str, Any], text: Any, depth: int = 0) -> Iterator[str]:
    """The parameters an expression uses, directly or through variables, as declared."""
    tree = try_parse(text)
    if tree is None or depth > MAX_INLINE_DEPTH:
        return
    for node in walk(tree):
        parameter = named_reference(node, "parameters")
        if parameter is not None:
            found = _declaration(template, "parameters", parameter)
            if found is not None:
                yield found[0]
        variable = named_reference(node, "variables")
        if variable is not None:
            found = _declaration(template, "variables", variable)
            if found is not None:
                yield from referenced_parameters(template, found[1], depth + 1)


def nondeterministic_default(template: dict[str, Any], parameter: str) -> str | None:
    """The `defaultValue` text of a parameter when it calls `newGuid()` or `utcNow()`."""
    found = _declaration(template, "parameters", parameter)
    default = raw_get(found[1], "defaultValue") if found is not None else None
    if isinstance(default, str) and is_expression(default) and NONDETERMINISTIC_CALL.search(default):
        return default
    return None


def nondeterministic_parameters(template: dict[str, Any], text: Any) -> list[str]:
    """The parameters behind `text` whose default calls `newGuid()` or `utcNow()`, in order, once each."""
    names: list[str] = []
    for name in referenced_parameters(template, text):
        if name not in names and nondeterministic_default(template, name) is not None:
            names.append(name)
    return names


def origin_phrase(resource: ExpandedResource, text: Any) -> str:
    """Says where the changing value comes from: `the default of parameter 'x' (newGuid())`."""
    template = declaring_template(resource)
    names = nondeterministic_parameters(template, text)
    if names:
        return ", ".join(
            f"the default of parameter '{name}' ({(nondeterministic_default(template, name) or '')[1:-1]})" for name in names
        )
    return "newGuid() or utcNow()"


def defaults_used(ctx: LintContext, resource: ExpandedResource, text: Any) -> list[str]:
    """Parameters of the root template behind `text` whose nondeterministic default is in use
    (no value was passed): the fallback when an evaluated value lost its nondeterministic flag."""
    if resource.deployment is not None or resource.document is not ctx.document:
        return []
    template = declaring_template(resource)
    return [
        name
        for name in nondeterministic_parameters(template, text)
        if name in ctx.expansion.parameters and ctx.expansion.parameters[name].origin == "default"
    ]
