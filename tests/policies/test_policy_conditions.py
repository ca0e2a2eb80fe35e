"""Wildcards, where / allOf / anyOf / not, and what stays silent (Unknown values, resources not deployed)."""

from __future__ import annotations

from typing import Any

import pytest
from policy_helpers import LintPolicy, where

from validator.policies.conditions import compile_condition, evaluate

VAULT = """\
{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "resources": [
    {
      "type": "Microsoft.KeyVault/vaults",
      "apiVersion": "2023-07-01",
      "name": "kv-contoso-prod",
      "location": "westeurope",
      "tags": { "env": "prod", "owner": "" },
      "properties": {
        "tenantId": "3f8a2b61-5c4d-4e7f-9a0b-1c2d3e4f5a6b",
        "sku": { "family": "A", "name": "standard" },
        "accessPolicies": [
          {
            "tenantId": "3f8a2b61-5c4d-4e7f-9a0b-1c2d3e4f5a6b",
            "objectId": "9d6e5f4a-3b2c-4d1e-8f7a-6b5c4d3e2f1a",
            "permissions": { "secrets": ["get", "list"], "keys": [] }
          },
          {
            "tenantId": "3f8a2b61-5c4d-4e7f-9a0b-1c2d3e4f5a6b",
            "objectId": "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e",
            "permissions": { "secrets": ["get", "Purge", "all"] }
          }
        ],
        "networkAcls": { "ipRules": [] }
      }
    }
  ]
}
"""
VAULT_TYPE = "Microsoft.KeyVault/vaults"


def findings_of(lint_policy: LintPolicy, evaluation: dict[str, Any], **extra: Any) -> list[tuple[int, int]]:
    return where(lint_policy({"resourceType": VAULT_TYPE, "evaluation": evaluation, **extra}, VAULT))


# --- wildcards -----------------------------------------------------------------------------------


def test_wildcard_reports_each_failing_element_at_the_element(lint_policy: LintPolicy) -> None:
    evaluation = {"path": "properties.accessPolicies[*].permissions.secrets[*]", "regex": "^(?!(purge|all)$)"}
    policy = {"resourceType": VAULT_TYPE, "evaluation": evaluation}
    findings = lint_policy(policy, VAULT)
    assert where(findings) == [(23, 49), (23, 58)]
    assert "`properties.accessPolicies[1].permissions.secrets[1]` is 'Purge'" in findings[0].message
    assert "`properties.accessPolicies[1].permissions.secrets[2]` is 'all'" in findings[1].message


def test_wildcard_holds_when_every_element_holds(lint_policy: LintPolicy) -> None:
    assert (
        findings_of(
            lint_policy,
            {"path": "properties.accessPolicies[*].tenantId", "equals": "3F8A2B61-5C4D-4E7F-9A0B-1C2D3E4F5A6B"},
        )
        == []
    )


def test_wildcard_element_missing_a_property_fails_at_the_element(lint_policy: LintPolicy) -> None:
    # the second policy has no `keys`: it is reported at its `permissions`
    assert findings_of(lint_policy, {"path": "properties.accessPolicies[*].permissions.keys", "exists": True}) == [
        (23, 28)
    ]


def test_wildcard_over_an_empty_or_missing_array_holds(lint_policy: LintPolicy) -> None:
    assert findings_of(lint_policy, {"path": "properties.networkAcls.ipRules[*].value", "equals": "10.0.0.0/8"}) == []
    assert findings_of(lint_policy, {"path": "properties.accessPolicies[*].permissions.keys[*]", "equals": "get"}) == []
    assert findings_of(lint_policy, {"path": "properties.virtualNetworkRules[*].id", "exists": True}) == []


def test_not_around_a_wildcard_fails_on_an_empty_array(lint_policy: LintPolicy) -> None:
    findings = lint_policy(
        {
            "resourceType": VAULT_TYPE,
            "evaluation": {"not": {"path": "properties.networkAcls.ipRules[*]", "exists": True}},
        },
        VAULT,
    )
    assert where(findings) == [(26, 37)]
    assert (
        "`properties.networkAcls.ipRules` is empty or not set; the policy requires at least one element not to be set"
        in findings[0].message
    )


def test_index_steps(lint_policy: LintPolicy) -> None:
    assert findings_of(
        lint_policy, {"path": "properties.accessPolicies[1].permissions.secrets[0]", "equals": "list"}
    ) == [(23, 42)]
    # past the end: missing, reported at the deepest node that exists (the array)
    assert findings_of(lint_policy, {"path": "properties.accessPolicies[5].objectId", "exists": True}) == [(14, 27)]


def test_property_wildcard_goes_over_every_property(lint_policy: LintPolicy) -> None:
    findings = lint_policy({"resourceType": VAULT_TYPE, "evaluation": {"path": "tags.*", "hasValue": True}}, VAULT)
    assert where(findings) == [(10, 41)]
    assert "`tags.owner` is ''" in findings[0].message


def test_wildcard_semantics_on_values() -> None:
    view = {"xs": [{"v": 1}, {"v": 2}], "empty": [], "text": "abc"}

    def holds(condition: dict[str, Any]) -> bool | None:
        return evaluate(compile_condition(condition, ()), view).holds

    assert holds({"path": "xs[*].v", "greater": 0}) is True
    assert holds({"path": "xs[*].v", "greater": 1}) is False
    assert holds({"path": "empty[*].v", "greater": 100}) is True
    assert holds({"path": "text[*]", "equals": "x"}) is True  # not an array: nothing to go over
    assert holds({"not": {"path": "xs[*].v", "equals": 1}}) is True  # not every element equals 1
    assert holds({"path": "xs[*].v", "notEquals": 3}) is True  # no element equals 3


# --- where, allOf, anyOf, not --------------------------------------------------------------------


def test_where_selects_the_resources_checked(lint_policy: LintPolicy) -> None:
    evaluation = {"path": "properties.enablePurgeProtection", "equals": True}
    assert findings_of(lint_policy, evaluation, where={"path": "tags.env", "equals": "PROD"}) == [(11, 21)]
    assert findings_of(lint_policy, evaluation, where={"path": "tags.env", "equals": "dev"}) == []
    assert findings_of(lint_policy, evaluation, where={"not": {"path": "location", "regex": "europe$"}}) == []


def test_all_of_reports_the_first_failing_part(lint_policy: LintPolicy) -> None:
    evaluation = {
        "allOf": [
            {"path": "location", "equals": "westeurope"},
            {"path": "properties.sku.name", "equals": "premium"},
            {"path": "properties.enableRbacAuthorization", "equals": True},
        ]
    }
    findings = lint_policy({"resourceType": VAULT_TYPE, "evaluation": evaluation}, VAULT)
    assert where(findings) == [(13, 41)]
    assert "`properties.sku.name` is 'standard'; the policy requires it to equal 'premium'" in findings[0].message
    assert (
        findings_of(
            lint_policy, {"allOf": [{"path": "location", "equals": "westeurope"}, {"path": "name", "regex": "^kv-"}]}
        )
        == []
    )


def test_any_of_holds_when_one_part_holds_and_reports_the_first_otherwise(lint_policy: LintPolicy) -> None:
    ok = {
        "anyOf": [
            {"path": "properties.enableRbacAuthorization", "equals": True},
            {"path": "tags.env", "equals": "prod"},
        ]
    }
    assert findings_of(lint_policy, ok) == []
    failing = {
        "anyOf": [{"path": "properties.enableRbacAuthorization", "equals": True}, {"path": "tags.env", "equals": "dev"}]
    }
    findings = lint_policy({"resourceType": VAULT_TYPE, "evaluation": failing}, VAULT)
    assert where(findings) == [(11, 21)]
    assert "`properties.enableRbacAuthorization` is not set" in findings[0].message


def test_not_negates_and_says_so(lint_policy: LintPolicy) -> None:
    findings = lint_policy(
        {"resourceType": VAULT_TYPE, "evaluation": {"not": {"path": "tags.env", "in": ["prod", "production"]}}}, VAULT
    )
    assert where(findings) == [(10, 24)]
    assert "`tags.env` is 'prod'; the policy requires it not to be one of 'prod', 'production'" in findings[0].message
    double = {"not": {"not": {"path": "tags.env", "equals": "prod"}}}
    assert findings_of(lint_policy, double) == []


# --- silence: Unknown values, resources not deployed ---------------------------------------------

UNKNOWNS = """\
{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "parameters": {
    "minimumTlsVersion": { "type": "string" },
    "deployStorage": { "type": "bool" },
    "sasKey": { "type": "securestring" }
  },
  "resources": [
    {
      "type": "Microsoft.Storage/storageAccounts",
      "apiVersion": "2023-05-01",
      "name": "stknown001",
      "location": "westeurope",
      "kind": "StorageV2",
      "properties": {
        "minimumTlsVersion": "[parameters('minimumTlsVersion')]",
        "allowBlobPublicAccess": "[reference(resourceId('Microsoft.Resources/deployments', 'settings'), '2022-09-01').outputs.publicAccess.value]",
        "supportsHttpsTrafficOnly": false,
        "azureFilesIdentityBasedAuthentication": "[json(parameters('sasKey'))]"
      }
    },
    {
      "condition": "[parameters('deployStorage')]",
      "type": "Microsoft.Storage/storageAccounts",
      "apiVersion": "2023-05-01",
      "name": "stmaybe001",
      "location": "westeurope",
      "properties": { "minimumTlsVersion": "TLS1_0" }
    },
    {
      "condition": false,
      "type": "Microsoft.Storage/storageAccounts",
      "apiVersion": "2023-05-01",
      "name": "stnever001",
      "location": "westeurope",
      "properties": { "minimumTlsVersion": "TLS1_0" }
    }
  ]
}
"""
STORAGE_TYPE = "Microsoft.Storage/storageAccounts"


def unknown_findings(lint_policy: LintPolicy, evaluation: dict[str, Any], **extra: Any) -> list[tuple[int, int]]:
    return where(lint_policy({"resourceType": STORAGE_TYPE, "evaluation": evaluation, **extra}, UNKNOWNS))


@pytest.mark.parametrize(
    "evaluation",
    [
        {"path": "properties.minimumTlsVersion", "in": ["TLS1_2"]},
        {"path": "properties.allowBlobPublicAccess", "equals": False},
        {"path": "properties.azureFilesIdentityBasedAuthentication.directoryServiceOptions", "equals": "AADDS"},
        {"path": "properties.minimumTlsVersion", "hasValue": False},
    ],
    ids=["parameter without a value", "reference()", "secure parameter", "hasValue"],
)
def test_unknown_values_stay_silent(lint_policy: LintPolicy, evaluation: dict[str, Any]) -> None:
    assert unknown_findings(lint_policy, evaluation) == []


def test_a_definite_failure_is_reported_whatever_the_unknowns(lint_policy: LintPolicy) -> None:
    all_of = {
        "allOf": [
            {"path": "properties.minimumTlsVersion", "equals": "TLS1_2"},
            {"path": "properties.supportsHttpsTrafficOnly", "equals": True},
        ]
    }
    assert unknown_findings(lint_policy, all_of) == [(19, 37)]
    any_of = {
        "anyOf": [
            {"path": "properties.minimumTlsVersion", "equals": "TLS1_2"},
            {"path": "properties.supportsHttpsTrafficOnly", "equals": True},
        ]
    }
    assert unknown_findings(lint_policy, any_of) == []  # the first part may hold: undecided


def test_exists_is_decided_on_a_written_unknown(lint_policy: LintPolicy) -> None:
    assert unknown_findings(lint_policy, {"path": "properties.minimumTlsVersion", "exists": False}) == [(17, 30)]


def test_an_undecided_where_skips_the_resource(lint_policy: LintPolicy) -> None:
    evaluation = {"path": "properties.supportsHttpsTrafficOnly", "equals": True}
    assert unknown_findings(lint_policy, evaluation) == [(19, 37)]
    assert (
        unknown_findings(lint_policy, evaluation, where={"path": "properties.allowBlobPublicAccess", "equals": True})
        == []
    )


def test_only_resources_every_run_deploys_unless_include_conditional(lint_policy: LintPolicy) -> None:
    evaluation = {"path": "properties.minimumTlsVersion", "equals": "TLS1_2"}
    assert unknown_findings(lint_policy, evaluation) == []
    # the undecided condition is checked on request; the false one never is
    assert unknown_findings(lint_policy, evaluation, includeConditional=True) == [(29, 44)]


def test_condition_true_from_a_parameter_is_checked(lint_policy: LintPolicy) -> None:
    findings = lint_policy(
        {"resourceType": STORAGE_TYPE, "evaluation": {"path": "properties.minimumTlsVersion", "equals": "TLS1_2"}},
        UNKNOWNS,
        params={"deployStorage": True, "minimumTlsVersion": "TLS1_2"},
    )
    assert where(findings) == [(29, 44)]
    assert "'stmaybe001'" in findings[0].message


EXISTING = """\
{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "languageVersion": "2.0",
  "contentVersion": "1.0.0.0",
  "resources": {
    "shared": {
      "existing": true,
      "type": "Microsoft.Storage/storageAccounts",
      "apiVersion": "2023-05-01",
      "name": "stshared001"
    },
    "logs": {
      "type": "Microsoft.Storage/storageAccounts",
      "apiVersion": "2023-05-01",
      "name": "stlogs001",
      "location": "westeurope",
      "properties": { "minimumTlsVersion": "TLS1_1" }
    }
  }
}
"""


def test_existing_resources_are_not_checked(lint_policy: LintPolicy) -> None:
    findings = lint_policy(
        {
            "resourceType": STORAGE_TYPE,
            "evaluation": {"path": "properties.minimumTlsVersion", "equals": "TLS1_2"},
            "includeConditional": True,
        },
        EXISTING,
    )
    assert where(findings) == [(17, 44)]
    assert "'stlogs001'" in findings[0].message


COPIED = """\
{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "parameters": { "objectIds": { "type": "array", "defaultValue": ["a1", "b2"] } },
  "resources": [
    {
      "type": "Microsoft.KeyVault/vaults",
      "apiVersion": "2023-07-01",
      "name": "kv-copied",
      "location": "westeurope",
      "properties": {
        "tenantId": "3f8a2b61-5c4d-4e7f-9a0b-1c2d3e4f5a6b",
        "sku": { "family": "A", "name": "standard" },
        "copy": [
          {
            "name": "accessPolicies",
            "count": "[length(parameters('objectIds'))]",
            "input": {
              "tenantId": "3f8a2b61-5c4d-4e7f-9a0b-1c2d3e4f5a6b",
              "objectId": "[parameters('objectIds')[copyIndex('accessPolicies')]]",
              "permissions": { "secrets": ["get"] }
            }
          }
        ]
      }
    }
  ]
}
"""


def test_computed_values_are_checked_and_reported_at_what_produced_them(lint_policy: LintPolicy) -> None:
    findings = lint_policy(
        {
            "resourceType": VAULT_TYPE,
            "evaluation": {"path": "properties.accessPolicies[*].objectId", "regex": "^[0-9a-f-]{36}$"},
        },
        COPIED,
    )
    # both copies fail; the array does not exist as written, so both point at `properties`
    assert where(findings) == [(11, 21), (11, 21)]
    assert "`properties.accessPolicies[0].objectId` is 'a1'" in findings[0].message
    assert "`properties.accessPolicies[1].objectId` is 'b2'" in findings[1].message


def test_a_secure_value_is_never_printed(lint_policy: LintPolicy) -> None:
    findings = lint_policy(
        {
            "resourceType": STORAGE_TYPE,
            "evaluation": {"path": "properties.azureFilesIdentityBasedAuthentication", "exists": False},
            "message": "{name}: {path} = {value} ({reason})",
        },
        UNKNOWNS,
        params={"sasKey": "s3cr3t-sas-value"},
    )
    assert where(findings) == [(20, 50)]
    assert "s3cr3t-sas-value" not in findings[0].message
    assert "[json(parameters('sasKey'))]" in findings[0].message
