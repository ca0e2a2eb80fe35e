"""The fix loop: lint the text in memory, collect the fixes, splice them in, parse and lint again,
until nothing changes; then, with live state, say `keyVaultOption: existing` (`storageAccountOption`,
...) in the parameter file for the resources that already exist.

Rules' own fixes (`Finding.fix`) are applied when safe (unsafe ones with `unsafe=True`, display-only
ones never); KV001 and AML003 get the conditional-creation fix computed here (`conditional.py`), or
for KV001 the one `strategy` names (`policies_child.py`, `rbac.py`).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

from ..config import Config
from ..expressions.evaluator import DeploymentContext
from ..findings import Edit, Finding, Fix
from ..rules.base import LintContext
from ..rules.keyvault.access_policy_operation import operation_kind
from ..rules.keyvault.common import VAULT_ACCESS_POLICIES, parent_vault
from ..source import (
    Document,
    parameter_file_from_document,
    parse_cli_parameter,
    parse_document,
)
from ..state.model import LiveState
from ..template.expand import ExpandOptions, InputValue, expand_template
from ..template.model import ExpandedResource, Expansion
from .conditional import (
    KIND_BY_TYPE,
    Unfixable,
    conditional_creation_fix,
    option_parameter,
    scope_chain,
)
from .edits import (
    apply_edits,
    apply_fixes,
    indent_unit,
    insert_members,
    newline_of,
    render,
)
from .policies_child import add_policies_fix
from .rbac import rbac_switch_fix

KV001 = "KV001"
KV007 = "KV007"
# The rules whose finding is a resource redeployed on every run: the conditional-creation fix.
CONDITIONAL_RULES = (KV001, "AML003")
STRATEGIES = ("conditional", "add-policies", "rbac")
# KV001's other fixes, by strategy: (document, vault, resources) -> Fix, Unfixable, or None when
# nothing is left to do.
KV001_STRATEGIES = {"add-policies": add_policies_fix, "rbac": rbac_switch_fix}


@dataclass
class FixRequest:
    """What to fix, and how."""

    template: str
    text: str  # the template's text (BOM removed), as read
    parameters_file: str | None = None
    parameters_text: str | None = None  # the parameter file's text, as read (None: no file)
    params: list[str] = field(default_factory=list)
    context: DeploymentContext | None = None
    fill_missing: bool = False
    mode: str = "incremental"
    config: Config = field(default_factory=Config)
    strategy: str = "conditional"
    unsafe: bool = False
    state: LiveState | None = None
    max_passes: int = 10


@dataclass
class OptionDecision:
    """What the live state says about one resource's option parameter."""

    parameter: str
    resource_id: str
    status: str  # found, not_found, forbidden, error, unknown (not in the state)
    value: str | None  # written to the parameter file; None: left alone


@dataclass
class FixOutcome:
    """The fixed texts and what happened on the way."""

    template_text: str
    parameters_text: str | None
    applied: list[Fix] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (fix title, why)
    unfixable: list[tuple[Finding, str]] = field(default_factory=list)
    remaining: list[Finding] = field(default_factory=list)  # findings left that no fix resolves
    addressed: list[Finding] = field(default_factory=list)  # KV001/AML003 on resources that follow an option
    display_only: list[Fix] = field(default_factory=list)
    decisions: list[OptionDecision] = field(default_factory=list)
    passes: int = 0
    converged: bool = True


def inputs_from(parameters: Document | None, params: list[str]) -> dict[str, InputValue]:
    """Parameter values from a parameter file held in memory and `NAME=VALUE` texts (which win)."""
    inputs: dict[str, InputValue] = {}
    if parameters is not None:
        parameter_file = parameter_file_from_document(parameters)
        for key, entry in parameter_file.entries.items():
            inputs[key] = InputValue(entry.value, "parameter file", entry.location.json_path, parameters, is_reference=entry.reference is not None)
    for text in params:
        name, value = parse_cli_parameter(text)
        inputs[name.lower()] = InputValue(value, "command line")
    return inputs


def lint_document(document: Document, request: FixRequest, parameters: Document | None) -> tuple[list[Finding], Expansion]:
    """Expand and lint one template held in memory (the fix loop's view of the file)."""
    from ..lint import apply_inline_suppressions, check_expansion

    context = request.context or DeploymentContext()
    options = ExpandOptions(fill_missing=request.fill_missing, base_dir=os.path.dirname(os.path.abspath(request.template)))
    expansion = expand_template(document, context, inputs_from(parameters, request.params), options)
    findings = check_expansion(expansion, request.config, request.mode, request.state)
    kept, _ = apply_inline_suppressions(findings, expansion)
    return sorted(set(kept), key=Finding.sort_key), expansion


def resource_of(finding: Finding, expansion: Expansion) -> ExpandedResource | None:
    """The declaration of a kind the conditional fix knows (vault, storage account, ...) that a
    finding points into (the deepest one whose path prefixes it)."""
    path = tuple(finding.position.json_path)
    best: ExpandedResource | None = None
    for resource in expansion.resources:
        if resource.type_lower not in KIND_BY_TYPE or resource.document.path != finding.position.file:
            continue
        depth = len(resource.json_path)
        if path[:depth] == resource.json_path and (best is None or depth > len(best.json_path)):
            best = resource
    return best


def _add_under_optional_vault(finding: Finding, expansion: Expansion) -> bool:
    """A KV007 finding on an `accessPolicies/add` child whose vault follows a new/existing option."""
    path = tuple(finding.position.json_path)
    context = LintContext(expansion)
    for child in context.resources(VAULT_ACCESS_POLICIES):
        if child.document.path != finding.position.file or path[: len(child.json_path)] != child.json_path:
            continue
        vault = parent_vault(context, child) if operation_kind(child) == "add" else None
        if vault is not None and option_parameter(vault.raw) is not None:
            return True
    return False


def _allowed(fix: Fix, request: FixRequest) -> bool:
    return fix.applicability == "safe" or (fix.applicability == "unsafe" and request.unsafe)


def _collect(document: Document, findings: list[Finding], expansion: Expansion, request: FixRequest, outcome: FixOutcome) -> list[Fix]:
    """This pass's fixes; fills in which findings have none and why."""
    fixes: list[Fix] = []
    seen: set[tuple[Any, ...]] = set()
    by_vault: dict[tuple[Any, ...], Fix | Unfixable | None] = {}  # one strategy fix per declaration
    for finding in findings:
        if finding.rule_id == KV001 and request.strategy in KV001_STRATEGIES:
            vault = resource_of(finding, expansion)
            if vault is None:
                outcome.unfixable.append((finding, "the vault declaration was not found"))
                continue
            first = vault.json_path not in by_vault
            if first:
                by_vault[vault.json_path] = KV001_STRATEGIES[request.strategy](document, vault, expansion.resources)
            result = by_vault[vault.json_path]
            if result is None:
                outcome.addressed.append(finding)
            elif isinstance(result, Unfixable):
                outcome.unfixable.append((finding, result.reason))
            elif result.applicability == "display-only":
                if first:
                    outcome.display_only.append(result)
                outcome.unfixable.append((finding, "its fix is display-only: see the proposed change"))
            elif first:
                fixes.append(result)
        elif finding.rule_id in CONDITIONAL_RULES:
            target = resource_of(finding, expansion)
            if target is None:
                outcome.unfixable.append((finding, "the resource declaration was not found"))
                continue
            if option_parameter(target.raw) is not None:
                outcome.addressed.append(finding)
                continue
            if target.json_path in seen:
                continue  # one fix per declaration (copy loops give several findings)
            seen.add(target.json_path)
            fix = conditional_creation_fix(document, target, expansion.resources)
            if isinstance(fix, Unfixable):
                outcome.unfixable.append((finding, fix.reason))
            else:
                fixes.append(fix)
        elif finding.rule_id == KV007 and _add_under_optional_vault(finding, expansion):
            # The `add` restores the template's principals after a run that keeps `new`: the
            # caveat of the new/existing pattern that KV001 already reports on the vault.
            outcome.addressed.append(finding)
        elif finding.fix is not None and finding.fix.edits and finding.position.file != document.path:
            # Its edits are offsets into a linked template, not into this text.
            outcome.unfixable.append((finding, f"its fix is in {finding.position.file}: run fix on that file"))
        elif finding.fix is not None and finding.fix.edits:
            if _allowed(finding.fix, request):
                fixes.append(finding.fix)
            elif finding.fix.applicability == "display-only":
                outcome.display_only.append(finding.fix)
                outcome.unfixable.append((finding, "its fix is display-only: it needs a decision"))
            else:
                outcome.unfixable.append((finding, "its fix is unsafe: pass --unsafe-fixes to apply it"))
        else:
            outcome.unfixable.append((finding, "no automatic fix"))
    return fixes


def fix_template(request: FixRequest) -> FixOutcome:
    """Run the fix loop on `request.text` to a fixpoint (at most `max_passes` passes)."""
    if request.strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {request.strategy!r}")
    parameters = parse_document(request.parameters_text, request.parameters_file or "<parameters>") if request.parameters_text is not None else None
    text = request.text
    outcome = FixOutcome(text, request.parameters_text)
    refused: set[str] = set()
    for number in range(1, request.max_passes + 1):
        outcome.passes = number
        outcome.unfixable, outcome.addressed, outcome.display_only = [], [], []
        document = parse_document(text, request.template)
        findings, expansion = lint_document(document, request, parameters)
        fixes = [f for f in _collect(document, findings, expansion, request, outcome) if f.title not in refused]
        if not fixes:
            break
        result = apply_fixes(text, fixes, request.template)
        for fix, why in result.skipped:
            if why.startswith(("refused", "its edits")):
                refused.add(fix.title)  # would break the file: do not try it again
                outcome.skipped.append((fix.title, why))
        if not result.applied or result.text == text:
            break
        outcome.applied.extend(result.applied)
        text = result.text
    else:
        outcome.converged = False
    outcome.template_text = text
    outcome.remaining = [f for f, _ in outcome.unfixable]
    if request.state is not None:
        _apply_state(request, outcome, parameters)
    return outcome


def root_option(document: Document, resource: ExpandedResource) -> str | None:
    """The root template's parameter that decides a resource's option (traced through inner scopes)."""
    name = option_parameter(resource.raw)
    chain = scope_chain(document, resource.json_path)
    if name is None or isinstance(chain, Unfixable) or resource.document is not document:
        return None
    for level in reversed(chain[1:]):
        deployment = document.value
        for element in level.deployment_path or ():
            deployment = deployment[element]
        properties = _ci(deployment, "properties")
        passed = _ci(_ci(properties, "parameters"), name)
        value = _ci(passed, "value")
        found = re.fullmatch(r"\[\s*parameters\(\s*'([^']+)'\s*\)\s*\]", value) if isinstance(value, str) else None
        if not found:
            return None
        name = found.group(1)
    return name


def _ci(obj: Any, key: str) -> Any:
    if not isinstance(obj, dict):
        return None
    return obj.get(key, next((v for k, v in obj.items() if k.lower() == key.lower()), None))


def _apply_state(request: FixRequest, outcome: FixOutcome, parameters: Document | None) -> None:
    """`existing` for the resources (vaults, storage accounts, ...) the state found, `new` for the
    ones it did not."""
    assert request.state is not None
    document = parse_document(outcome.template_text, request.template)
    _, expansion = lint_document(document, request, parameters)
    decided: dict[str, OptionDecision] = {}
    for resource in expansion.resources:
        if resource.type_lower not in KIND_BY_TYPE or resource.existing or not isinstance(resource.id, str):
            continue
        name = root_option(document, resource)
        if name is None or name.lower() in decided:
            continue
        live = request.state.resource(resource.id)
        status = live.status if live is not None else "unknown"
        value = {"found": "existing", "not_found": "new"}.get(status)
        decided[name.lower()] = OptionDecision(name, resource.id, status, value)
    outcome.decisions = list(decided.values())
    text = request.parameters_text
    for decision in outcome.decisions:
        if decision.value is None:
            continue
        current = parse_document(text, request.parameters_file or "<parameters>") if text is not None else None
        edits = set_parameter(current, decision.parameter, decision.value)
        if edits is None:
            continue
        if current is None:
            text = new_parameter_file(decision.parameter, decision.value, newline_of(request.text), indent_unit(request.text))
        else:
            text = apply_edits(text or "", edits)
    outcome.parameters_text = text
    if text != request.parameters_text:
        # The findings that are left are those of a deployment with the parameter file as written.
        params_doc = parse_document(text or "", request.parameters_file or "<parameters>")
        findings, expansion = lint_document(document, request, params_doc)
        probe = FixOutcome(outcome.template_text, text)
        _collect(document, findings, expansion, request, probe)
        outcome.unfixable, outcome.addressed = probe.unfixable, probe.addressed
        outcome.remaining = [f for f, _ in probe.unfixable]


def set_parameter(parameters: Document | None, name: str, value: str) -> tuple[Edit, ...] | None:
    """Edits that make the parameter file give `name` the string `value`: change the entry's
    `value`, or add the entry. None when nothing needs to change (or the entry is a Key Vault
    reference); () when there is no file (the caller creates one)."""
    if parameters is None:
        return () if value != "new" else None
    parameter_file = parameter_file_from_document(parameters)
    entry = parameter_file.entries.get(name.lower())
    if entry is not None:
        if entry.reference is not None or entry.value == value:
            return None
        loc = entry.location
        return (Edit(loc.offset, loc.end_offset, f'"{value}"'),)
    if value == "new":
        return None  # the default already says so
    root = parameters.value
    base: tuple[Any, ...] = ("parameters",) if isinstance(root.get("parameters"), dict) else ()
    return insert_members(parameters, base, [(name, {"value": value})])


def new_parameter_file(name: str, value: str, newline: str, unit: str) -> str:
    """A deploymentParameters file holding one parameter, laid out like the template."""
    content = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {name: {"value": value}},
    }
    return render(content, "", unit, newline) + newline
