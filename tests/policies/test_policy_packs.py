"""The shipped packs in policies/: valid, documented, and right about the sample templates."""

from __future__ import annotations

import re
from pathlib import Path

import jsonschema
import pytest
from policy_helpers import REPO, LintPolicy, where

from validator.config import Config
from validator.lint import LintRequest, lint_file, lint_many
from validator.policies import PolicyRule, load_policies, policy_schema
from validator.policies.loader import read_policy_file
from validator.rules.base import DOC_SECTIONS

PACKS = REPO / "policies"
TEMPLATES = REPO / "templates"
PACK_FILES = sorted(p for p in PACKS.iterdir() if p.suffix in (".yaml", ".yml", ".json"))


@pytest.mark.parametrize("pack", PACK_FILES, ids=lambda p: p.name)
def test_pack_is_valid_against_the_schema(pack: Path) -> None:
    data, _ = read_policy_file(str(pack))
    jsonschema.Draft202012Validator(policy_schema()).validate(data)


def test_packs_load_with_the_documented_ids() -> None:
    rules = load_policies([str(PACKS)])
    assert [r.id for r in rules] == [
        "POL-CR-001",
        "POL-KV-001",
        "POL-KV-002",
        "POL-KV-003",
        "POL-KV-004",
        "POL-ST-001",
        "POL-ST-002",
        "POL-ST-003",
    ]
    readme = (PACKS / "README.md").read_text(encoding="utf-8")
    for rule in rules:
        assert f"| {rule.id} | {rule.name} | {rule.severity} |" in readme, rule.id


@pytest.mark.parametrize("rule", load_policies([str(PACKS)]), ids=lambda r: r.id)
def test_pack_policies_are_documented_like_rules(rule: PolicyRule) -> None:
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name)
    assert rule.summary[0].islower() and not rule.summary.endswith(".")
    doc = rule.documentation()
    assert re.findall(r"^## (.+)$", doc, re.MULTILINE) == list(DOC_SECTIONS)
    assert rule.policy.source.startswith(str(PACKS)) and f"A policy from `{rule.policy.source}`" in doc
    assert "- https://learn.microsoft.com/" in doc


def pack_findings(pack: str, template: str, parameters: str | None = None) -> list[tuple[str, int, int, str]]:
    request = LintRequest(
        template=str(TEMPLATES / template),
        parameters_file=str(TEMPLATES / parameters) if parameters else None,
        fill_missing=True,
        config=Config(select=["POL"]),
        extra_rules=tuple(load_policies([str(PACKS / pack)])),
    )
    return [(f.rule_id, f.position.line, f.position.column, f.message) for f in lint_file(request).findings]


def test_keyvault_pack_on_the_risky_sample() -> None:
    findings = pack_findings(
        "keyvault.yaml", "ml-workspace-risky/azuredeploy.json", "ml-workspace-risky/azuredeploy.parameters.json"
    )
    assert [f[:3] for f in findings] == [("POL-KV-002", 67, 21), ("POL-KV-003", 67, 21)]
    assert findings[0][3] == (
        "Microsoft.KeyVault/vaults 'kv-mlw-prod-001': `properties.enablePurgeProtection` is not set; "
        "the policy requires it to equal true"
    )
    assert "`properties.enableRbacAuthorization` is not set" in findings[1][3]


def test_keyvault_pack_on_the_pitfalls_sample() -> None:
    findings = pack_findings("keyvault.yaml", "keyvault-pitfalls/azuredeploy.json")
    assert [f[:3] for f in findings] == [("POL-KV-003", 33, 21), ("POL-KV-002", 42, 34), ("POL-KV-001", 44, 29)]
    assert "`properties.enablePurgeProtection` is false; the policy requires it to equal true" in findings[1][3]
    assert "`properties.enableSoftDelete` is false; the policy requires it not to equal false" in findings[2][3]


def test_keyvault_pack_on_the_nested_and_v2_samples() -> None:
    nested = pack_findings(
        "keyvault.yaml", "nested-deployment/azuredeploy.json", "nested-deployment/azuredeploy.parameters.json"
    )
    assert [f[:3] for f in nested] == [("POL-KV-002", 97, 29), ("POL-KV-003", 97, 29)]
    assert "'kv-forecast-prod-001'" in nested[0][3]
    v2 = pack_findings("keyvault.yaml", "ml-workspace-v2/main.json", "ml-workspace-v2/main.parameters.json")
    assert [f[:3] for f in v2] == [("POL-KV-002", 142, 21), ("POL-KV-003", 142, 21)]


def test_keyvault_pack_is_silent_when_the_safe_sample_does_not_deploy_the_vault() -> None:
    assert (
        pack_findings(
            "keyvault.yaml", "ml-workspace-safe/azuredeploy.json", "ml-workspace-safe/azuredeploy.parameters.json"
        )
        == []
    )


def test_container_registry_pack_on_the_samples() -> None:
    findings = pack_findings(
        "containerregistry.yaml",
        "ml-workspace-risky/azuredeploy.json",
        "ml-workspace-risky/azuredeploy.parameters.json",
    )
    assert findings == [
        (
            "POL-CR-001",
            113,
            29,
            (
                "Microsoft.ContainerRegistry/registries 'crmlwprod001': `properties.adminUserEnabled` is true; "
                "the policy requires it not to equal true"
            ),
        )
    ]
    # the safe sample uses an existing registry: nothing is deployed, nothing is checked
    assert (
        pack_findings(
            "containerregistry.yaml",
            "ml-workspace-safe/azuredeploy.json",
            "ml-workspace-safe/azuredeploy.parameters.json",
        )
        == []
    )


@pytest.mark.parametrize(
    "template, parameters",
    [
        ("ml-workspace-risky/azuredeploy.json", "ml-workspace-risky/azuredeploy.parameters.json"),
        ("ml-workspace-safe/azuredeploy.json", None),
        ("ml-workspace-v2/main.json", "ml-workspace-v2/main.parameters.json"),
        ("nested-deployment/azuredeploy.json", "nested-deployment/azuredeploy.parameters.json"),
    ],
)
def test_storage_pack_is_silent_on_the_samples_compliant_accounts(template: str, parameters: str | None) -> None:
    assert pack_findings("storage.yaml", template, parameters) == []


RISKY_STORAGE = """\
{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "resources": [
    {
      "type": "Microsoft.Storage/storageAccounts",
      "apiVersion": "2018-11-01",
      "name": "stlegacy001",
      "location": "westeurope",
      "kind": "StorageV2",
      "properties": {
        "minimumTlsVersion": "TLS1_0",
        "allowBlobPublicAccess": true
      }
    },
    {
      "type": "Microsoft.Storage/storageAccounts",
      "apiVersion": "2023-05-01",
      "name": "stmodern001",
      "location": "westeurope",
      "kind": "StorageV2",
      "properties": {}
    },
    {
      "type": "Microsoft.Storage/storageAccounts",
      "apiVersion": "2023-05-01",
      "name": "stnfs001",
      "location": "westeurope",
      "kind": "StorageV2",
      "properties": {
        "isNfsV3Enabled": true,
        "isHnsEnabled": true,
        "supportsHttpsTrafficOnly": false,
        "minimumTlsVersion": "TLS1_2",
        "allowBlobPublicAccess": false
      }
    }
  ]
}
"""


def test_storage_pack_on_risky_accounts(tmp_path: Path) -> None:
    template = tmp_path / "azuredeploy.json"
    template.write_text(RISKY_STORAGE, encoding="utf-8")
    request = LintRequest(
        template=str(template),
        config=Config(select=["POL"]),
        extra_rules=tuple(load_policies([str(PACKS / "storage.yaml")])),
    )
    findings = [(f.rule_id, f.position.line, f.position.column) for f in lint_file(request).findings]
    assert findings == [
        # legacy api-version: HTTPS is not the default, TLS 1.0 accepted, public access allowed
        ("POL-ST-001", 11, 21),
        ("POL-ST-002", 12, 30),
        ("POL-ST-003", 13, 34),
        # modern api-version: HTTPS is the default; TLS and public access must be stated
        ("POL-ST-002", 22, 21),
        ("POL-ST-003", 22, 21),
        # the NFS v3 account must have secure transfer off: not reported
    ]


def test_keyvault_purge_permission_policy(lint_policy: LintPolicy) -> None:
    [policy] = [r for r in load_policies([str(PACKS / "keyvault.yaml")]) if r.id == "POL-KV-004"]
    vault = """\
{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "resources": [
    {
      "type": "Microsoft.KeyVault/vaults",
      "apiVersion": "2023-07-01",
      "name": "kv-ops",
      "location": "westeurope",
      "properties": {
        "tenantId": "3f8a2b61-5c4d-4e7f-9a0b-1c2d3e4f5a6b",
        "sku": { "family": "A", "name": "standard" },
        "accessPolicies": [
          { "tenantId": "3f8a2b61-5c4d-4e7f-9a0b-1c2d3e4f5a6b", "objectId": "9d6e5f4a-3b2c-4d1e-8f7a-6b5c4d3e2f1a",
            "permissions": { "secrets": ["get", "list"], "keys": ["get", "PURGE"], "certificates": ["All"] } }
        ]
      }
    }
  ]
}
"""
    findings = lint_policy(policy.policy.definition, vault)
    # the allOf reports its first failing part: the keys, at the failing element
    assert where(findings) == [(15, 74)]
    assert "`properties.accessPolicies[0].permissions.keys[1]` is 'PURGE'" in findings[0].message


def test_the_engine_runs_policies_with_the_built_in_rules(tmp_path: Path) -> None:
    policies = tuple(load_policies([str(PACKS)]))
    template = str(TEMPLATES / "ml-workspace-risky" / "azuredeploy.json")
    parameters = str(TEMPLATES / "ml-workspace-risky" / "azuredeploy.parameters.json")
    report = lint_file(LintRequest(template=template, parameters_file=parameters, extra_rules=policies))
    ids = [f.rule_id for f in report.findings]
    assert {"POL-KV-002", "POL-KV-003", "POL-CR-001"} <= set(ids)
    [purge] = [f for f in report.findings if f.rule_id == "POL-KV-002"]
    assert purge.severity == "warning"
    assert purge.remedy.startswith("set properties.enablePurgeProtection to true")
    assert purge.resource_id is not None and purge.resource_id.endswith(
        "/providers/Microsoft.KeyVault/vaults/kv-mlw-prod-001"
    )
    # selection, severity overrides and worker processes (policies are pickled) work as for rules
    config = Config(ignore=["POL-KV-003"], severity={"POL-KV-002": "error"})
    requests = [
        LintRequest(template=template, parameters_file=parameters, extra_rules=policies, config=config),
        LintRequest(
            template=str(TEMPLATES / "keyvault-pitfalls" / "azuredeploy.json"), extra_rules=policies, config=config
        ),
    ]
    in_workers = lint_many(requests, jobs=2)
    in_process = lint_many(requests, jobs=1)
    assert [r.findings for r in in_workers] == [r.findings for r in in_process]
    risky = [(f.rule_id, f.severity) for f in in_workers[0].findings if f.rule_id.startswith("POL")]
    assert risky == [("POL-KV-002", "error"), ("POL-CR-001", "warning")]


def test_inline_suppression_applies_to_policies(tmp_path: Path) -> None:
    text = (TEMPLATES / "keyvault-pitfalls" / "azuredeploy.json").read_text(encoding="utf-8")
    text = text.replace(
        '"type": "Microsoft.KeyVault/vaults",',
        '"type": "Microsoft.KeyVault/vaults",\n'
        '      "metadata": { "arm-validator": { "ignore": ["POL-KV-003"], "reason": "RBAC migration planned" } },',
    )
    template = tmp_path / "azuredeploy.json"
    template.write_text(text, encoding="utf-8")
    request = LintRequest(
        template=str(template),
        config=Config(select=["POL"]),
        extra_rules=tuple(load_policies([str(PACKS / "keyvault.yaml")])),
    )
    report = lint_file(request)
    assert [f.rule_id for f in report.findings] == ["POL-KV-002", "POL-KV-001"]
    assert report.suppressed == 1
