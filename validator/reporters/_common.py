"""What the CI reporters share: the repository root, relative paths, rule metadata, secret-safe text.

Reporters for pull requests and pipelines publish their output (PR comments, code-scanning alerts,
build logs), so everything here errs on the side of showing less of a template, never more.
"""
from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..findings import SEVERITY_RANK, Finding
from ..keys import find_key
from ..lint import FileReport

SEVERITIES: tuple[str, ...] = ("error", "warning", "note")  # most severe first
_PARAMETERS_SCHEMA = re.compile(r'"\$schema"\s*:\s*"[^"]*deploymentParameters\.json', re.IGNORECASE)
_SECRET_KEY = re.compile(r"password|passwd|pwd|secret|accountkey|connectionstring|token|sas|privatekey|credential", re.IGNORECASE)
_SECURE_TYPES = ("securestring", "secureobject")


@lru_cache(maxsize=16)
def _git_toplevel(cwd: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"], cwd=cwd, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    top = done.stdout.strip()
    return os.path.realpath(top) if done.returncode == 0 and top else None


def repository_root(cwd: str | None = None) -> str:
    """The git top-level of `cwd` (default: the current directory), else `cwd` itself; a real path."""
    here = os.path.realpath(cwd or os.getcwd())
    return _git_toplevel(here) or here


def relative_path(path: str, root: str) -> str | None:
    """`path` relative to `root` with `/` separators, or None when it lies outside `root`."""
    absolute = os.path.realpath(os.path.abspath(path))
    try:
        relative = os.path.relpath(absolute, root)
    except ValueError:  # another drive on Windows
        return None
    if relative == os.pardir or relative.startswith(os.pardir + os.sep) or os.path.isabs(relative):
        return None
    return relative.replace(os.sep, "/")


def display_path(path: str, root: str) -> str:
    """The path to show people: relative to the repository root when inside it."""
    return relative_path(path, root) or path.replace(os.sep, "/")


@dataclass(frozen=True)
class RuleInfo:
    """The metadata a report shows for a rule id; policies unknown to the registry keep only the id."""

    id: str
    name: str
    severity: str
    summary: str
    remedy: str
    documentation: str
    group: str  # the rule's folder ("keyvault", "idempotency", ...), "reserved", or "policy"


def rule_info(rule_id: str, extra_rules: Sequence[Any] = ()) -> RuleInfo:
    """Metadata for `rule_id`: built-in and reserved rules, then `extra_rules` (policies), then the id alone."""
    from ..rules import rule_by_id

    wanted = rule_id.upper()
    rule: Any = rule_by_id(rule_id) or next((r for r in extra_rules if str(getattr(r, "id", "")).upper() == wanted), None)
    if rule is None:
        return RuleInfo(rule_id, rule_id, "warning", "", "", "", "policy")
    documentation = rule.documentation() if callable(getattr(rule, "documentation", None)) else ""
    module = getattr(rule, "__module__", "")
    parts = module.split(".")
    if parts[-1] == "reserved":
        group = "reserved"
    elif len(parts) >= 3 and parts[:2] == ["validator", "rules"]:
        group = parts[2]
    else:
        group = "policy"
    return RuleInfo(
        id=str(rule.id),
        name=str(getattr(rule, "name", "") or rule.id),
        severity=str(getattr(rule, "severity", "warning")),
        summary=str(getattr(rule, "summary", "")),
        remedy=str(getattr(rule, "remedy", "")),
        documentation=documentation,
        group=group,
    )


def all_findings(reports: Iterable[FileReport]) -> Iterator[Finding]:
    for report in reports:
        yield from report.findings


def severity_counts(reports: Sequence[FileReport]) -> dict[str, int]:
    counts = {severity: 0 for severity in SEVERITIES}
    for finding in all_findings(reports):
        counts[finding.severity] += 1
    return counts


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def by_severity(findings: Iterable[Finding]) -> list[Finding]:
    """Most severe first, then by file and position."""
    return sorted(findings, key=lambda f: (-SEVERITY_RANK[f.severity], *f.sort_key()))


def read_text(path: str) -> str | None:
    """A file's text as the loader sees it (UTF-8, BOM dropped): fix edit offsets index into it."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text.removeprefix("\ufeff")


def is_parameter_file(path: str, reports: Sequence[FileReport] = ()) -> bool:
    """Parameter files hold secrets in clear text: known from the reports, the name, or the `$schema`."""
    absolute = os.path.abspath(path)
    if any(r.parameters_file and os.path.abspath(r.parameters_file) == absolute for r in reports):
        return True
    if ".parameters" in os.path.basename(path).lower():
        return True
    text = read_text(path)
    return text is None or bool(_PARAMETERS_SCHEMA.search(text[: 1 << 16]))  # unreadable: assume the worst


def secret_literals(path: str) -> set[str]:
    """Literal values in a template that may be secrets: secure parameter defaults, and strings under
    password-, key- or token-like property names. Text that contains one of them is never shown."""
    from ..source import SourceError, load_document

    try:
        document = load_document(path)
    except (SourceError, OSError):
        return set()
    found: set[str] = set()
    _collect_secret_literals(document.value, found)
    return {value for value in found if value.strip()}


def _collect_secret_literals(value: Any, found: set[str]) -> None:
    if isinstance(value, dict):
        parameters = _get(value, "parameters")
        if isinstance(parameters, dict):  # a template's (or nested template's) parameter declarations
            for declaration in parameters.values():
                if isinstance(declaration, dict) and str(_get(declaration, "type") or "").lower() in _SECURE_TYPES:
                    found.update(_string_leaves(_get(declaration, "defaultValue")))
        for key, item in value.items():
            if _SECRET_KEY.search(key) and not isinstance(item, (dict, list)):
                found.update(_string_leaves(item))
            elif _SECRET_KEY.search(key) and isinstance(item, dict) and "value" in item:
                found.update(_string_leaves(item["value"]))
            _collect_secret_literals(item, found)
    elif isinstance(value, list):
        for item in value:
            _collect_secret_literals(item, found)


def _get(obj: dict[str, Any], key: str) -> Any:
    found = find_key(obj, key)
    return None if found is None else obj[found]


def _string_leaves(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        if not (value.startswith("[") and value.endswith("]") and not value.startswith("[[")):
            yield value  # expressions name parameters, they do not hold values
    elif isinstance(value, dict):
        for item in value.values():
            yield from _string_leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _string_leaves(item)
