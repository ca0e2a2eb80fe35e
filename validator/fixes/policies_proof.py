"""Proof of the add-policies fix (policies_child.py), for the tests and benchmarks/fix_corpus.py.

For a template and its fixed text it checks that the fixed text parses; that with the options at
their default (`new`) the deployment ends with the same access policies on every vault (the
vault's PUT replaces the list, then each `add` child merges its list in, principal by principal)
and deploys the same other resources; that every `add` child of a fixed vault depends on it (it
must run after the PUT); that with every option `existing` the fixed vaults are not deployed while
their `add` children are, and put back the same policies; that KV001 no longer fires then; and that
fixing the fixed text again changes nothing.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from ..expressions.values import Unknown
from ..rules.base import LintContext, raw_get
from ..rules.keyvault.access_policy_operation import operation_kind
from ..rules.keyvault.common import (
    VAULT_ACCESS_POLICIES,
    VAULTS,
    evaluated_property,
    parent_vault,
)
from ..template.model import ExpandedResource, Expansion
from .conditional import option_parameter
from .engine import FixRequest, fix_template, lint_document, root_option
from .policies_child import declared_vaults, runs_after_its_vault
from .proof import Proof, _added_parameters, _plain, compare

Identity = tuple[Any, ...]
Principal = tuple[str, str, str]  # tenant, object, application: a value, or "?" + the expression


@dataclass
class PolicyState:
    """A vault's access policies as a deployment leaves them: per principal, the permissions of
    each category; lists only Azure knows are kept as their expressions."""

    granted: dict[Principal, dict[str, set[str]]] = field(default_factory=dict)
    opaque: list[str] = field(default_factory=list)

    def put(self, policies: Any) -> None:
        """The vault PUT: the list replaces everything."""
        self.granted, self.opaque = {}, []
        self.add(policies)

    def add(self, policies: Any) -> None:
        """An `add` child: each principal's permissions are merged in."""
        if not isinstance(policies, list):
            self.opaque.append(_text(policies))
            return
        for policy in policies:
            if not isinstance(policy, dict):
                self.opaque.append(_text(policy))
                continue
            principal = (_text(raw_get(policy, "tenantId")), _text(raw_get(policy, "objectId")), _text(raw_get(policy, "applicationId")))
            permissions = self.granted.setdefault(principal, {})
            listed = raw_get(policy, "permissions")
            if not isinstance(listed, dict):
                permissions.setdefault("?", set()).add(_text(listed))
                continue
            for category, values in listed.items():
                into = permissions.setdefault(category.lower(), set())
                if isinstance(values, list):
                    into.update(_text(v) for v in values)
                else:
                    into.add(_text(values))

    def frozen(self) -> Any:
        return (sorted((k, sorted((c, sorted(v)) for c, v in p.items())) for k, p in self.granted.items()), sorted(self.opaque))


def _text(value: Any) -> str:
    if isinstance(value, Unknown):
        return "?" + "".join(value.expression.split())
    if isinstance(value, str):
        return value.lower()
    return "" if value is None else json.dumps(_plain(value), sort_keys=True)


def _identity(resource: ExpandedResource) -> Identity:
    """Which resource it is, independent of where it is declared (fixes insert declarations)."""
    if isinstance(resource.id, str):
        return (resource.type_lower, resource.id.lower(), None)
    name = resource.name.expression if isinstance(resource.name, Unknown) else resource.name
    return (resource.type_lower, "".join(str(name).split()), resource.deployment, resource.copy_index)


def _add_children(expansion: Expansion) -> list[tuple[ExpandedResource, ExpandedResource | None]]:
    """Each deployed `add` child with its parent vault (None: not declared in this template)."""
    context = LintContext(Expansion(expansion.document, declared_vaults(expansion.resources)))
    return [(r, parent_vault(context, r)) for r in expansion.resources
            if r.type_lower == VAULT_ACCESS_POLICIES and not r.existing and r.deployed is not False and operation_kind(r) == "add"]


def _parent_identity(child: ExpandedResource, parent: ExpandedResource | None) -> Identity:
    if parent is None:
        return ("no vault in this template", _identity(child))
    identity = _identity(parent)
    # A child loop mirrors its vault's loop: pair the instances by index when only Azure knows the names.
    return identity if isinstance(parent.id, str) else (*identity[:-1], child.copy_index)


def effective_policies(expansion: Expansion) -> dict[Identity, Any]:
    """Each vault's policies after the deployment: its PUT (when deployed), then its `add` children."""
    states: dict[Identity, PolicyState] = {}
    for vault in expansion.resources:
        if vault.type_lower == VAULTS and not vault.existing and vault.deployed is not False:
            _, policies = evaluated_property(vault, "accessPolicies")
            states.setdefault(_identity(vault), PolicyState()).put(policies)
    for child, parent in _add_children(expansion):
        _, policies = evaluated_property(child, "accessPolicies")
        states.setdefault(_parent_identity(child, parent), PolicyState()).add(policies)
    return {key: state.frozen() for key, state in states.items()}


def _other_resources(expansion: Expansion, added: set[str], skip: set[Identity] = frozenset()) -> dict[Identity, list[str]]:  # type: ignore[assignment]
    """The deployed resources other than `add` children, vaults without their access policies, the
    option parameters the fix passes to nested deployments left out."""
    out: dict[Identity, list[str]] = {}
    for resource in expansion.resources:
        identity = _identity(resource)
        if resource.existing or identity in skip:
            continue
        if resource.type_lower == VAULT_ACCESS_POLICIES and operation_kind(resource) == "add":
            continue
        body = dict(resource.body)
        properties = body.get("properties")
        if isinstance(properties, dict):
            drop = {"accesspolicies"} if resource.type_lower == VAULTS else set()
            if resource.type_lower == "microsoft.resources/deployments" and isinstance(properties.get("parameters"), dict):
                properties = {**properties, "parameters": {k: v for k, v in properties["parameters"].items() if k.lower() not in added}}
            body["properties"] = {k: v for k, v in properties.items() if k.lower() not in drop}
        deployed = resource.deployed if isinstance(resource.deployed, bool) else "unknown"
        summary = json.dumps([resource.type_lower, _plain(resource.name), resource.api_version, deployed, _plain(body)], sort_keys=True, default=str)
        out.setdefault(identity, []).append(summary)
    return {k: sorted(v) for k, v in out.items()}


def prove_add_policies(request: FixRequest, fixed_text: str) -> Proof:
    """Check `fixed_text` against `request.text` (see the module docstring)."""
    request = replace(request, strategy="add-policies", state=None)
    proof = Proof()
    compared = compare(request, fixed_text, proof)
    if compared is None:
        return proof
    original, fixed, parameters = compared.original, compared.fixed, compared.parameters
    before, after_new = compared.before, compared.after_new
    optioned_before = {_identity(v) for v in before.resources if v.type_lower == VAULTS and option_parameter(v.raw)}
    vaults = [v for v in after_new.resources if v.type_lower == VAULTS and not v.existing and option_parameter(v.raw)
              and _identity(v) not in optioned_before]
    fixed_ids = {_identity(v) for v in vaults}
    proof.options = sorted({name for v in vaults if (name := root_option(fixed, v))})
    added = _added_parameters(original, fixed)

    if effective_policies(before) != effective_policies(after_new):
        proof.failures.append("with the default 'new' the vaults end with other access policies than before: "
                              + _differing(effective_policies(before), effective_policies(after_new)))
    if _other_resources(before, added) != _other_resources(after_new, added):
        proof.failures.append("with the default 'new' the other resources differ: "
                              + _differing(_other_resources(before, added), _other_resources(after_new, added)))
    for child, parent in _add_children(after_new):
        if parent is not None and _identity(parent) in fixed_ids and not runs_after_its_vault(child, parent):
            proof.failures.append(f"the `add` child at {list(child.json_path)} does not depend on its vault: it may run before the PUT")

    existing = replace(request, params=[*request.params, *(f"{name}=existing" for name in proof.options)])
    findings, after_existing = lint_document(fixed, existing, parameters)
    for vault in after_existing.resources:
        if _identity(vault) in fixed_ids and vault.deployed is not False:
            proof.failures.append(f"with 'existing' the vault at {list(vault.json_path)} is still deployed")
    before_policies, existing_policies = effective_policies(before), effective_policies(after_existing)
    nothing = PolicyState().frozen()
    for identity in sorted(fixed_ids, key=str):
        if existing_policies.get(identity, nothing) != before_policies.get(identity, nothing):
            proof.failures.append(f"with 'existing' the `add` children do not put back the policies of the vault {identity[1]}")
    if _other_resources(before, added, fixed_ids) != _other_resources(after_existing, added, fixed_ids):
        proof.failures.append("with 'existing' the other resources differ: "
                              + _differing(_other_resources(before, added, fixed_ids), _other_resources(after_existing, added, fixed_ids)))
    fixed_paths = [v.json_path for v in vaults]
    if any(f.rule_id == "KV001" and any(tuple(f.position.json_path)[: len(p)] == p for p in fixed_paths) for f in findings):
        proof.failures.append("KV001 still fires for a fixed vault with 'existing'")
    if fix_template(replace(request, text=fixed_text)).template_text != fixed_text:
        proof.failures.append("a second fix pass changes the text again")
    return proof


def _differing(a: dict[Identity, Any], b: dict[Identity, Any]) -> str:
    keys = sorted((k for k in set(a) | set(b) if a.get(k) != b.get(k)), key=str)
    return ", ".join(str(k[1]) for k in keys[:5]) or "(order only)"

