"""The lint engine: expand each template, run the selected rules, decide what is reported.

Errors are findings: a template that cannot be read is `AV000`, what Azure would reject while
expanding it is `AV001`, a rule that crashes is `AV999` naming the rule. Everything else in the
file, and every other file, is still checked.
"""
from __future__ import annotations

import gc
import json
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Sequence

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


def lint_file(request: LintRequest, settle: Callable[[], None] | None = None) -> FileReport:
    """Lint one template; never raises for anything wrong with the template. `settle` runs between
    the expansion and the rules (`lint_many` passes `settle_collector`)."""
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
    if settle is not None:
        settle()
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
        try:
            return [_lint_then_settle(r) for r in requests]
        finally:
            gc.unfreeze()  # the caller's process collects as before
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(_lint_then_settle, requests, chunksize=max(1, len(requests) // (jobs * 8))))


def _lint_then_settle(request: LintRequest) -> FileReport:
    report = lint_file(request, settle=settle_collector)
    settle_collector()
    return report


def settle_collector() -> None:
    """Between the files of a many-file run: what is alive now (modules, the caches of parsed
    expressions) outlives every file, so it is moved out of the cyclic collector's way; full
    collections stop re-scanning it (they cost 0.8 s of a corpus lint). The same between a file's
    expansion and its rules: the expansion outlives the rules (a sixth of the collector's time
    in a corpus lint). A file's own objects are still freed by reference counting as soon as it
    is done: expansion and rules make no cycles.
    `gc.unfreeze()` after the run hands everything back to the collector."""
    gc.freeze()


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
#
# A finding's key (rule, file, resource, JSON path inside the resource; never a line) is shared by
# baselines, SARIF fingerprints and --new-since. Version 2 baselines store it; version 1 files,
# which kept the full JSON path (with the resource's index in `resources`), still match as before.

BASELINE_VERSION = 2
FindingKey = tuple[str, str, str, str]  # rule id, file relative to a root, resource id, JSON path as JSON


def finding_key(finding: Finding, root: str) -> FindingKey:
    """What identifies a finding across edits: rule, file (relative to `root`), resource id and the
    JSON path inside that resource's declaration. The resource id names the resource, so inserting
    or reordering resources does not change the key; a finding about no resource keeps its full path."""
    path = tuple(finding.position.json_path)
    if finding.resource_id:
        path = path_in_resource(path)
    file = _key_file(finding.position.file, root)
    return (finding.rule_id.upper(), file, (finding.resource_id or "").lower(), _path_text(path))


def path_in_resource(json_path: tuple[Any, ...]) -> tuple[Any, ...]:
    """The part of `json_path` inside the innermost resource declaration it goes through.

    Declarations are `resources[i]` (or a symbolic name) at the top of a template, a child's
    `resources[j]` inside a resource, and `properties.template.resources[k]` of a nested deployment.
    A path through none of them (a parameter file, the template's `parameters`) is returned whole.
    """
    inside = 0  # where the innermost declaration found so far starts its properties
    step = 0
    while step + 1 < len(json_path):
        if _is_key(json_path[step], "resources"):
            step += 2  # a top-level or child resource
        elif step and step + 3 < len(json_path) and all(
            _is_key(json_path[step + k], key) for k, key in enumerate(("properties", "template", "resources"))
        ):
            step += 4  # a resource of a nested deployment's inline template
        else:
            break
        inside = step
    return json_path[inside:]


def _is_key(step: Any, name: str) -> bool:
    return isinstance(step, str) and step.lower() == name  # ARM property names ignore case


def _key_file(file: str, root: str) -> str:
    absolute = os.path.realpath(os.path.abspath(file))
    try:
        return os.path.relpath(absolute, root).replace(os.sep, "/")
    except ValueError:  # another drive on Windows
        return absolute.replace(os.sep, "/")


def _path_text(path: Iterable[Any]) -> str:
    return json.dumps(list(path), separators=(",", ":"), default=str)


class BaselineError(ValueError):
    """A baseline file that is not one, or of a version this arm-validator cannot read."""


def write_baseline(path: str, findings: Iterable[Finding]) -> int:
    """Accept every finding into the baseline file `path` (version 2); return how many."""
    root = os.path.realpath(os.path.dirname(os.path.abspath(path)))
    keys = sorted(finding_key(f, root) for f in findings)
    entries = [{"ruleId": r, "file": f, "resource": res, "path": json.loads(p)} for r, f, res, p in keys]
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"version": BASELINE_VERSION, "findings": entries}, handle, indent=2)
        handle.write("\n")
    return len(entries)


def apply_baseline(path: str, findings: list[Finding]) -> tuple[list[Finding], int]:
    """Drop findings that the baseline accepts (each baseline entry accepts one finding).
    Raises OSError, or ValueError (BaselineError, JSONDecodeError) naming what is wrong with the file."""
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
        raise BaselineError('not an arm-validator baseline: expected {"version": 2, "findings": [...]}')
    version = data.get("version", 1)
    if version not in (1, 2):
        raise BaselineError(f"baseline version {version!r} is not supported (versions 1 and 2 are)")
    accepted: dict[FindingKey, int] = {}
    for number, entry in enumerate(data["findings"], start=1):
        key = _entry_key(entry, version, number)
        accepted[key] = accepted.get(key, 0) + 1
    if version == 1:
        root = os.path.dirname(os.path.abspath(path))
        key_of = _v1_key
    else:
        root = os.path.realpath(os.path.dirname(os.path.abspath(path)))
        key_of = finding_key
    kept: list[Finding] = []
    for finding in findings:
        key = key_of(finding, root)
        if accepted.get(key, 0) > 0:
            accepted[key] -= 1
            continue
        kept.append(finding)
    return kept, len(findings) - len(kept)


def _entry_key(entry: Any, version: int, number: int) -> FindingKey:
    if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) for k in ("ruleId", "file")):
        raise BaselineError(f"finding {number} of the baseline needs string 'ruleId' and 'file'")
    json_path = entry.get("path") or []
    if not isinstance(json_path, list):
        raise BaselineError(f"finding {number} of the baseline has a 'path' that is not a list")
    resource = entry.get("resource") or ""
    if version == 1:
        return (entry["ruleId"], entry["file"], resource, json.dumps(json_path))
    return (entry["ruleId"].upper(), entry["file"], str(resource).lower(), _path_text(json_path))


def _v1_key(finding: Finding, root: str) -> FindingKey:
    """The version 1 key, kept so that existing baselines still apply: the full JSON path."""
    file = os.path.relpath(os.path.abspath(finding.position.file), root).replace(os.sep, "/")
    return (finding.rule_id, file, (finding.resource_id or "").lower(), json.dumps(list(finding.position.json_path)))
