"""The lint engine: expand each template, run the selected rules, decide what is reported.

Errors are findings: a template that cannot be read is `AV000`, what Azure would reject while
expanding it is `AV001`, a rule that crashes is `AV999` naming the rule. Everything else in the
file, and every other file, is still checked.
"""
from __future__ import annotations

import json
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Sequence

from .config import Config
from .diagnostics import Diagnostic
from .expressions.evaluator import DeploymentContext
from .findings import SEVERITY_RANK, Finding, Position
from .rules import ALL_RULES, LOAD_ERROR, RULE_CRASH, DEPLOYMENT_REJECTED
from .rules.base import LintContext, LintOptions, Rule, raw_get
from .source import SourceError, load_document
from .state.model import LiveState
from .template.expand import ExpandOptions, expand_template
from .template.model import Expansion


@dataclass
class LintRequest:
    """What to lint, and how: everything a worker process needs."""

    template: str
    parameters_file: str | None = None
    params: list[str] = field(default_factory=list)
    context: DeploymentContext | None = None
    fill_missing: bool = False
    mode: str = "incremental"
    config: Config = field(default_factory=Config)
    extra_rules: tuple[Rule, ...] = ()  # policies written as data, compiled to rules
    state: LiveState | None = None  # live state: the live rules run only with it


@dataclass
class FileReport:
    template: str
    parameters_file: str | None
    findings: list[Finding]
    suppressed: int = 0


def lint_file(request: LintRequest) -> FileReport:
    """Lint one template; never raises for anything wrong with the template."""
    from .api import default_deployment_name, parameter_inputs

    path = request.template
    try:
        document = load_document(path)
        inputs = parameter_inputs(request.parameters_file, request.params)
    except SourceError as err:
        position = Position(err.path, err.line, err.column, err.line, err.column)
        finding = Finding(LOAD_ERROR.id, "error", err.message, position, LOAD_ERROR.remedy)
        return FileReport(path, request.parameters_file, [finding])
    except OSError as err:
        position = Position(path, 0, 0, 0, 0)
        finding = Finding(LOAD_ERROR.id, "error", f"cannot read the file: {err.strerror or err}", position, LOAD_ERROR.remedy)
        return FileReport(path, request.parameters_file, [finding])
    context = request.context or DeploymentContext(deployment_name=default_deployment_name(path))
    options = ExpandOptions(fill_missing=request.fill_missing, base_dir=os.path.dirname(os.path.abspath(path)))
    expansion = expand_template(document, context, inputs, options)
    findings = [_diagnostic_finding(d) for d in expansion.diagnostics]
    findings += check_expansion(expansion, request.config, request.mode, request.state, request.extra_rules)
    findings = [_override_severity(f, request.config) for f in findings]
    kept, suppressed = apply_inline_suppressions(findings, expansion)
    return FileReport(path, request.parameters_file, sorted(set(kept), key=Finding.sort_key), suppressed)


def check_expansion(
    expansion: Expansion,
    config: Config,
    mode: str = "incremental",
    state: LiveState | None = None,
    extra_rules: Sequence[Rule] = (),
) -> list[Finding]:
    """Run the rules `config` selects on one expanded template (live rules only with `state`).
    A rule that crashes becomes an AV999 finding naming it; the other rules still run."""
    path = expansion.document.path
    lint_context = LintContext(expansion, LintOptions(mode=mode), state)
    findings: list[Finding] = []
    for rule in [rule_class() for rule_class in ALL_RULES] + list(extra_rules):
        if not config.selects(rule.id, path) or (rule.needs_live_state and state is None):
            continue
        try:
            findings.extend(rule.check(lint_context))
        except Exception as err:  # noqa: BLE001 - a broken rule must not hide the other rules' findings
            position = Position(path, 1, 1, 1, 1)
            message = f"the rule {rule.id} ({rule.name}) crashed on this template: {type(err).__name__}: {err}"
            findings.append(Finding(RULE_CRASH.id, "error", message, position, RULE_CRASH.remedy))
    return [f for f in findings if config.selects(f.rule_id, path) or f.rule_id in (LOAD_ERROR.id, RULE_CRASH.id)]


def lint_many(requests: Sequence[LintRequest], jobs: int = 1) -> list[FileReport]:
    """Lint several templates, in parallel when `jobs` > 1; reports come back in request order."""
    if jobs <= 1 or len(requests) < 2:
        return [lint_file(r) for r in requests]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(lint_file, requests, chunksize=max(1, len(requests) // (jobs * 8))))


def _diagnostic_finding(diagnostic: Diagnostic) -> Finding:
    position = Position(diagnostic.file, diagnostic.line, diagnostic.column, diagnostic.line, diagnostic.column, diagnostic.json_path)
    return Finding(
        DEPLOYMENT_REJECTED.id,
        diagnostic.severity,
        f"{diagnostic.message} [{diagnostic.code}]",
        position,
        DEPLOYMENT_REJECTED.remedy,
    )


def _override_severity(finding: Finding, config: Config) -> Finding:
    override = config.severity.get(finding.rule_id.upper())
    return replace(finding, severity=override) if override and override != finding.severity else finding  # type: ignore[arg-type]


def inline_suppressions(metadata: Any) -> set[str]:
    """Rule ids ignored by a `metadata` object: `{"arm-validator": {"ignore": [...], "reason": "..."}}`."""
    entry = raw_get(metadata, "arm-validator")
    if isinstance(entry, dict):
        ignore = raw_get(entry, "ignore")
        if isinstance(ignore, str):
            return {i.strip().upper() for i in ignore.split(",") if i.strip()}
        if isinstance(ignore, list):
            return {str(i).strip().upper() for i in ignore}
    if isinstance(entry, list):
        return {str(raw_get(e, "id") or "").upper() for e in entry if isinstance(e, dict)} - {""}
    return set()


def apply_inline_suppressions(findings: list[Finding], expansion: Expansion) -> tuple[list[Finding], int]:
    """Drop the findings that a template's or a resource's `metadata` ignores; also say how many."""
    scopes: list[tuple[str, tuple[Any, ...], set[str]]] = []
    template_ids = inline_suppressions(raw_get(expansion.document.value, "metadata"))
    if template_ids:
        scopes.append((expansion.document.path, (), template_ids))
    for resource in expansion.resources:
        ids = inline_suppressions(raw_get(resource.raw, "metadata"))
        if ids:
            scopes.append((resource.document.path, resource.json_path, ids))
    if not scopes:
        return findings, 0
    kept: list[Finding] = []
    for finding in findings:
        path = finding.position.json_path
        if any(
            finding.position.file == file and tuple(path[: len(prefix)]) == prefix and _matches_any(finding.rule_id, ids)
            for file, prefix, ids in scopes
        ):
            continue
        kept.append(finding)
    return kept, len(findings) - len(kept)


def _matches_any(rule_id: str, ids: Iterable[str]) -> bool:
    return any(rule_id.upper().startswith(i) for i in ids)


def at_or_above(findings: Iterable[Finding], threshold: str) -> bool:
    if threshold == "never":
        return False
    return any(SEVERITY_RANK[f.severity] >= SEVERITY_RANK[threshold] for f in findings)


# --- baselines: accept existing findings, report only new ones ----------------------------------


def baseline_key(finding: Finding, root: str) -> tuple[str, str, str, str]:
    """Rule, file, resource and JSON path: stable when unrelated lines move."""
    file = os.path.relpath(os.path.abspath(finding.position.file), root).replace(os.sep, "/")
    return (finding.rule_id, file, (finding.resource_id or "").lower(), json.dumps(list(finding.position.json_path)))


def write_baseline(path: str, findings: Iterable[Finding]) -> int:
    root = os.path.dirname(os.path.abspath(path))
    keys = sorted(baseline_key(f, root) for f in findings)
    entries = [{"ruleId": r, "file": f, "resource": res, "path": json.loads(p)} for r, f, res, p in keys]
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"version": 1, "findings": entries}, handle, indent=2)
        handle.write("\n")
    return len(entries)


def apply_baseline(path: str, findings: list[Finding]) -> tuple[list[Finding], int]:
    """Drop findings that the baseline accepts (each baseline entry accepts one finding)."""
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    root = os.path.dirname(os.path.abspath(path))
    accepted: dict[tuple[str, str, str, str], int] = {}
    for entry in data.get("findings", []):
        key = (entry["ruleId"], entry["file"], entry.get("resource", ""), json.dumps(entry.get("path", [])))
        accepted[key] = accepted.get(key, 0) + 1
    kept: list[Finding] = []
    for finding in findings:
        key = baseline_key(finding, root)
        if accepted.get(key, 0) > 0:
            accepted[key] -= 1
            continue
        kept.append(finding)
    return kept, len(findings) - len(kept)
