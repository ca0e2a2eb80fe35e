"""Every operator, on evaluated values (the semantics) and on a template (the positions)."""

from __future__ import annotations

from typing import Any

import pytest
from policy_helpers import LintPolicy, where

from validator.expressions.values import Unknown
from validator.policies.conditions import compile_condition, evaluate

VIEW: dict[str, Any] = {
    "name": "stcontoso001",
    "type": "Microsoft.Storage/storageAccounts",
    "apiVersion": "2021-06-01-preview",
    "sku": {"name": "Standard_LRS"},
    "properties": {
        "minimumTlsVersion": "TLS1_2",
        "supportsHttpsTrafficOnly": True,
        "allowBlobPublicAccess": None,
        "accessTier": "",
        "largeFileSharesState": "Enabled",
        "keyPolicy": {"keyExpirationPeriodInDays": 90},
        "retention": 7.5,
        "isHnsEnabled": False,
        "networkAcls": {"ipRules": [{"value": "10.0.0.0/24"}]},
    },
}


def holds(condition: dict[str, Any], view: dict[str, Any] = VIEW) -> bool | None:
    return evaluate(compile_condition(condition, ()), view).holds


@pytest.mark.parametrize(
    "condition, expected",
    [
        # exists: the property is there, whatever its value (null included)
        ({"path": "properties.allowBlobPublicAccess", "exists": True}, True),
        ({"path": "properties.encryption", "exists": True}, False),
        ({"path": "properties.encryption", "exists": False}, True),
        ({"path": "properties.encryption.services", "exists": False}, True),
        ({"path": "Properties.MinimumTLSVersion", "exists": True}, True),  # names match in any case
        # hasValue: not null, not ""
        ({"path": "properties.allowBlobPublicAccess", "hasValue": True}, False),
        ({"path": "properties.accessTier", "hasValue": True}, False),
        ({"path": "properties.accessTier", "hasValue": False}, True),
        ({"path": "properties.encryption", "hasValue": False}, True),
        ({"path": "properties.isHnsEnabled", "hasValue": True}, True),  # false is a value
        ({"path": "properties.networkAcls", "hasValue": True}, True),
        # equals: strings ignore case; booleans and numbers are strict
        ({"path": "sku.name", "equals": "standard_lrs"}, True),
        ({"path": "sku.name", "equals": "Premium_LRS"}, False),
        ({"path": "properties.supportsHttpsTrafficOnly", "equals": True}, True),
        ({"path": "properties.supportsHttpsTrafficOnly", "equals": "true"}, False),
        ({"path": "properties.supportsHttpsTrafficOnly", "equals": 1}, False),
        ({"path": "properties.keyPolicy.keyExpirationPeriodInDays", "equals": 90.0}, True),
        ({"path": "properties.keyPolicy.keyExpirationPeriodInDays", "equals": "90"}, False),
        ({"path": "properties.allowBlobPublicAccess", "equals": None}, True),
        ({"path": "properties.encryption", "equals": None}, False),  # absent is not null
        ({"path": "properties.networkAcls", "equals": "x"}, False),
        # notEquals: the opposite; an absent value equals nothing
        ({"path": "properties.isHnsEnabled", "notEquals": False}, False),
        ({"path": "properties.isHnsEnabled", "notEquals": 0}, True),
        ({"path": "properties.encryption", "notEquals": False}, True),
        ({"path": "properties.largeFileSharesState", "notEquals": "ENABLED"}, False),
        # in
        ({"path": "properties.minimumTlsVersion", "in": ["tls1_2", "TLS1_3"]}, True),
        ({"path": "properties.minimumTlsVersion", "in": ["TLS1_0", "TLS1_1"]}, False),
        ({"path": "properties.supportsHttpsTrafficOnly", "in": ["true", 1]}, False),
        ({"path": "properties.encryption", "in": ["x", None]}, False),
        # regex: searched anywhere, ignoring case; strings only
        ({"path": "name", "regex": "^ST[a-z0-9]{3,22}$"}, True),
        ({"path": "name", "regex": "contoso"}, True),
        ({"path": "name", "regex": "^sa"}, False),
        ({"path": "properties.supportsHttpsTrafficOnly", "regex": "true"}, False),
        ({"path": "properties.encryption", "regex": ".*"}, False),
        # ordering: numbers with numbers
        ({"path": "properties.keyPolicy.keyExpirationPeriodInDays", "less": 91}, True),
        ({"path": "properties.keyPolicy.keyExpirationPeriodInDays", "less": 90}, False),
        ({"path": "properties.keyPolicy.keyExpirationPeriodInDays", "lessOrEquals": 90}, True),
        ({"path": "properties.keyPolicy.keyExpirationPeriodInDays", "lessOrEquals": 89.5}, False),
        ({"path": "properties.retention", "greater": 7}, True),
        ({"path": "properties.retention", "greater": 7.5}, False),
        ({"path": "properties.retention", "greaterOrEquals": 7.5}, True),
        ({"path": "properties.retention", "greaterOrEquals": 8}, False),
        # ordering: dates with strings that start with a date (api versions with -preview)
        ({"path": "apiVersion", "greaterOrEquals": "2021-06-01"}, True),
        ({"path": "apiVersion", "greater": "2021-06-01"}, False),
        ({"path": "apiVersion", "less": "2023-01-01"}, True),
        ({"path": "apiVersion", "lessOrEquals": "2019-04-01"}, False),
        # ordering across types, or on something that is not a number or a date, never holds
        ({"path": "properties.isHnsEnabled", "less": 1}, False),
        ({"path": "sku.name", "greater": "2019-01-01"}, False),
        ({"path": "apiVersion", "greater": 2019}, False),
        ({"path": "properties.encryption", "less": 5}, False),
    ],
    ids=lambda v: str(v) if isinstance(v, dict) else None,
)
def test_operator(condition: dict[str, Any], expected: bool) -> None:
    assert holds(condition) is expected


@pytest.mark.parametrize(
    "condition",
    [
        {"path": "properties.x", "equals": 1},
        {"path": "properties.x", "notEquals": 1},
        {"path": "properties.x", "in": [1]},
        {"path": "properties.x", "regex": "a"},
        {"path": "properties.x", "hasValue": True},
        {"path": "properties.x", "less": 1},
        {"path": "properties.x.y", "exists": True},  # below an Unknown: cannot tell
    ],
    ids=lambda c: next(k for k in c if k != "path"),
)
def test_every_operator_is_undecided_on_unknown(condition: dict[str, Any]) -> None:
    view = {"properties": {"x": Unknown("[reference('ip').ipAddress]")}}
    assert holds(condition, view) is None


def test_exists_is_decided_when_the_property_is_written_with_an_unknown_value() -> None:
    view = {"properties": {"x": Unknown("[parameters('x')]")}}
    assert holds({"path": "properties.x", "exists": True}, view) is True
    assert holds({"path": "properties.y", "exists": True}, view) is False


STORAGE = """\
{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "resources": [
    {
      "type": "Microsoft.Storage/storageAccounts",
      "apiVersion": "2019-06-01",
      "name": "stcontoso001",
      "location": "westeurope",
      "sku": { "name": "Standard_LRS" },
      "kind": "StorageV2",
      "properties": {
        "minimumTlsVersion": "TLS1_0",
        "supportsHttpsTrafficOnly": false,
        "allowBlobPublicAccess": null,
        "keyPolicy": { "keyExpirationPeriodInDays": 400 },
        "networkAcls": { "defaultAction": "Allow" }
      }
    }
  ]
}
"""


@pytest.mark.parametrize(
    "evaluation, position, reason",
    [
        (
            {"path": "properties.encryption", "exists": True},
            (12, 21),
            "`properties.encryption` is not set; the policy requires it to be set",
        ),
        ({"path": "properties.networkAcls", "exists": False}, (17, 24), "the policy requires it not to be set"),
        (
            {"path": "properties.allowBlobPublicAccess", "hasValue": True},
            (15, 34),
            "is null; the policy requires it to have a value",
        ),
        (
            {"path": "properties.minimumTlsVersion", "hasValue": False},
            (13, 30),
            "the policy requires it not to have a value",
        ),
        (
            {"path": "properties.supportsHttpsTrafficOnly", "equals": True},
            (14, 37),
            "is false; the policy requires it to equal true",
        ),
        (
            {"path": "properties.networkAcls.defaultAction", "notEquals": "allow"},
            (17, 43),
            "is 'Allow'; the policy requires it not to equal 'allow'",
        ),
        (
            {"path": "properties.minimumTlsVersion", "in": ["TLS1_2", "TLS1_3"]},
            (13, 30),
            "be one of 'TLS1_2', 'TLS1_3'",
        ),
        ({"path": "name", "regex": "^sa"}, (8, 15), "`name` is 'stcontoso001'; the policy requires it to match /^sa/"),
        (
            {"path": "apiVersion", "greaterOrEquals": "2021-01-01"},
            (7, 21),
            "the policy requires it to be at least '2021-01-01'",
        ),
        (
            {"path": "properties.keyPolicy.keyExpirationPeriodInDays", "lessOrEquals": 90},
            (16, 53),
            "is 400; the policy requires it to be at most 90",
        ),
        ({"path": "properties.keyPolicy.keyExpirationPeriodInDays", "less": 400}, (16, 53), "to be less than 400"),
        (
            {"path": "properties.keyPolicy.keyExpirationPeriodInDays", "greater": 400},
            (16, 53),
            "to be greater than 400",
        ),
        ({"path": "sku.name", "equals": "Premium_LRS"}, (10, 24), "`sku.name` is 'Standard_LRS'"),
        ({"path": "location", "in": ["northeurope"]}, (9, 19), "`location` is 'westeurope'"),
        ({"path": "type", "regex": "Microsoft\\.Web/"}, (6, 15), "`type` is 'Microsoft.Storage/storageAccounts'"),
    ],
    ids=lambda v: next((k for k in v if k != "path"), None) if isinstance(v, dict) else None,
)
def test_operator_finding_points_at_the_property(
    lint_policy: LintPolicy, evaluation: dict[str, Any], position: tuple[int, int], reason: str
) -> None:
    findings = lint_policy({"resourceType": "Microsoft.Storage/storageAccounts", "evaluation": evaluation}, STORAGE)
    assert where(findings) == [position]
    assert findings[0].message.startswith("Microsoft.Storage/storageAccounts 'stcontoso001': ")
    assert reason in findings[0].message
    assert findings[0].rule_id == "T-001" and findings[0].severity == "warning" and findings[0].remedy == "fix it"


@pytest.mark.parametrize(
    "evaluation",
    [
        {"path": "properties.networkAcls", "exists": True},
        {"path": "properties.minimumTlsVersion", "hasValue": True},
        {"path": "properties.supportsHttpsTrafficOnly", "equals": False},
        {"path": "properties.minimumTlsVersion", "notEquals": "TLS1_2"},
        {"path": "properties.minimumTlsVersion", "in": ["tls1_0"]},
        {"path": "name", "regex": "^st"},
        {"path": "apiVersion", "less": "2020-01-01"},
        {"path": "properties.keyPolicy.keyExpirationPeriodInDays", "greaterOrEquals": 400},
    ],
    ids=lambda v: next(k for k in v if k != "path"),
)
def test_operator_that_holds_gives_no_finding(lint_policy: LintPolicy, evaluation: dict[str, Any]) -> None:
    assert lint_policy({"resourceType": "Microsoft.Storage/storageAccounts", "evaluation": evaluation}, STORAGE) == []


def test_resource_type_matches_in_any_case_and_as_a_list(lint_policy: LintPolicy) -> None:
    evaluation = {"path": "properties.supportsHttpsTrafficOnly", "equals": True}
    for types in ("microsoft.storage/STORAGEACCOUNTS", ["Microsoft.Web/sites", "Microsoft.Storage/storageAccounts"]):
        assert where(lint_policy({"resourceType": types, "evaluation": evaluation}, STORAGE)) == [(14, 37)]
    assert lint_policy({"resourceType": "Microsoft.Web/sites", "evaluation": evaluation}, STORAGE) == []


def test_custom_message_placeholders(lint_policy: LintPolicy) -> None:
    policy = {
        "resourceType": "Microsoft.Storage/storageAccounts",
        "evaluation": {"path": "properties.minimumTlsVersion", "in": ["TLS1_2"]},
        "message": "{type} {name} has {path} = {value} ({reason}); {{literal}}",
    }
    [finding] = lint_policy(policy, STORAGE)
    assert finding.message == (
        'Microsoft.Storage/storageAccounts stcontoso001 has properties.minimumTlsVersion = "TLS1_0" '
        "(`properties.minimumTlsVersion` is 'TLS1_0'; the policy requires it to be one of 'TLS1_2'); {literal}"
    )
