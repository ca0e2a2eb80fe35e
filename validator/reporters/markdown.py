"""The markdown report: one pull-request comment that a bot finds by its hidden marker and updates.

It shows file:line, rule, message and remedy per finding, with details and the proposed fix (a
unified diff) folded away. Template lines appear only inside fix diffs, never for parameter
files, and never when a line of the diff holds a secret literal of the template.
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from ..findings import Finding, Fix
from ..lint import FileReport
from ._common import (
    SEVERITIES,
    all_findings,
    by_severity,
    display_path,
    is_parameter_file,
    plural,
    read_text,
    repository_root,
    rule_info,
    secret_literals,
    severity_counts,
)

MARKER = "<!-- arm-validator -->"
MAX_CHARS = 60_000  # GitHub rejects comments over 65,536 characters; keep room for the footer
DIFF_CONTEXT = 2  # unchanged lines shown around a fix
_HEADINGS = {"error": ":x: Errors", "warning": ":warning: Warnings", "note": ":information_source: Notes"}
_CODE_SPAN = re.compile(r"(`+)(.*?)\1", re.DOTALL)


def render(reports: Sequence[FileReport], *, root: str | None = None) -> str:
    """The comment body for `reports`; `root` is the repository root that paths are relative to."""
    root = root or repository_root()
    counts = severity_counts(reports)
    out = [MARKER, "### arm-validator", "", _summary(reports, counts), ""]
    footer: list[str] = []
    used = _size(out)
    shown = 0
    total = sum(counts.values())
    for severity in SEVERITIES:
        findings = by_severity(f for f in all_findings(reports) if f.severity == severity)
        if not findings:
            continue
        heading = [f"#### {_HEADINGS[severity]} ({len(findings)})", ""]
        section: list[str] = []
        for finding in findings:
            block = _finding_block(finding, reports, root)
            cost = _size(block) + (0 if section else _size(heading))
            if used + cost > MAX_CHARS:  # a truncated comment still says how much it left out
                footer = ["", f"_… and {plural(total - shown, 'more finding')}: see the workflow's annotations or the SARIF report._"]
                break
            section.extend(block if section else heading + block)
            used += cost
            shown += 1
        out.extend(section)
        if footer:
            break
    out.extend(footer)
    return "\n".join(out).rstrip("\n") + "\n"


def _size(lines: list[str]) -> int:
    return sum(len(line) + 1 for line in lines)


def _summary(reports: Sequence[FileReport], counts: dict[str, int]) -> str:
    checked = plural(len(reports), "template") + " checked"
    suppressed = sum(r.suppressed for r in reports)
    tail = f" ({suppressed} suppressed)" if suppressed else ""
    if not any(counts.values()):
        return f":white_check_mark: **No findings** — {checked}{tail}."
    found = ", ".join(plural(counts[s], s) for s in SEVERITIES)
    return f"**{found}** — {checked}{tail}."


def _finding_block(finding: Finding, reports: Sequence[FileReport], root: str) -> list[str]:
    position = finding.position
    where = display_path(position.file, root) + (f":{position.line}" if position.line >= 1 else "")
    info = rule_info(finding.rule_id)
    lines = [f"- `{where}` **{finding.rule_id}** {_inline(finding.message)}"]
    if finding.remedy:
        lines.append(f"  <br>↳ {_inline(finding.remedy)}")
    details: list[str] = []
    if info.name != info.id:
        details.append(f"  - Rule: `{info.id}` {info.name}" + (f" — {_inline(info.summary)}" if info.summary else ""))
    if position.line >= 1:
        details.append(f"  - Location: line {position.line}, column {position.column} to line {position.end_line}, column {position.end_column}")
    if position.json_path:
        details.append(f"  - JSON path: `{_json_path(position.json_path)}`")
    if finding.resource_id:
        details.append(f"  - Resource: `{_code(finding.resource_id)}`")
    for related in finding.related:
        details.append(f"  - Related: `{display_path(related.position.file, root)}:{related.position.line}` {_inline(related.message)}")
    if finding.fix is not None:
        details.append(f"  - Fix ({finding.fix.applicability}): {_inline(finding.fix.title)}")
        diff = _fix_diff(finding, finding.fix, reports, root)
        if diff:
            fence = "`" * max(3, _longest_backtick_run(diff) + 1)
            details.extend(["", f"  {fence}diff", *(f"  {line}" for line in diff.splitlines()), f"  {fence}"])
    if details:
        lines.extend(["  <details><summary>Details</summary>", "", *details, "", "  </details>"])
    lines.append("")
    return lines


def _fix_diff(finding: Finding, fix: Fix, reports: Sequence[FileReport], root: str) -> str:
    """The unified diff of applying `fix` to its file, or "" when it could show a secret."""
    path = finding.position.file
    if is_parameter_file(path, reports):
        return ""  # parameter files hold secret values in clear text
    before = read_text(path)
    if before is None:
        return ""
    after = before
    for edit in sorted(fix.edits, key=lambda e: e.start, reverse=True):  # from the end: offsets stay valid
        if not 0 <= edit.start <= edit.end <= len(before):
            return ""
        after = after[: edit.start] + edit.content + after[edit.end :]
    name = display_path(path, root)
    diff = "".join(
        line if line.endswith("\n") else line + "\n"
        for line in difflib.unified_diff(
            before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{name}", f"b/{name}", n=DIFF_CONTEXT
        )
    )
    secrets = secret_literals(path)
    if any(secret in diff for secret in secrets):
        return ""  # a line around the fix holds a secret literal: show the title only
    return diff


def _inline(text: str) -> str:
    """Keep code spans as they are; escape HTML elsewhere (and line breaks) so text cannot break the comment."""
    pieces: list[str] = []
    last = 0
    for match in _CODE_SPAN.finditer(text):
        pieces.append(_escape(text[last : match.start()]))
        pieces.append(match.group(0).replace("\n", " "))
        last = match.end()
    pieces.append(_escape(text[last:]))
    return "".join(pieces)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", " ").replace("\n", " ")


def _code(text: str) -> str:
    return text.replace("`", "'").replace("\n", " ")


def _json_path(path: tuple[object, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return _code(out)


def _longest_backtick_run(text: str) -> int:
    return max((len(run) for run in re.findall(r"`+", text)), default=0)
