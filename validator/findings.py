"""The shared data model of what arm-validator reports: findings, and fixes as text edits."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning", "note"]
SEVERITY_RANK: dict[str, int] = {"note": 1, "warning": 2, "error": 3}
Applicability = Literal["safe", "unsafe", "display-only"]


@dataclass(frozen=True)
class Edit:
    """Replace the text between two offsets of the original file (end exclusive) with `content`."""

    start: int
    end: int
    content: str


@dataclass(frozen=True)
class Fix:
    """A change that resolves a finding: a title in the imperative, and its edits."""

    title: str
    edits: tuple[Edit, ...]
    applicability: Applicability = "safe"


@dataclass(frozen=True)
class Position:
    """A place in a file: 1-based line and column, end inclusive of the value's last character + 1."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int
    json_path: tuple[Any, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "endLine": self.end_line,
            "endColumn": self.end_column,
            "path": list(self.json_path),
        }


@dataclass(frozen=True)
class Related:
    """Another place that explains a finding (the workspace that links the vault, ...)."""

    message: str
    position: Position


@dataclass(frozen=True)
class Finding:
    """One problem a rule found, located in source."""

    rule_id: str
    severity: Severity
    message: str
    position: Position
    remedy: str = ""  # one line: what to do
    resource_id: str | None = None
    related: tuple[Related, ...] = field(default=())
    fix: Fix | None = None

    def sort_key(self) -> tuple[Any, ...]:
        return (self.position.file, self.position.line, self.position.column, self.rule_id, self.message)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ruleId": self.rule_id,
            "severity": self.severity,
            "message": self.message,
            "remedy": self.remedy,
            "location": self.position.to_json(),
            "resourceId": self.resource_id,
            "related": [{"message": r.message, "location": r.position.to_json()} for r in self.related],
        }
        if self.fix is not None:
            out["fix"] = {
                "title": self.fix.title,
                "applicability": self.fix.applicability,
                "edits": [{"start": e.start, "end": e.end, "content": e.content} for e in self.fix.edits],
            }
        return out
