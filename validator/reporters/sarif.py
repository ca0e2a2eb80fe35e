"""The SARIF 2.1.0 report, for GitHub code scanning and other SARIF viewers.

Locations are relative to the repository root (`uriBaseId: %SRCROOT%`), fingerprints ignore line
numbers (so an alert survives unrelated edits), and no template text is ever copied in: no
`snippet`, no `contextRegion`, because a template or parameter file can hold secrets.
"""
from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..findings import Finding, Position
from ..lint import FileReport, finding_key
from ._common import (
    RuleInfo,
    all_findings,
    relative_path,
    repository_root,
    rule_info,
)
from .json_report import tool_version

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "armValidatorFinding/v2"  # bump the suffix if the fingerprint's inputs ever change
_PROBLEM_SEVERITY = {"error": "error", "warning": "warning", "note": "recommendation"}  # GitHub's vocabulary


def render(reports: Sequence[FileReport], *, extra_rules: Sequence[Any] = (), root: str | None = None) -> str:
    """SARIF for `reports`; `extra_rules` are policy rules (for their metadata), `root` the repository root."""
    return json.dumps(sarif_log(reports, extra_rules=extra_rules, root=root), indent=2, ensure_ascii=False) + "\n"


def sarif_log(reports: Sequence[FileReport], *, extra_rules: Sequence[Any] = (), root: str | None = None) -> dict[str, Any]:
    """The SARIF log as a dict (see `render`)."""
    root = root or repository_root()
    rules = _rules(reports, extra_rules)
    index = {rule.id.upper(): i for i, rule in enumerate(rules)}
    occurrences: dict[str, int] = {}
    results = [_result(f, index, root, occurrences) for f in all_findings(reports)]
    crashes = [f for f in all_findings(reports) if f.rule_id == "AV999"]
    invocation: dict[str, Any] = {"executionSuccessful": not crashes}  # a crashed rule left the template partly unchecked
    if crashes:
        invocation["toolExecutionNotifications"] = [
            {"level": "error", "message": {"text": f.message}, "descriptor": {"id": f.rule_id}} for f in crashes
        ]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "arm-validator",
                "version": tool_version(),
                **({"informationUri": uri} if (uri := information_uri()) else {}),
                "rules": [_descriptor(rule) for rule in rules],
            }
        },
        "originalUriBaseIds": {SRCROOT: {"uri": Path(root).as_uri().rstrip("/") + "/"}},
        "invocations": [invocation],
        "columnKind": "unicodeCodePoints",  # our columns count characters, not UTF-16 code units
        "results": results,
        "properties": {"templatesChecked": len(reports), "suppressed": sum(r.suppressed for r in reports)},
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def information_uri() -> str | None:
    """The project's home page, from the installed package's metadata (`[project.urls] Homepage`)."""
    try:
        metadata = distribution("arm-validator").metadata
    except PackageNotFoundError:
        return None
    for entry in metadata.get_all("Project-URL") or []:
        label, _, url = str(entry).partition(",")
        if label.strip().lower() in ("homepage", "home", "repository", "source") and url.strip():
            return url.strip()
    home = str(metadata["Home-page"] or "")
    return home if home and home != "UNKNOWN" else None


def _rules(reports: Sequence[FileReport], extra_rules: Sequence[Any]) -> list[RuleInfo]:
    """Every built-in and reserved rule, then each other rule (policies) that produced a finding."""
    from ..rules import ALL_RULES, RESERVED

    rules = [rule_info(r.id) for r in (*ALL_RULES, *RESERVED)]
    known = {r.id.upper() for r in rules}
    for finding in all_findings(reports):
        if finding.rule_id.upper() not in known:
            known.add(finding.rule_id.upper())
            rules.append(rule_info(finding.rule_id, extra_rules))
    return rules


def _descriptor(rule: RuleInfo) -> dict[str, Any]:
    documentation = rule.documentation or rule.summary or rule.id
    descriptor: dict[str, Any] = {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.summary or rule.name},
        "fullDescription": {"text": _what_it_does(rule.documentation) or rule.summary or rule.name},
        "help": {"text": documentation, "markdown": documentation},
        "defaultConfiguration": {"level": rule.severity if rule.severity in ("error", "warning", "note") else "warning"},
        "properties": {
            "tags": ["arm", "azure", rule.group],
            "problem.severity": _PROBLEM_SEVERITY.get(rule.severity, "warning"),
        },
    }
    if rule.remedy:
        descriptor["properties"]["remedy"] = rule.remedy
    return descriptor


def _what_it_does(documentation: str) -> str:
    """The text under the `## What it does` heading, joined into one paragraph."""
    lines: list[str] = []
    inside = False
    for line in documentation.splitlines():
        if line.startswith("## "):
            if inside:
                break
            inside = line[3:].strip().lower() == "what it does"
            continue
        if inside:
            lines.append(line.strip())
    return " ".join(line for line in lines if line).strip()


def _result(finding: Finding, index: dict[str, int], root: str, occurrences: dict[str, int]) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": index[finding.rule_id.upper()],
        "level": finding.severity,
        "message": {"text": finding.message},
        "locations": [_location(finding.position, root, finding.resource_id)],
        "partialFingerprints": {FINGERPRINT_KEY: _fingerprint(finding, root, occurrences)},
    }
    if finding.related:
        result["relatedLocations"] = [
            {"id": i, **_location(related.position, root), "message": {"text": related.message}}
            for i, related in enumerate(finding.related, start=1)
        ]
    if finding.fix is not None and finding.fix.edits:
        result["fixes"] = [
            {
                "description": {"text": finding.fix.title},
                "artifactChanges": [
                    {
                        "artifactLocation": _artifact(finding.position.file, root),
                        "replacements": [
                            {
                                "deletedRegion": {"charOffset": edit.start, "charLength": edit.end - edit.start},
                                "insertedContent": {"text": edit.content},
                            }
                            for edit in sorted(finding.fix.edits, key=lambda e: (e.start, e.end))
                        ],
                    }
                ],
                "properties": {"applicability": finding.fix.applicability},
            }
        ]
    properties: dict[str, Any] = {"jsonPath": list(finding.position.json_path)}
    if finding.remedy:
        properties["remedy"] = finding.remedy
    result["properties"] = properties
    return result


def _artifact(path: str, root: str) -> dict[str, Any]:
    relative = relative_path(path, root)
    if relative is None:  # outside the repository: an absolute URI, no base
        return {"uri": Path(os.path.abspath(path)).as_uri()}
    return {"uri": quote(relative, safe="/"), "uriBaseId": SRCROOT}


def _location(position: Position, root: str, resource_id: str | None = None) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": _artifact(position.file, root)}
    if position.line >= 1:  # a file that could not be read at all has no region
        region: dict[str, Any] = {"startLine": position.line, "startColumn": max(1, position.column)}
        if position.end_line >= position.line:
            region["endLine"] = position.end_line
            end_column = position.end_column if position.end_column >= 1 else region["startColumn"]
            if position.end_line > position.line or end_column >= region["startColumn"]:
                region["endColumn"] = end_column
        physical["region"] = region
    location: dict[str, Any] = {"physicalLocation": physical}
    if resource_id:
        location["logicalLocations"] = [{"fullyQualifiedName": resource_id, "kind": "resource"}]
    return location


def _fingerprint(finding: Finding, root: str, occurrences: dict[str, int]) -> str:
    """Rule, file, resource and JSON path (no line numbers), plus the occurrence of that key."""
    key = json.dumps(finding_key(finding, root), separators=(",", ":"))
    occurrence = occurrences.get(key, 0)
    occurrences[key] = occurrence + 1  # two findings with the same key stay two alerts
    return hashlib.sha256(f"{key}#{occurrence}".encode()).hexdigest()
