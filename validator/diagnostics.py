"""Diagnostics: what loading and expanding a template has to say about it (not rule findings)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning", "note"]


@dataclass(frozen=True)
class Diagnostic:
    """A problem found while reading or expanding a template, located in its source file."""

    severity: Severity
    code: str  # a stable short name of the cause, e.g. "InvalidParameter", "ExpressionError"
    message: str
    file: str
    line: int = 0
    column: int = 0
    json_path: tuple[str | int, ...] = field(default=())

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.severity}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": list(self.json_path),
        }
