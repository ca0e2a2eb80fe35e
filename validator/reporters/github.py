"""GitHub Actions workflow commands: one `::error`/`::warning`/`::notice` per finding, shown inline
on the pull request's diff. With `GITHUB_STEP_SUMMARY` set, the markdown report is appended to the
job summary too.
"""
from __future__ import annotations

import os
from collections.abc import Sequence

from ..findings import Finding
from ..lint import FileReport
from . import markdown
from ._common import all_findings, display_path, repository_root, rule_info

_COMMANDS = {"error": "error", "warning": "warning", "note": "notice"}


def render(reports: Sequence[FileReport], *, root: str | None = None) -> str:
    """The workflow commands for `reports`; appends the markdown report to the job summary when there is one."""
    root = root or repository_root()
    text = "".join(command(f, root) + "\n" for f in all_findings(reports))
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as handle:  # append: other steps write there too
            handle.write(markdown.render(reports, root=root))
    return text


def command(finding: Finding, root: str) -> str:
    """`::error file=...,line=...,col=...,endLine=...,endColumn=...,title=...::message (remedy)`."""
    position = finding.position
    properties: list[tuple[str, str]] = [("file", display_path(position.file, root))]
    if position.line >= 1:
        properties.append(("line", str(position.line)))
        # GitHub accepts columns only for a range within one line.
        single_line = position.end_line in (0, position.line)
        if single_line and position.column >= 1:
            properties.append(("col", str(position.column)))
        if position.end_line >= position.line:
            properties.append(("endLine", str(position.end_line)))
        if single_line and position.end_column > position.column >= 1:
            properties.append(("endColumn", str(position.end_column)))
    info = rule_info(finding.rule_id)
    title = finding.rule_id if info.name == info.id else f"{finding.rule_id} {info.name}"
    properties.append(("title", title))
    message = finding.message + (f" ({finding.remedy})" if finding.remedy else "")
    rendered = ",".join(f"{key}={escape_property(value)}" for key, value in properties)
    return f"::{_COMMANDS[finding.severity]} {rendered}::{escape_data(message)}"


def escape_data(text: str) -> str:
    """Escape a workflow command's message, as @actions/core does."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command's property value: also `:` and `,`, which delimit properties."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
