"""Proving a conditional-creation fix rather than hoping: used by the tests and by
benchmarks/fix_corpus.py.

For a template and its fixed text it checks that the fixed text parses; that with the options at
their default (`new`) it expands to the same resources (ids, types, names, api versions, deployed,
bodies); that with every option set to `existing` the fixed vaults are not deployed and every other
resource is the same, its links included; that KV001 no longer fires then; and that fixing the
fixed text again changes nothing.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from typing import Any

from ..expressions.values import Unknown
from ..source import SourceError, parse_document
from ..template.model import ExpandedResource, Expansion
from .conditional import option_parameter
from .engine import FixRequest, fix_template, lint_document, root_option

VAULTS = "microsoft.keyvault/vaults"


@dataclass
class Proof:
    """What was checked and what failed (empty `failures`: proven)."""

    options: list[str] = field(default_factory=list)  # root parameters the fix added
    failures: list[str] = field(default_factory=list)

    @property
    def proven(self) -> bool:
        return not self.failures


def _plain(value: Any) -> Any:
    """Comparable form: Unknowns (what only Azure knows) compare by kind, not by expression text."""
    if isinstance(value, Unknown):
        return "<unknown>"
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _key(resource: ExpandedResource) -> str:
    rid = resource.id if isinstance(resource.id, str) else f"{resource.type}/{_plain(resource.name)}@{resource.json_path}"
    return rid.lower()


def _summary(resource: ExpandedResource) -> str:
    deployed = resource.deployed if isinstance(resource.deployed, bool) else "unknown"
    return json.dumps([resource.type.lower(), _plain(resource.name), resource.api_version, deployed, _plain(resource.body)], sort_keys=True, default=str)


def _deployed_resources(expansion: Expansion, options: set[str] = frozenset()) -> dict[str, list[str]]:  # type: ignore[assignment]
    """Resource summaries by id; the option parameters the fix passes to nested deployments are left out."""
    out: dict[str, list[str]] = {}
    for resource in expansion.resources:
        if resource.existing:
            continue  # references (the fix's `existing` twin among them) deploy nothing
        if resource.type_lower == "microsoft.resources/deployments" and options:
            properties = resource.body.get("properties")
            passed = properties.get("parameters") if isinstance(properties, dict) else None
            if isinstance(passed, dict) and any(k.lower() in options for k in passed):
                body = dict(resource.body)
                body["properties"] = {**(properties or {}), "parameters": {k: v for k, v in passed.items() if k.lower() not in options}}
                resource = replace(resource, body=body)
        out.setdefault(_key(resource), []).append(_summary(resource))
    return out


def prove_fix(request: FixRequest, fixed_text: str) -> Proof:
    """Check `fixed_text` against `request.text` (see the module docstring)."""
    proof = Proof()
    try:
        fixed = parse_document(fixed_text, request.template)
    except SourceError as err:
        proof.failures.append(f"the fixed text does not parse: {err}")
        return proof
    original = parse_document(request.text, request.template)
    parameters = parse_document(request.parameters_text, request.parameters_file or "<p>") if request.parameters_text else None
    _, before = lint_document(original, request, parameters)
    _, after_new = lint_document(fixed, request, parameters)
    vaults = [v for v in after_new.resources if v.type_lower == VAULTS and option_parameter(v.raw) and not option_parameter(_raw_at(original, v.json_path))]
    proof.options = sorted({name for v in vaults if (name := root_option(fixed, v))})
    if len(proof.options) < len({v.json_path for v in vaults}) and not proof.options:
        proof.failures.append("no root parameter decides the fixed vaults")
    added = _added_parameters(original, fixed)
    if _deployed_resources(before) != _deployed_resources(after_new, added):
        proof.failures.append("with the default 'new' the fixed template deploys other resources than before: "
                              + _difference_maps(_deployed_resources(before), _deployed_resources(after_new, added)))
    existing_request = replace(request, params=[*request.params, *(f"{name}=existing" for name in proof.options)])
    findings, after_existing = lint_document(fixed, existing_request, parameters)
    fixed_paths = {v.json_path for v in vaults}
    for resource in after_existing.resources:
        if resource.json_path in fixed_paths and resource.deployed is not False:
            proof.failures.append(f"with 'existing' the vault at {list(resource.json_path)} is still deployed")
    expected = {k: v for k, v in _deployed_resources(before).items()}
    got = _deployed_resources(after_existing, added)
    for resource in before.resources:
        if resource.json_path in fixed_paths:
            expected.pop(_key(resource), None)
            got.pop(_key(resource), None)
    if expected != got:
        proof.failures.append("with 'existing' the other resources differ: " + _difference_maps(expected, got))
    if any(f.rule_id == "KV001" and _vault_path(f, fixed_paths) for f in findings):
        proof.failures.append("KV001 still fires for a fixed vault with 'existing'")
    again = fix_template(replace(request, text=fixed_text, state=None))
    if again.template_text != fixed_text:
        proof.failures.append("a second fix pass changes the text again")
    return proof


def _raw_at(document: Any, path: tuple[Any, ...]) -> Any:
    value = document.value
    try:
        for element in path:
            value = value[element]
    except (KeyError, IndexError, TypeError):
        return None
    return value


def _vault_path(finding: Any, paths: set[tuple[Any, ...]]) -> bool:
    at = tuple(finding.position.json_path)
    return any(at[: len(p)] == p for p in paths)


def _added_parameters(original: Any, fixed: Any) -> set[str]:
    """Lower-case names of the parameters declared in the fixed text and nowhere in the original."""

    def declared(value: Any) -> set[str]:
        names: set[str] = set()
        if isinstance(value, dict):
            for k, v in value.items():
                if k.lower() == "parameters" and isinstance(v, dict):
                    names |= {n.lower() for n, d in v.items() if isinstance(d, dict) and "type" in {x.lower() for x in d}}
                names |= declared(v)
        elif isinstance(value, list):
            for v in value:
                names |= declared(v)
        return names

    return declared(fixed.value) - declared(original.value)


def _difference_maps(a: dict[str, list[str]], b: dict[str, list[str]]) -> str:
    keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
    return ", ".join(os.path.basename(k) or k for k in keys[:5]) or "(order only)"
