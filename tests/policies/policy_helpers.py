"""Helpers for the policy tests (imported as `policy_helpers`): write a policy and a template, lint,
return the policy's findings."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from validator.config import Config
from validator.findings import Finding
from validator.lint import LintRequest, lint_file
from validator.policies import load_policies

REPO = Path(__file__).resolve().parents[2]


def template_text(*resources: dict[str, Any], parameters: dict[str, Any] | None = None) -> str:
    """A template with the given resources, one JSON value per line (so line numbers are stable)."""
    return json.dumps(
        {
            "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
            "contentVersion": "1.0.0.0",
            "parameters": parameters or {},
            "resources": list(resources),
        },
        indent=2,
    )


LintPolicy = Callable[..., list[Finding]]


def make_lint_policy(tmp_path: Path) -> LintPolicy:
    """lint_policy(policy, template, params=...) -> the policy's findings, in source order.

    `policy` is one policy's YAML text (without the `policies:` list around it) or a dict of its
    keys; id, name, severity, summary and remedy get defaults.
    """

    def run(policy: str | dict[str, Any], template: str, params: dict[str, Any] | None = None) -> list[Finding]:
        data = yaml.safe_load(textwrap.dedent(policy)) if isinstance(policy, str) else dict(policy)
        defaults = {
            "id": "T-001",
            "name": "test-policy",
            "severity": "warning",
            "summary": "a test",
            "remedy": "fix it",
        }
        definition = {**defaults, **data}
        policy_file = tmp_path / "policy.yaml"
        policy_file.write_text(yaml.safe_dump({"policies": [definition]}, sort_keys=False), encoding="utf-8")
        template_file = tmp_path / "azuredeploy.json"
        template_file.write_text(template, encoding="utf-8")
        request = LintRequest(
            template=str(template_file),
            params=[f"{k}={v if isinstance(v, str) else json.dumps(v)}" for k, v in (params or {}).items()],
            fill_missing=True,
            config=Config(select=[definition["id"]]),
            extra_rules=tuple(load_policies([str(policy_file)])),
        )
        return lint_file(request).findings

    return run


def where(findings: list[Finding]) -> list[tuple[int, int]]:
    return [(f.position.line, f.position.column) for f in findings]
