"""Runs every rule's YAML case file (tests/rules/cases/<ID>.yml).

Format, one file per rule:

    rule: KV001
    cases:
      - name: vault redeployed on every run
        template: |            # the template text (comments allowed)
          {...}
        parameters: {keyVaultOption: existing}   # optional, as --param values
        mode: complete                            # optional deployment mode
        files: {linked.json: "{...}"}             # optional extra files beside the template
        findings:                                 # exactly the findings of this rule, in order
          - {line: 12, column: 7, severity: error, message: "kv-prod"}   # message: a substring
      - name: conditional vault
        template: ...
        findings: []
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from validator.config import Config
from validator.lint import LintRequest, lint_file
from validator.rules import ALL_RULES

CASES_DIR = Path(__file__).parent / "cases"


def _cases() -> list[tuple[str, dict]]:
    out = []
    for path in sorted(CASES_DIR.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for case in data["cases"]:
            out.append((data["rule"], case))
    return out


@pytest.mark.parametrize("rule_id, case", _cases(), ids=lambda v: v if isinstance(v, str) else v.get("name", "?"))
def test_rule_case(rule_id: str, case: dict, tmp_path: Path) -> None:
    template = tmp_path / case.get("file", "azuredeploy.json")
    template.write_text(case["template"], encoding="utf-8")
    for name, text in (case.get("files") or {}).items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    params = [f"{k}={v if isinstance(v, str) else __import__('json').dumps(v)}" for k, v in (case.get("parameters") or {}).items()]
    parameters_file = None
    if case.get("parameters_file"):
        parameters_file = str(tmp_path / "azuredeploy.parameters.json")
        Path(parameters_file).write_text(case["parameters_file"], encoding="utf-8")
    request = LintRequest(
        template=str(template),
        parameters_file=parameters_file,
        params=params,
        fill_missing=True,
        mode=case.get("mode", "incremental"),
        config=Config(select=[rule_id]),
    )
    findings = [f for f in lint_file(request).findings if f.rule_id == rule_id]
    expected = case.get("findings") or []
    got = [(f.position.line, f.position.column, f.severity, f.message) for f in findings]
    assert len(findings) == len(expected), f"expected {len(expected)} finding(s), got {got}"
    for finding, want in zip(findings, expected):
        assert (finding.position.line, finding.position.column) == (want["line"], want["column"]), got
        assert finding.severity == want.get("severity", finding.severity), got
        assert want.get("message", "") in finding.message, got


def test_every_rule_has_a_case_file_with_a_pass_and_a_fail() -> None:
    for rule in ALL_RULES:
        # Live rules keep their cases (with a `state:`) beside their own runner.
        folder = CASES_DIR.parent / "live" / "cases" if rule.needs_live_state else CASES_DIR
        path = folder / f"{rule.id}.yml"
        assert path.exists(), f"{rule.id} has no case file {path.name}"
        cases = yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]
        assert any(c.get("findings") for c in cases), f"{rule.id}: no failing case"
        assert any(not c.get("findings") for c in cases), f"{rule.id}: no passing case"
