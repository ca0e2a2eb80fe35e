"""Shared helpers of the reporter tests: sample reports, synthetic findings, the SARIF schema."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from validator.discovery import find_templates, parameter_file_for
from validator.findings import Finding, Fix, Position, Related
from validator.lint import FileReport, LintRequest, lint_file

REPO = Path(__file__).resolve().parents[2]
SCHEMA_PATH = REPO / ".." / "shared" / "schemas" / "sarif-schema-2.1.0.json"
SAMPLES = REPO / "templates"


def sarif_schema() -> dict[str, Any]:
    with open(SCHEMA_PATH, encoding="utf-8") as handle:
        return json.load(handle)  # type: ignore[no-any-return]


def lint_samples(folder: Path) -> list[FileReport]:
    """Lint every template under `folder` as `arm-validator lint` does (parameter files found by name)."""
    return [lint_file(LintRequest(t, parameter_file_for(t))) for t in find_templates([str(folder)])]


def finding(
    file: Path | str,
    rule_id: str = "KV004",
    severity: str = "error",
    message: str = "the vault 'kv1' is deployed with `enablePurgeProtection: false`",
    line: int = 3,
    column: int = 5,
    end_line: int | None = None,
    end_column: int = 9,
    path: tuple[Any, ...] = ("resources", 0, "properties", "enablePurgeProtection"),
    remedy: str = "leave it out",
    resource_id: str | None = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1",
    related: tuple[Related, ...] = (),
    fix: Fix | None = None,
) -> Finding:
    """A hand-made finding, for reporter behaviour that the sample templates do not reach."""
    position = Position(str(file), line, column, line if end_line is None else end_line, end_column, path)
    return Finding(rule_id, severity, message, position, remedy, resource_id, related, fix)  # type: ignore[arg-type]


def git(repo: Path, *args: str) -> str:
    """Run git in `repo` with a fixed identity (the tests must not depend on the user's git config)."""
    done = subprocess.run(
        ["git", "-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "init.defaultBranch=main",
         "-c", "commit.gpgsign=false", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout
