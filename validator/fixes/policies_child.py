"""The add-policies fix for a Key Vault that every run redeploys (KV001, `--strategy add-policies`).

A vault PUT replaces the vault's access policies with the template's list; a
`Microsoft.KeyVault/vaults/accessPolicies` child named `add` merges its list into whatever the
vault holds. For one vault declaration this fix:
- moves the vault's inline `accessPolicies` (a list, or the expression that gives it) into a new
  `add` child declared right after the vault, in the same template, with the vault's api-version,
  its own condition (without the new/existing test) and copy loop, and `dependsOn` the vault; the
  vault keeps `accessPolicies: []`, which the resource provider requires;
- when the template already declares an `add` child of the vault beside it, appends the vault's
  policies to that child's list instead (ARM refuses two resources with one name); it refuses when
  the lists cannot be merged exactly (see `_merge`);
- and applies the conditional-creation fix (`conditional.py`) on the next pass of the fix loop, when
  it sees the `add` child: `add` alone does not protect the policies added outside the template,
  since the vault PUT that comes first still wipes them. When that fix cannot be written, neither
  is the move.

With the default `new` the deployment ends with the same policies on the vault (the PUT sends `[]`,
then `add` puts the old list back); with `existing` no vault is PUT and `add` merges the template's
principals into the live list. Fix safety: safe. The one difference with `new` is a moment between
the vault PUT and the `add` when the vault holds no policy: pass `existing` on redeploys.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..expressions.parser import Call, is_expression, parse
from ..expressions.values import ArmError, Unknown
from ..findings import Edit, Fix
from ..rules.base import LintContext, raw_get, raw_key
from ..rules.base import display_name
from ..rules.keyvault.access_policy_operation import operation_kind
from ..rules.keyvault.common import (
    VAULT_ACCESS_POLICIES,
    VAULTS,
    evaluated_property,
    parent_vault,
)
from ..source import Document
from ..template.model import ExpandedResource, Expansion
from .conditional import Unfixable, conditional_creation_fix, option_parameter
from .edits import Verbatim, insert_elements, insert_members, replace_value

ACCESS_POLICIES_TYPE = "Microsoft.KeyVault/vaults/accessPolicies"
# The first api-version whose schema has `vaults/accessPolicies` (2016-10-01 to today).
FIRST_API_VERSION = "2016-10-01"
_NEW_TEST = re.compile(r"equals\(\s*parameters\(\s*'[^']+'\s*\)\s*,\s*'new'\s*\)", re.IGNORECASE)
_NAMED_COPY_INDEX = re.compile(r"copyIndex\(\s*'", re.IGNORECASE)


@dataclass(frozen=True)
class _Scope:
    """Where the vault is declared: its template's `resources` (array or object) and its place there."""

    container: tuple[Any, ...]
    place: int | str
    symbolic: bool  # languageVersion 2.0: resources keyed by symbolic name


def add_policies_fix(document: Document, vault: ExpandedResource, resources: list[ExpandedResource]) -> Fix | Unfixable | None:
    """The fix for one vault declaration of `document`; None when nothing is left to do (the vault
    follows a new/existing option and has no inline policies)."""
    if vault.document is not document:
        return Unfixable("the vault is declared in a linked template file: fix that file")
    move = _move(document, vault, resources)
    if isinstance(move, Unfixable) or option_parameter(vault.raw) is not None:
        return move
    condition = conditional_creation_fix(document, vault, resources)
    if isinstance(condition, Unfixable) or move is None:
        return condition  # a move without the condition would be half the fix: none of it then
    # The condition follows on the next pass, written for a vault that has an `add` child: an
    # existing vault must then be in the deployment's resource group, where the child deploys.
    return move


def _move(document: Document, vault: ExpandedResource, resources: list[ExpandedResource]) -> Fix | Unfixable | None:
    """Move the inline policies into an `add` child (None: nothing to move)."""
    properties = raw_get(vault.raw, "properties")
    if not isinstance(properties, dict):
        return Unfixable("the vault's properties are an expression: the access policies cannot be moved")
    key = raw_key(properties, "accessPolicies")
    if key not in properties:
        if isinstance(raw_get(properties, "copy"), list):
            return Unfixable("the access policies are built by a property copy loop: move them by hand")
        return None
    written = properties[key]
    _, evaluated = evaluated_property(vault, "accessPolicies")
    if written is None or written == [] or evaluated == []:
        return None
    if not isinstance(written, list) and not (isinstance(written, str) and is_expression(written)):
        return Unfixable("the vault's accessPolicies is neither a list nor an expression")
    api_version = raw_get(vault.raw, "apiVersion")
    if isinstance(api_version, str) and not is_expression(api_version) and api_version[:10] < FIRST_API_VERSION:
        return Unfixable(f"api-version {api_version} has no vaults/accessPolicies child: "
                         f"move the vault to {FIRST_API_VERSION} or later first")
    scope = _scope_of(vault)
    if scope is None:
        return Unfixable("the vault is not declared in a template's resources")
    policies_path = vault.json_path + (raw_key(vault.raw, "properties"), key)
    emptied = replace_value(document, policies_path, [])
    siblings = [r for r in _add_children(vault, resources) if r.document is document and _beside(r, vault)]
    if siblings:
        return _merge(document, vault, siblings, written, evaluated, policies_path, emptied)
    if _NAMED_COPY_INDEX.search(_compact(raw_get(vault.raw, "name"))) or _NAMED_COPY_INDEX.search(_compact(written)):
        return Unfixable("the vault's name or policies use copyIndex('<loop>'): the child's loop has another name; move them by hand")
    child = _child(document, vault, scope, policies_path)
    if isinstance(child, Unfixable):
        return child
    if scope.symbolic:
        container = value_at(document, scope.container)
        taken = {k.lower() for k in container}
        symbol = fresh_name(taken, f"{vault.symbolic_name or 'vault'}AccessPolicies")
        keys = list(container)
        later = keys[keys.index(str(scope.place)) + 1:] if scope.place in keys else []
        inserted = insert_members(document, scope.container, [(symbol, child)], before=later[0] if later else None)
    else:
        assert isinstance(scope.place, int)
        inserted = insert_elements(document, scope.container, [child], after=scope.place)
    title = f"Move the access policies of the vault '{display_name(vault)}' into a vaults/accessPolicies child named 'add'"
    return Fix(title, tuple(sorted((*emptied, *inserted), key=lambda e: (e.start, e.end))), "safe")


def _child(document: Document, vault: ExpandedResource, scope: _Scope, policies_path: tuple[Any, ...]) -> dict[str, Any] | Unfixable:
    """The `add` child's declaration, laid out as the members appear in Microsoft's examples."""
    raw_name = raw_get(vault.raw, "name")
    if not isinstance(raw_name, str):
        return Unfixable("the vault's name is not a string")
    name_expression = operand(raw_name)
    child: dict[str, Any] = {}
    own = _own_condition(vault)
    if isinstance(own, Unfixable):
        return own
    written = value_at(document, policies_path)
    if isinstance(written, str):
        # The list is only known at deployment: no `add` request when it is empty.
        guard = f"not(empty({operand(written)}))"
        own = f"[and({operand(own)}, {guard})]" if own is not None else f"[{guard}]"
    if own is not None:
        child["condition"] = own
    loop = raw_get(vault.raw, "copy")
    loop_name = None
    if isinstance(loop, dict):
        taken = _loop_and_symbol_names(document, scope)
        loop_name = fresh_name(taken, f"{raw_get(loop, 'name') or 'vaults'}AccessPolicies")
        copy: dict[str, Any] = {"name": loop_name}
        for member in ("count", "mode", "batchSize"):
            if raw_get(loop, member) is not None:
                copy[member] = raw_get(loop, member)
        child["copy"] = copy
    elif loop is not None:
        return Unfixable("the vault's copy loop is not an object")
    child["type"] = ACCESS_POLICIES_TYPE
    child["apiVersion"] = raw_get(vault.raw, "apiVersion")
    child["name"] = f"{raw_name}/add" if not is_expression(raw_name) else f"[format('{{0}}/{{1}}', {name_expression}, 'add')]"
    if scope.symbolic:
        depends = vault.symbolic_name
    elif isinstance(loop, dict):
        depends = raw_get(loop, "name")  # all the vault loop's instances
    else:
        depends = f"[resourceId('{raw_get(vault.raw, 'type')}', {name_expression})]"
    # The vault's own dependencies too: the policies may read them (reference()), and with an
    # existing vault ARM drops the dependency on the condition-false vault, not through it.
    child["dependsOn"] = [depends, *_dependencies(vault)]
    child["properties"] = {"accessPolicies": Verbatim.at(document, policies_path)}
    return child


def _merge(document: Document, vault: ExpandedResource, siblings: list[ExpandedResource], written: Any, evaluated: Any,
           policies_path: tuple[Any, ...], emptied: tuple[Edit, ...]) -> Fix | Unfixable:
    """Append the vault's policies to the `add` child the template already declares beside it.

    Exact only when: one such child, no copy loop on either, the child's condition is the vault's
    own (so the policies deploy when they did), the child runs after the vault PUT, both lists are
    written as lists, and no principal is in both (one `add` request naming a principal twice is not
    documented; the merge of two requests is)."""
    declarations = {s.json_path for s in siblings}
    label = f"the template already has an `add` child of this vault ('{display_name(siblings[0])}')"
    if len(declarations) > 1:
        return Unfixable(f"{label} and others: merge the access policies by hand")
    child = siblings[0]
    if raw_get(vault.raw, "copy") is not None or raw_get(child.raw, "copy") is not None:
        return Unfixable(f"{label} and one of them is a copy loop: merge the access policies by hand")
    own = _own_condition(vault)
    child_condition = raw_get(child.raw, "condition")
    if isinstance(own, Unfixable) or _compact(child_condition or "") != _compact(own or ""):
        return Unfixable(f"{label} with another condition than the vault's: moving the policies there would change when they deploy")
    if not runs_after_its_vault(child, vault):
        return Unfixable(f"{label} and it does not depend on the vault: it could run before the vault's PUT, which would wipe the moved policies")
    child_properties = raw_get(child.raw, "properties")
    child_list = raw_get(child_properties, "accessPolicies")
    if not isinstance(written, list) or not isinstance(child_list, list):
        return Unfixable(f"{label} and one of the two policy lists is an expression: merge them by hand")
    _, child_evaluated = evaluated_property(child, "accessPolicies")
    shared = _principals(evaluated, written) & _principals(child_evaluated, child_list)
    if shared:
        return Unfixable(f"{label} and both lists name the principal {min(shared)[1]}: merge its permissions by hand")
    child_path = child.json_path + (raw_key(child.raw, "properties"), raw_key(child_properties, "accessPolicies"))
    appended = insert_elements(document, child_path, [Verbatim.at(document, policies_path + (i,)) for i in range(len(written))])
    # What the vault waits for, the moved policies may read: the child waits for it too.
    child_depends = raw_get(child.raw, "dependsOn")
    waited = {_compact(d) for d in child_depends} if isinstance(child_depends, list) else set()
    missing = [d for d in _dependencies(vault) if _compact(d) not in waited]
    if missing and isinstance(child_depends, list):
        appended += insert_elements(document, child.json_path + (raw_key(child.raw, "dependsOn"),), missing)
    elif missing:
        appended += insert_members(document, child.json_path, [("dependsOn", missing)], before="properties")
    title = f"Move the access policies of the vault '{display_name(vault)}' into its `add` child '{display_name(child)}'"
    return Fix(title, tuple(sorted((*emptied, *appended), key=lambda e: (e.start, e.end))), "safe")


def _dependencies(vault: ExpandedResource) -> list[str]:
    """The vault's `dependsOn` entries, as written."""
    written = raw_get(vault.raw, "dependsOn")
    return [d for d in written if isinstance(d, str)] if isinstance(written, list) else []


def _principals(evaluated: Any, written: list[Any]) -> set[tuple[str, str]]:
    """(tenant, object) of each policy: the value when known, else the expression as written."""
    out: set[tuple[str, str]] = set()
    values = evaluated if isinstance(evaluated, list) else [None] * len(written)
    for value, raw in zip(values, written):
        pair = []
        for member in ("tenantId", "objectId"):
            known = raw_get(value, member) if isinstance(value, dict) else None
            pair.append(known.lower() if isinstance(known, str) else _compact(raw_get(raw, member)))
        out.add((pair[0], pair[1]))
    return out


def _add_children(vault: ExpandedResource, resources: list[ExpandedResource]) -> list[ExpandedResource]:
    """The `vaults/accessPolicies` children named `add` whose parent is `vault`."""
    context = LintContext(Expansion(vault.document, declared_vaults(resources)))
    children = []
    for resource in resources:
        if resource.type_lower == VAULT_ACCESS_POLICIES and not resource.existing and operation_kind(resource) == "add":
            parent = parent_vault(context, resource)
            if parent is not None and parent.json_path == vault.json_path and parent.document is vault.document:
                children.append(resource)
    return children


def _beside(child: ExpandedResource, vault: ExpandedResource) -> bool:
    """Declared in the vault's template: beside it, or inside its `resources`."""
    return child.json_path[:-1] == vault.json_path[:-1] or child.json_path[: len(vault.json_path)] == vault.json_path


def _own_condition(vault: ExpandedResource) -> str | None | Unfixable:
    """The vault's condition without a new/existing test: the child deploys when the vault's
    template means it to, also for an existing vault."""
    condition = raw_get(vault.raw, "condition")
    if condition is None:
        return None
    if condition is True or isinstance(condition, str) and condition.strip().lower() == "true":
        return None
    if not isinstance(condition, str) or not is_expression(condition):
        return Unfixable("the vault's condition is neither true nor an expression")
    try:
        node = parse(condition)
    except ArmError:
        return Unfixable("the vault's condition does not parse")
    if isinstance(node, Call) and node.name.lower() == "and" and not node.namespace:
        kept = [condition[a.span[0]:a.span[1]] for a in node.args if not _NEW_TEST.fullmatch(condition[a.span[0]:a.span[1]].strip())]
        if not kept:
            return None
        return f"[{kept[0]}]" if len(kept) == 1 else f"[and({', '.join(kept)})]"
    return None if _NEW_TEST.fullmatch(condition[1:-1].strip()) else condition


def _scope_of(vault: ExpandedResource) -> _Scope | None:
    path = vault.json_path
    if len(path) < 2 or not isinstance(path[-2], str) or path[-2].lower() != "resources":
        return None
    return _Scope(path[:-1], path[-1], isinstance(path[-1], str))


def _loop_and_symbol_names(document: Document, scope: _Scope) -> set[str]:
    container = value_at(document, scope.container)
    declarations = container.values() if isinstance(container, dict) else container
    names = {k.lower() for k in container} if isinstance(container, dict) else set()
    for declaration in declarations:
        loop_name = raw_get(raw_get(declaration, "copy"), "name")
        if isinstance(loop_name, str):
            names.add(loop_name.lower())
    return names


def value_at(document: Document, json_path: tuple[Any, ...]) -> Any:
    """The parsed value at `json_path`."""
    value = document.value
    for element in json_path:
        value = value[element]
    return value


def operand(raw: str) -> str:
    """A template string as an expression operand: `[x]` gives `x`, a literal gives `'literal'`."""
    if is_expression(raw):
        return raw[1:-1].strip()
    literal = raw[1:] if raw.startswith("[[") else raw
    return "'" + literal.replace("'", "''") + "'"


def _compact(value: Any) -> str:
    if isinstance(value, Unknown):
        return "".join(value.expression.split()).lower()
    return "".join(str(value).split()).lower() if isinstance(value, str) else "".join(repr(value).split()).lower()


def fresh_name(taken: set[str], base: str) -> str:
    """`base`, or `base2`, `base3`, ... : the first not in `taken` (lower-case names)."""
    if base.lower() not in taken:
        return base
    return next(f"{base}{n}" for n in range(2, 1000) if f"{base}{n}".lower() not in taken)


def declared_vaults(resources: list[ExpandedResource]) -> list[ExpandedResource]:
    """The resources without `existing` vault references (the conditional fix's twin among them),
    so that a child's parent is the vault the template deploys."""
    return [r for r in resources if not (r.existing and r.type_lower == VAULTS)]


def runs_after_its_vault(child: ExpandedResource, vault: ExpandedResource) -> bool:
    """The child is declared inside the vault, or its `dependsOn` names the vault: its ID (as
    evaluated, or a `resourceId()` of the vault's type and name as written), its name, its symbolic
    name or its copy loop."""
    if child.document is vault.document and child.json_path[: len(vault.json_path)] == vault.json_path:
        return True
    if isinstance(vault.id, str) and vault.id in child.depends_on:
        return True
    raw_name = raw_get(vault.raw, "name")
    names = {_compact(n) for n in (vault.symbolic_name, raw_get(raw_get(vault.raw, "copy"), "name"), raw_name) if isinstance(n, str)}
    name_operand = _compact(operand(raw_name)) if isinstance(raw_name, str) else None
    written_list = raw_get(child.raw, "dependsOn")
    for written in written_list if isinstance(written_list, list) else ():
        text = _compact(written)
        if text in names or (name_operand and "microsoft.keyvault/vaults" in text and name_operand in text):
            return True
    return False
