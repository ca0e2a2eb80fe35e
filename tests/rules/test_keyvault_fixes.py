"""The Key Vault fixes (KV004 safe, KV005 unsafe): exact fixed text, still a template Azure reads,
and a second pass that finds nothing more to fix."""
from __future__ import annotations

from pathlib import Path

import pytest

from validator.config import Config
from validator.findings import Finding
from validator.lint import LintRequest, lint_file
from validator.source import parse_document

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def _vault(properties: str) -> str:
    return (
        "{\n"
        '  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",\n'
        '  "contentVersion": "1.0.0.0",\n'
        '  "resources": [\n'
        "    {\n"
        '      "type": "Microsoft.KeyVault/vaults",\n'
        '      "apiVersion": "2023-07-01",\n'
        '      "name": "kv-app",\n'
        '      "location": "westeurope",\n'
        f'      "properties": {properties}\n'
        "    }\n"
        "  ]\n"
        "}\n"
    )


def _lint(text: str, rule_id: str, tmp_path: Path) -> list[Finding]:
    path = tmp_path / "azuredeploy.json"
    path.write_text(text, encoding="utf-8")
    report = lint_file(LintRequest(template=str(path), fill_missing=True, config=Config(select=[rule_id])))
    return [f for f in report.findings if f.rule_id == rule_id]


def _apply(text: str, finding: Finding) -> str:
    assert finding.fix is not None
    for edit in sorted(finding.fix.edits, key=lambda e: e.start, reverse=True):
        text = text[: edit.start] + edit.content + text[edit.end :]
    return text


CASES = [
    pytest.param(
        '{\n        "tenantId": "[subscription().tenantId]",\n        "sku": { "family": "A", "name": "standard" },\n'
        '        // purge protection stays off\n        "enablePurgeProtection": false,\n'
        '        "enableRbacAuthorization": true\n      }',
        '{\n        "tenantId": "[subscription().tenantId]",\n        "sku": { "family": "A", "name": "standard" },\n'
        '        // purge protection stays off\n'
        '        "enableRbacAuthorization": true\n      }',
        id="a member alone on its line goes with its line",
    ),
    pytest.param(
        '{\n        "tenantId": "[subscription().tenantId]",\n        "enableRbacAuthorization": true,\n'
        '        "enablePurgeProtection": false\n      }',
        '{\n        "tenantId": "[subscription().tenantId]",\n        "enableRbacAuthorization": true\n      }',
        id="the last member takes the comma before it",
    ),
    pytest.param(
        '{ "tenantId": "[subscription().tenantId]", "enablePurgeProtection": false, "enableRbacAuthorization": true }',
        '{ "tenantId": "[subscription().tenantId]", "enableRbacAuthorization": true }',
        id="on one line",
    ),
    pytest.param(
        '{ "enableRbacAuthorization": true, "enablePurgeProtection": false, /* kept */ }',
        '{ "enableRbacAuthorization": true /* kept */ }',
        id="a trailing comma goes too, comments stay",
    ),
    pytest.param(
        '{\n        "enableRbacAuthorization": true,\n        // off\n        "enablePurgeProtection": false\n      }',
        '{\n        "enableRbacAuthorization": true\n        // off\n      }',
        id="a comment between the last member and its comma stays",
    ),
    pytest.param(
        '{ "enablePurgeProtection": false }',
        "{  }",
        id="the only member",
    ),
]


@pytest.mark.parametrize("properties, fixed", CASES)
def test_purge_protection_fix(properties: str, fixed: str, tmp_path: Path) -> None:
    text = _vault(properties)
    (finding,) = _lint(text, "KV004", tmp_path)
    assert finding.fix is not None and finding.fix.applicability == "safe"
    result = _apply(text, finding)
    assert result == _vault(fixed)
    parse_document(result)  # still a template Azure reads
    assert _lint(result, "KV004", tmp_path) == []


def test_purge_protection_from_a_parameter_has_no_fix(tmp_path: Path) -> None:
    text = _vault('{ "enableRbacAuthorization": true, "enablePurgeProtection": "[bool(\'false\')]" }')
    (finding,) = _lint(text, "KV004", tmp_path)
    assert finding.fix is None


def test_soft_delete_fix_is_unsafe(tmp_path: Path) -> None:
    text = _vault('{ "enableRbacAuthorization": true, "enableSoftDelete": false }')
    (finding,) = _lint(text, "KV005", tmp_path)
    assert finding.fix is not None and finding.fix.applicability == "unsafe"
    assert _apply(text, finding) == _vault('{ "enableRbacAuthorization": true }')


def test_fixes_on_the_pitfalls_sample_keep_its_comments(tmp_path: Path) -> None:
    text = (TEMPLATES / "keyvault-pitfalls" / "azuredeploy.json").read_text(encoding="utf-8")
    for rule_id, gone in (("KV004", '"enablePurgeProtection": false,\n'), ("KV005", '"enableSoftDelete": false,\n')):
        (finding,) = _lint(text, rule_id, tmp_path)
        fixed = _apply(text, finding)
        assert gone in text and gone not in fixed
        assert len(text) - len(fixed) == len(text.splitlines(keepends=True)[finding.position.line - 1])
        parse_document(fixed)
        assert _lint(fixed, rule_id, tmp_path) == []
        text = fixed
