"""The conditional-creation fix (Microsoft's new/existing pattern) for a resource that every run
redeploys: a Key Vault (KV001), or the storage account, Application Insights component or container
registry of an ML workspace (AML003). `KINDS` names each kind's parameters the way Microsoft's
quickstarts do: `keyVaultOption`, `storageAccountOption`, `applicationInsightsOption`,
`containerRegistryOption`, each with its `<stem>ResourceGroupName`.

For one declaration it builds a single `Fix` whose edits:
- declare `<stem>Option` (`new` / `existing`, default `new`) in the root template and, when the
  resource sits in nested templates with `inner` scope, declare it there too and pass it down
  through each nested deployment's `parameters`;
- set the resource's `condition` to `[equals(parameters('<stem>Option'), 'new')]`, combined with
  an existing condition by `and()`;
- for a resource in the root template, add `<stem>ResourceGroupName` (default the deployment's
  resource group) and give every `resourceId('<type>', <the resource's name>)` outside `dependsOn`
  that resource group, so the workspace's link and the outputs point at the existing resource.
  Not when the template also deploys child or extension resources of it, or reads it with
  `reference()` / `list*()` by its name alone: those address the deployment's resource group, so
  an existing resource must be there too;
- in `languageVersion` 2.0, add an `existing` twin of the resource and route `reference('sym')` and
  `resourceInfo('sym')` to it when the option is `existing` (ARM's documented way to read a
  resource the deployment does not create).

`dependsOn` entries naming the resource stay: ARM drops a dependency on a condition-false resource.
Child resources (`secrets`, `accessPolicies/add`, `blobServices`) keep their names and so address
the existing resource. Fix safety: safe. With the default `new` the template deploys exactly what
it did before; only a deployment that passes `existing` behaves differently, which is the point.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..expressions.parser import Call, Literal, Node, is_expression, parse
from ..expressions.values import ArmError
from ..findings import Edit, Fix
from ..source import Document
from ..template.model import ExpandedResource
from .edits import insert_members

DEPLOYMENTS = "microsoft.resources/deployments"
OPTION_VALUES = ["new", "existing"]
# `equals(parameters('x'), 'new')` in a condition: the resource already follows a new/existing option.
_OPTION_TEST = re.compile(r"equals\(\s*parameters\(\s*'([^']+)'\s*\)\s*,\s*'new'\s*\)", re.IGNORECASE)


@dataclass(frozen=True)
class ResourceKind:
    """A resource type the fix knows, with the stem of its parameters and why 'existing' matters."""

    type: str  # lower case
    stem: str  # keyVault -> keyVaultOption, keyVaultResourceGroupName
    noun: str  # "Key Vault", in the parameters' descriptions
    short: str  # "vault", in the fix's title
    redeploy: str  # what redeploying an existing one does


KINDS = (
    ResourceKind("microsoft.keyvault/vaults", "keyVault", "Key Vault", "vault",
                 "redeploying the vault replaces its access policies, including those added outside this template."),
    ResourceKind("microsoft.storage/storageaccounts", "storageAccount", "storage account", "storage account",
                 "redeploying the account reapplies this template's properties over it. An ML workspace's storageAccount link "
                 "cannot change after creation: 'existing' must name the account the workspace was created with."),
    ResourceKind("microsoft.insights/components", "applicationInsights", "Application Insights component",
                 "Application Insights component", "redeploying the component reapplies this template's properties over it."),
    ResourceKind("microsoft.containerregistry/registries", "containerRegistry", "container registry", "container registry",
                 "redeploying the registry reapplies this template's properties over it. An existing registry needs its admin "
                 "account enabled unless the ML workspace uses a managed identity."),
)
KIND_BY_TYPE = {kind.type: kind for kind in KINDS}


@dataclass(frozen=True)
class Unfixable:
    """Why the conditional-creation fix cannot be written for a resource."""

    reason: str


@dataclass(frozen=True)
class _Level:
    """A template on the way from the root to the resource whose `parameters()` the resource sees."""

    template_path: tuple[Any, ...]
    deployment_path: tuple[Any, ...] | None  # the nested deployment (inner scope) that opens it


def _get(obj: Any, key: str) -> Any:
    if not isinstance(obj, dict):
        return None
    if key in obj:
        return obj[key]
    return next((v for k, v in obj.items() if k.lower() == key.lower()), None)


def _key(obj: Any, key: str) -> str:
    if isinstance(obj, dict):
        return next((k for k in obj if k.lower() == key.lower()), key)
    return key


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for element in path:
        value = value[element]
    return value


def option_parameter(resource_raw: Any) -> str | None:
    """The parameter a resource's condition already tests against 'new' (None: no such condition)."""
    condition = _get(resource_raw, "condition")
    if isinstance(condition, str):
        found = _OPTION_TEST.search(condition)
        if found:
            return found.group(1)
    return None


def scope_chain(document: Document, resource_path: tuple[Any, ...]) -> list[_Level] | Unfixable:
    """The templates whose parameters the resource's condition goes through, root first."""
    levels = [_Level((), None)]
    root = document.value
    for i in range(len(resource_path) - 1):
        if not (isinstance(resource_path[i], str) and resource_path[i].lower() == "properties"):
            continue
        if not (isinstance(resource_path[i + 1], str) and resource_path[i + 1].lower() == "template"):
            continue
        deployment = _at(root, resource_path[:i])
        if not isinstance(deployment, dict) or str(_get(deployment, "type") or "").lower() != DEPLOYMENTS:
            continue
        properties = _get(deployment, "properties")
        scope = _get(_get(properties, "expressionEvaluationOptions"), "scope")
        if isinstance(scope, str) and scope.lower() == "inner":
            passed = _get(properties, "parameters")
            if passed is not None and not isinstance(passed, dict):
                return Unfixable("the nested deployment's parameters are an expression: the option cannot be passed down")
            if _get(properties, "parametersLink") is not None:
                return Unfixable("the nested deployment reads its parameters from a parametersLink file")
            levels.append(_Level(resource_path[: i + 2], resource_path[:i]))
    return levels


def _declared(document: Document, template_path: tuple[Any, ...]) -> set[str]:
    parameters = _get(_at(document.value, template_path), "parameters")
    return {k.lower() for k in parameters} if isinstance(parameters, dict) else set()


def _stem_candidates(resource: ExpandedResource, kind: ResourceKind) -> Iterator[str]:
    """The kind's stem (keyVault), then one from the resource's name parameter or symbolic name,
    then keyVault2, 3, ..."""
    yield kind.stem
    raw_name = _get(resource.raw, "name")
    found = re.match(r"^\[\s*(?:parameters|variables)\(\s*'([A-Za-z_][A-Za-z0-9_]*)'\s*\)\s*\]$", raw_name) if isinstance(raw_name, str) else None
    for stem in (found.group(1) if found else None, resource.symbolic_name):
        if stem:
            stem = re.sub(r"Name$", "", stem) or stem
            stem = re.sub(r"[^A-Za-z0-9_]", "", stem)
            if stem and stem[0].isalpha() and stem.lower() != kind.stem.lower():
                yield stem[0].lower() + stem[1:]
    for n in range(2, 100):
        yield f"{kind.stem}{n}"


def _fresh(taken: set[str], base: str) -> str:
    if base.lower() not in taken:
        return base
    return next(f"{base}{n}" for n in range(2, 1000) if f"{base}{n}".lower() not in taken)


def _walk_strings(value: Any, path: tuple[Any, ...], skip: set[tuple[Any, ...]]) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Every string in `value` with its path, not entering the paths in `skip`, `dependsOn` arrays
    and `[[` escapes."""
    if path in skip:
        return
    if isinstance(value, dict):
        for k, v in value.items():
            if k.lower() == "dependson":
                continue
            yield from _walk_strings(v, path + (k,), skip)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk_strings(v, path + (i,), skip)
    elif isinstance(value, str) and is_expression(value):
        yield path, value


def _calls(node: Node) -> Iterator[Call]:
    if isinstance(node, Call):
        yield node
        for arg in node.args:
            yield from _calls(arg)
    elif not isinstance(node, Literal):
        yield from _calls(node.target)
        index = getattr(node, "index", None)
        if index is not None:
            yield from _calls(index)


def _compact(text: str) -> str:
    return "".join(text.split()).lower()


def _inner_templates(document: Document, template_path: tuple[Any, ...]) -> set[tuple[Any, ...]]:
    """Paths of the inner-scope nested templates directly under a template (their own parameters)."""
    out: set[tuple[Any, ...]] = set()

    def visit(value: Any, path: tuple[Any, ...]) -> None:
        if isinstance(value, dict):
            if str(_get(value, "type") or "").lower() == DEPLOYMENTS:
                properties = _get(value, "properties")
                scope = _get(_get(properties, "expressionEvaluationOptions"), "scope")
                if isinstance(properties, dict) and isinstance(scope, str) and scope.lower() == "inner":
                    out.add(path + (_key(value, "properties"), _key(properties, "template")))
            for k, v in value.items():
                visit(v, path + (k,))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                visit(v, path + (i,))

    visit(_at(document.value, template_path), template_path)
    return out


def _has_dependents(document: Document, level: tuple[Any, ...], target: ExpandedResource, resources: list[ExpandedResource]) -> bool:
    """Child or extension resources of `target` in this template: they deploy to the deployment's group."""
    target_id = target.id.lower() if isinstance(target.id, str) else None
    name_text = _compact(str(_get(target.raw, "name") or ""))
    for resource in resources:
        if resource is target or resource.document is not document:
            continue
        if resource.json_path[: len(target.json_path)] == target.json_path and len(resource.json_path) > len(target.json_path):
            return True  # declared inside the target's `resources`
        if resource.type_lower.startswith(target.type_lower + "/"):
            rid = resource.id.lower() if isinstance(resource.id, str) else None
            if rid is None or target_id is None or rid.startswith(target_id + "/"):
                return True
        scope = _get(resource.raw, "scope")
        if isinstance(scope, str) and (target.type_lower in scope.lower() and name_text.strip("[]") in _compact(scope)
                                       or target.symbolic_name and scope.lower() == target.symbolic_name.lower()):
            return True
    return False


def _id_references(document: Document, template_path: tuple[Any, ...], target: ExpandedResource) -> Iterator[tuple[tuple[Any, ...], Call]]:
    """`resourceId('<target's type>', <target's name>)` calls of this template, outside `dependsOn`,
    the target's own declaration and inner-scope nested templates."""
    raw_name = _get(target.raw, "name")
    if not isinstance(raw_name, str):
        return
    wanted = _compact(raw_name[1:-1]) if is_expression(raw_name) else None
    literal = None if wanted is not None else raw_name.lower()
    skip = _inner_templates(document, template_path) | {target.json_path}
    for path, text in _walk_strings(_at(document.value, template_path), template_path, skip):
        if target.type_lower not in text.lower():
            continue
        try:
            node = parse(text)
        except ArmError:
            continue
        for call in _calls(node):
            if call.name.lower() != "resourceid" or call.namespace or len(call.args) != 2:
                continue
            kind, name = call.args
            if not (isinstance(kind, Literal) and isinstance(kind.value, str) and kind.value.lower() == target.type_lower):
                continue
            name_text = text[name.span[0]:name.span[1]]
            if (wanted is not None and _compact(name_text) == wanted) or (
                literal is not None and isinstance(name, Literal) and str(name.value).lower() == literal
            ):
                yield path, call


def _addressed_by_name(document: Document, template_path: tuple[Any, ...], target: ExpandedResource) -> bool:
    """A `reference()` or `list*()` call of this template that names `target` by its name alone
    (`reference(parameters('appInsightsName'))`): it reads the resource in the deployment's group."""
    raw_name = _get(target.raw, "name")
    if not isinstance(raw_name, str) or target.symbolic_name:
        return False  # in languageVersion 2.0 a bare name is a symbolic reference: routed to the twin
    wanted = _compact(raw_name[1:-1]) if is_expression(raw_name) else None
    skip = _inner_templates(document, template_path) | {target.json_path}
    for path, text in _walk_strings(_at(document.value, template_path), template_path, skip):
        try:
            node = parse(text)
        except ArmError:
            continue
        for call in _calls(node):
            if not (call.name.lower() == "reference" or call.name.lower().startswith("list")) or call.namespace or not call.args:
                continue
            first = call.args[0]
            if wanted is not None and _compact(text[first.span[0]:first.span[1]]) == wanted:
                return True
            if wanted is None and isinstance(first, Literal) and str(first.value).lower() == raw_name.lower():
                return True
    return False


def _symbolic_references(document: Document, template_path: tuple[Any, ...], symbol: str, skip_path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], Call]]:
    """`reference('symbol', ...)` and `resourceInfo('symbol')` calls of a 2.0 template."""
    skip = _inner_templates(document, template_path) | {skip_path}
    for path, text in _walk_strings(_at(document.value, template_path), template_path, skip):
        if symbol.lower() not in text.lower():
            continue
        try:
            node = parse(text)
        except ArmError:
            continue
        for call in _calls(node):
            if call.name.lower() in ("reference", "resourceinfo") and not call.namespace and call.args:
                first = call.args[0]
                if isinstance(first, Literal) and isinstance(first.value, str) and first.value.lower() == symbol.lower():
                    yield path, call


def _string_edit(document: Document, path: tuple[Any, ...], start: int, end: int, content: str) -> Edit:
    """Replace characters [start, end) of the decoded string at `path` (escapes accounted for)."""
    escaped = json.dumps(content, ensure_ascii=False)[1:-1]
    return Edit(document.source_offset_in_string(path, start), document.source_offset_in_string(path, end), escaped)


def _declaration(description: str | None, default: str, allowed: list[str] | None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "string", "defaultValue": default}
    if allowed:
        out["allowedValues"] = allowed
    if description:
        out["metadata"] = {"description": description}
    return out


def _add_parameters(document: Document, template_path: tuple[Any, ...], members: list[tuple[str, Any]]) -> tuple[Edit, ...]:
    template = _at(document.value, template_path)
    if isinstance(_get(template, "parameters"), dict):
        return insert_members(document, template_path + (_key(template, "parameters"),), members)
    anchor = next((k for k in ("functions", "variables", "resources") if _get(template, k) is not None), None)
    return insert_members(document, template_path, [("parameters", dict(members))], before=anchor)


def conditional_creation_fix(document: Document, target: ExpandedResource, resources: list[ExpandedResource]) -> Fix | Unfixable:
    """The new/existing fix for one declaration of `document` of a kind in `KINDS` (see the module docstring)."""
    kind = KIND_BY_TYPE.get(target.type_lower)
    if kind is None:
        return Unfixable(f"no new/existing fix is known for {target.type}")
    if target.document is not document:
        return Unfixable(f"the {kind.short} is declared in a linked template file: fix that file")
    if option_parameter(target.raw) is not None:
        return Unfixable(f"the {kind.short} already follows a new/existing option: pass 'existing' once it exists")
    chain = scope_chain(document, target.json_path)
    if isinstance(chain, Unfixable):
        return chain
    target_level = chain[-1].template_path
    at_root = len(chain) == 1 and not any(
        isinstance(p, str) and p.lower() == "template" for p in target.json_path
    )
    references = list(_id_references(document, target_level, target)) if at_root else []
    with_group = bool(references) and not _has_dependents(document, target_level, target, resources) \
        and not _addressed_by_name(document, target_level, target)
    symbolic: list[tuple[tuple[Any, ...], Call]] = []
    template = _at(document.value, target_level)
    if target.symbolic_name and str(_get(template, "languageVersion") or "").startswith("2") and _get(target.raw, "copy") is None:
        symbolic = list(_symbolic_references(document, target_level, target.symbolic_name, target.json_path))

    # Names: one stem for the pair, free in every template on the way.
    taken = [_declared(document, level.template_path) for level in chain]
    stem = next(
        s for s in _stem_candidates(target, kind)
        if f"{s}Option".lower() not in taken[0] and (not with_group or f"{s}ResourceGroupName".lower() not in taken[0])
    )
    option_names = [f"{stem}Option"] + [_fresh(names, f"{stem}Option") for names in taken[1:]]
    group_name = f"{stem}ResourceGroupName"
    edits: list[Edit] = []

    # 1. Declare the option (and the resource group) at the root; pass it down through inner scopes.
    root_members: list[tuple[str, Any]] = [(option_names[0], _declaration(
        f"Create the {kind.noun} ('new') or use the one that already exists ('existing'). Pass 'existing' on every "
        f"deployment after the first: {kind.redeploy}",
        "new", OPTION_VALUES))]
    if with_group:
        root_members.append((group_name, _declaration(
            f"Resource group of the existing {kind.noun} (with {option_names[0]} 'existing').", "[resourceGroup().name]", None)))
    edits += _add_parameters(document, (), root_members)
    for parent_name, own_name, level in zip(option_names, option_names[1:], chain[1:]):
        assert level.deployment_path is not None
        deployment = _at(document.value, level.deployment_path)
        properties_path = level.deployment_path + (_key(deployment, "properties"),)
        properties = _at(document.value, properties_path)
        passed = (own_name, {"value": f"[parameters('{parent_name}')]"})
        if isinstance(_get(properties, "parameters"), dict):
            edits += insert_members(document, properties_path + (_key(properties, "parameters"),), [passed])
        else:
            edits += insert_members(document, properties_path, [("parameters", dict([passed]))], before="template")
        edits += _add_parameters(document, level.template_path, [(own_name, _declaration(None, "new", OPTION_VALUES))])

    # 2. The condition.
    test = f"equals(parameters('{option_names[-1]}'), 'new')"
    condition_key = _key(target.raw, "condition")
    if condition_key in target.raw:
        condition = target.raw[condition_key]
        path = target.json_path + (condition_key,)
        where = document.location(path)
        if isinstance(condition, str) and is_expression(condition):
            edits.append(_string_edit(document, path, 1, 1, "and("))
            edits.append(_string_edit(document, path, len(condition) - 1, len(condition) - 1, f", {test})"))
        else:
            edits.append(Edit(where.offset, where.end_offset, f'"[{test}]"'))
    else:
        edits += insert_members(document, target.json_path, [("condition", f"[{test}]")], first=True)

    # 3. The resource's ID follows the option's resource group.
    if with_group:
        for path, call in references:
            edits.append(_string_edit(document, path, call.args[0].span[0], call.args[0].span[0], f"parameters('{group_name}'), "))

    # 4. languageVersion 2.0: symbolic references read an `existing` twin when the option says so.
    if symbolic:
        resources_key = _key(template, "resources")
        twin = _fresh({k.lower() for k in template[resources_key]}, f"{target.symbolic_name}Existing")
        twin_decl: dict[str, Any] = {
            "existing": True,
            "type": _get(target.raw, "type"),
            "apiVersion": _get(target.raw, "apiVersion"),
            "name": _get(target.raw, "name"),
        }
        if with_group:
            twin_decl["resourceGroup"] = f"[parameters('{group_name}')]"
        edits += insert_members(document, target_level + (resources_key,), [(twin, twin_decl)])
        for path, call in symbolic:
            text = _at(document.value, path)
            original = text[call.span[0]:call.span[1]]
            first = call.args[0]
            quote_start = first.span[0] - call.span[0]
            quote_end = first.span[1] - call.span[0]
            routed = original[:quote_start] + f"'{twin}'" + original[quote_end:]
            edits.append(_string_edit(document, path, call.span[0], call.span[1], f"if({test}, {original}, {routed})"))

    title = f"Deploy the {kind.short} '{_display(target)}' only when {option_names[0]} is 'new'"
    return Fix(title, tuple(sorted(edits, key=lambda e: (e.start, e.end))), "safe")


def _display(resource: ExpandedResource) -> str:
    name = resource.name
    return name if isinstance(name, str) else str(_get(resource.raw, "name"))
