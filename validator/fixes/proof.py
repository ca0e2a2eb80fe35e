"""Proving a conditional-creation fix rather than hoping: used by the tests and by
benchmarks/fix_corpus.py.

For a template and its fixed text it checks that the fixed text parses; that with the options at
their default (`new`) it expands to the same resources (ids, types, names, api versions, deployed,
bodies); that with every option set to `existing` the fixed resources (vaults, storage accounts,
Application Insights components, container registries) are not deployed and every other resource
is the same, its links included; that with `existing` and another `<stem>ResourceGroupName` every
link to a fixed resource points into that group; that KV001 and AML003 no longer fire then; and
that fixing the fixed text again changes nothing.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field, replace
from typing import Any

from ..expressions.values import Unknown
from ..source import Document, SourceError, parse_document
from ..template.model import ExpandedResource, Expansion
from .conditional import KIND_BY_TYPE, option_parameter
from .engine import (
    CONDITIONAL_RULES,
    FixRequest,
    fix_template,
    lint_document,
    root_option,
)

# A resource group no template names: with it, a link that did not follow the option shows.
OTHER_GROUP = "rg-proof-existing"


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


@dataclass
class Compared:
    """A template and its fixed text, both parsed and expanded with the request's parameters."""

    original: Document
    fixed: Document
    parameters: Document | None
    before: Expansion
    after_new: Expansion  # the fixed text with every option at its default, `new`


def compare(request: FixRequest, fixed_text: str, proof: Proof) -> Compared | None:
    """Parse and expand both texts; None (and a failure in `proof`) when the fixed one does not parse."""
    try:
        fixed = parse_document(fixed_text, request.template)
    except SourceError as err:
        proof.failures.append(f"the fixed text does not parse: {err}")
        return None
    original = parse_document(request.text, request.template)
    parameters = parse_document(request.parameters_text, request.parameters_file or "<p>") if request.parameters_text else None
    _, before = lint_document(original, request, parameters)
    _, after_new = lint_document(fixed, request, parameters)
    return Compared(original, fixed, parameters, before, after_new)


def prove_fix(request: FixRequest, fixed_text: str) -> Proof:
    """Check `fixed_text` against `request.text` (see the module docstring)."""
    proof = Proof()
    compared = compare(request, fixed_text, proof)
    if compared is None:
        return proof
    original, fixed, parameters = compared.original, compared.fixed, compared.parameters
    before, after_new = compared.before, compared.after_new
    targets = [r for r in after_new.resources if r.type_lower in KIND_BY_TYPE and option_parameter(r.raw)
               and not option_parameter(_raw_at(original, r.json_path))]
    proof.options = sorted({name for r in targets if (name := root_option(fixed, r))})
    if len(proof.options) < len({r.json_path for r in targets}) and not proof.options:
        proof.failures.append("no root parameter decides the fixed resources")
    added = _added_parameters(original, fixed)
    if _deployed_resources(before) != _deployed_resources(after_new, added):
        proof.failures.append("with the default 'new' the fixed template deploys other resources than before: "
                              + _difference_maps(_deployed_resources(before), _deployed_resources(after_new, added)))
    existing_request = replace(request, params=[*request.params, *(f"{name}=existing" for name in proof.options)])
    findings, after_existing = lint_document(fixed, existing_request, parameters)
    fixed_paths = {r.json_path for r in targets}
    for resource in after_existing.resources:
        if resource.json_path in fixed_paths and resource.deployed is not False:
            proof.failures.append(f"with 'existing' the {resource.type} at {list(resource.json_path)} is still deployed")
    expected = {k: v for k, v in _deployed_resources(before).items()}
    got = _deployed_resources(after_existing, added)
    for resource in before.resources:
        if resource.json_path in fixed_paths:
            expected.pop(_key(resource), None)
            got.pop(_key(resource), None)
    if expected != got:
        proof.failures.append("with 'existing' the other resources differ: " + _difference_maps(expected, got))
    for rule_id in sorted({f.rule_id for f in findings if f.rule_id in CONDITIONAL_RULES and _inside(f, fixed_paths)}):
        proof.failures.append(f"{rule_id} still fires for a fixed resource with 'existing'")
    proof.failures += _links_follow_the_group(request, fixed, parameters, before, targets, added)
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


def _inside(finding: Any, paths: set[tuple[Any, ...]]) -> bool:
    at = tuple(finding.position.json_path)
    return any(at[: len(p)] == p for p in paths)


def _links_follow_the_group(request: FixRequest, fixed: Any, parameters: Any, before: Expansion,
                            targets: list[ExpandedResource], added: set[str]) -> list[str]:
    """With `existing` in another resource group, every string of another resource's body that
    was a fixed resource's ID before the fix is that resource's ID in the other group."""
    moved: dict[str, str] = {}  # old ID -> the ID in OTHER_GROUP (lower case)
    params = list(request.params)
    for target in targets:
        option = root_option(fixed, target)
        group = f"{option[: -len('Option')]}ResourceGroupName" if option and option.endswith("Option") else None
        old = next((r.id for r in before.resources if r.json_path == target.json_path and isinstance(r.id, str)), None)
        if group is None or group.lower() not in added or old is None:
            continue  # no group parameter: the resource must be in the deployment's group
        moved[old.lower()] = re.sub(r"(?i)/resourceGroups/[^/]+/", f"/resourceGroups/{OTHER_GROUP}/", old, count=1).lower()
        params += [f"{option}=existing", f"{group}={OTHER_GROUP}"]
    if not moved:
        return []
    _, after = lint_document(fixed, replace(request, params=params), parameters)
    after_bodies = {(_key(r), r.json_path): r.body for r in after.resources if not r.existing}
    failures: list[str] = []
    for resource in before.resources:
        if resource.existing or resource.type_lower in KIND_BY_TYPE and any(resource.json_path == t.json_path for t in targets):
            continue
        body = after_bodies.get((_key(resource), resource.json_path))
        for where in _unmoved(resource.body, body, moved, ()):
            failures.append(f"with 'existing' in another group, {resource.type} '{_plain(resource.name)}' still links "
                            f"the old ID at {'.'.join(map(str, where))}")
    return failures


def _unmoved(old: Any, new: Any, moved: dict[str, str], path: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """Paths where `old` holds a moved ID and `new` does not hold its replacement."""
    if isinstance(old, str):
        wanted = moved.get(old.lower())
        return [path] if wanted is not None and not (isinstance(new, str) and new.lower() == wanted) else []
    if isinstance(old, dict):
        new_dict = new if isinstance(new, dict) else {}
        return [p for k, v in old.items() for p in _unmoved(v, new_dict.get(k), moved, path + (k,))]
    if isinstance(old, list):
        new_list = new if isinstance(new, list) else []
        return [p for i, v in enumerate(old) for p in _unmoved(v, new_list[i] if i < len(new_list) else None, moved, path + (i,))]
    return []


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
