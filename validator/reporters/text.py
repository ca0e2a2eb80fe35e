"""The text report, for people: `file:line:column: severity ID message`, the lines, what to do."""
from __future__ import annotations

import os
from functools import lru_cache
from typing import Sequence

from ..findings import Finding
from ..lint import FileReport
from ._common import is_parameter_file, secret_literals

CONTEXT_LINES = 1  # lines shown before the offending one


@lru_cache(maxsize=64)
def _lines(path: str) -> tuple[str, ...]:
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as handle:
            return tuple(handle.read().splitlines())
    except OSError:
        return ()


@lru_cache(maxsize=64)
def _secrets(path: str) -> frozenset[str]:
    return frozenset(secret_literals(path))


def _snippet(finding: Finding, reports: Sequence[FileReport]) -> list[str]:
    """The offending lines with a marker; never for parameter files or lines holding a secret literal."""
    if is_parameter_file(finding.position.file, reports):
        return []
    lines = _lines(finding.position.file)
    line = finding.position.line
    if not lines or not 1 <= line <= len(lines):
        return []
    width = len(str(line))
    out = []
    secrets = _secrets(finding.position.file)
    shown = range(max(1, line - CONTEXT_LINES), line + 1)
    if any(secret in lines[n - 1] for n in shown for secret in secrets):
        return []
    for number in shown:
        out.append(f"  {number:>{width}} | {lines[number - 1].rstrip()}")
    text = lines[line - 1]
    column = max(1, finding.position.column)
    end = finding.position.end_column if finding.position.end_line == line else len(text) + 1
    span = max(1, min(end, len(text) + 1) - column)
    out.append(f"  {' ' * width} | {' ' * (column - 1)}{'^' * span}")
    return out


def render(reports: Sequence[FileReport]) -> str:
    out: list[str] = []
    counts = {"error": 0, "warning": 0, "note": 0}
    for report in reports:
        for finding in report.findings:
            counts[finding.severity] += 1
            position = finding.position
            out.append(f"{_display(position.file)}:{position.line}:{position.column}: {finding.severity} {finding.rule_id} {finding.message}")
            if finding.rule_id != "AV000":
                out.extend(_snippet(finding, reports))
            for related in finding.related:
                out.append(f"  note: {related.message} ({_display(related.position.file)}:{related.position.line}:{related.position.column})")
            if finding.remedy:
                out.append(f"  = help: {finding.remedy}")
            if finding.fix is not None:
                out.append(f"  = fix available ({finding.fix.applicability}): {finding.fix.title}")
            out.append("")
    files = len(reports)
    total = sum(counts.values())
    summary = f"{files} template{'s' if files != 1 else ''} checked: "
    summary += "no findings" if total == 0 else ", ".join(f"{n} {k}{'s' if n != 1 else ''}" for k, n in counts.items() if n)
    suppressed = sum(r.suppressed for r in reports)
    if suppressed:
        summary += f" ({suppressed} suppressed)"
    out.append(summary)
    return "\n".join(out) + "\n"


def _display(path: str) -> str:
    relative = os.path.relpath(path) if os.path.isabs(path) else path
    return relative if not relative.startswith("..") else path
