"""The SARIF report: schema-valid, relative locations, line-independent fingerprints, fixes, no snippets."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from reporter_helpers import SAMPLES, finding, lint_samples, sarif_schema

from validator.findings import Edit, Fix, Position, Related
from validator.lint import FileReport, LintRequest, lint_file
from validator.reporters import REPORTERS, sarif

VAULT = """{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "resources": [
    {
      "type": "Microsoft.KeyVault/vaults",
      "apiVersion": "2023-07-01",
      "name": "kv-sarif-001",
      "location": "westeurope",
      "tags": { "costCenter": "cc-4711-sarif" },
      "properties": {
        "tenantId": "[subscription().tenantId]",
        "sku": { "family": "A", "name": "standard" },
        "enableRbacAuthorization": true,
        "enablePurgeProtection": false
      }
    }
  ]
}
"""


def _log(reports: list[FileReport], root: Path) -> dict[str, Any]:
    document = json.loads(sarif.render(reports, root=str(root)))
    jsonschema.validate(document, sarif_schema())
    return document  # type: ignore[no-any-return]


def _lint(path: Path) -> FileReport:
    return lint_file(LintRequest(str(path)))


def test_registered_as_a_format() -> None:
    assert REPORTERS["sarif"] is sarif.render


def test_samples_validate_against_the_official_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(SAMPLES.parent)
    reports = lint_samples(SAMPLES)
    document = json.loads(sarif.render(reports))
    jsonschema.validate(document, sarif_schema())
    run = document["runs"][0]
    assert document["version"] == "2.1.0"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == SAMPLES.parent.resolve().as_uri() + "/"
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    assert uris and all(u.startswith("templates/") for u in uris)
    assert run["invocations"] == [{"executionSuccessful": True}]


def test_driver_lists_rules_with_docs_and_results_point_at_them(tmp_path: Path) -> None:
    template = tmp_path / "vault.json"
    template.write_text(VAULT, encoding="utf-8")
    run = _log([_lint(template)], tmp_path)["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "arm-validator"
    ids = [r["id"] for r in driver["rules"]]
    assert {"AV000", "AV001", "AV999", "KV004"} <= set(ids)
    kv004 = driver["rules"][ids.index("KV004")]
    assert kv004["name"] == "keyvault-purge-protection-false"
    assert kv004["defaultConfiguration"]["level"] == "error"
    assert kv004["help"]["markdown"].startswith("## What it does")
    assert kv004["fullDescription"]["text"] and "##" not in kv004["fullDescription"]["text"]
    [result] = [r for r in run["results"] if r["ruleId"] == "KV004"]
    assert driver["rules"][result["ruleIndex"]]["id"] == "KV004"
    assert result["level"] == "error"
    location = result["locations"][0]
    assert location["physicalLocation"]["artifactLocation"] == {"uri": "vault.json", "uriBaseId": "%SRCROOT%"}
    assert location["physicalLocation"]["region"] == {"startLine": 15, "startColumn": 34, "endLine": 15, "endColumn": 39}
    assert location["logicalLocations"][0]["fullyQualifiedName"].endswith("/vaults/kv-sarif-001")


def test_fix_is_a_replacement_by_character_offsets(tmp_path: Path) -> None:
    template = tmp_path / "vault.json"
    template.write_text(VAULT, encoding="utf-8")
    report = _lint(template)
    [kv004] = [f for f in report.findings if f.rule_id == "KV004"]
    assert kv004.fix is not None
    [result] = [r for r in _log([report], tmp_path)["runs"][0]["results"] if r["ruleId"] == "KV004"]
    [fix] = result["fixes"]
    [change] = fix["artifactChanges"]
    assert change["artifactLocation"] == {"uri": "vault.json", "uriBaseId": "%SRCROOT%"}
    text = template.read_text(encoding="utf-8")
    fixed = text
    for replacement in sorted(change["replacements"], key=lambda r: -r["deletedRegion"]["charOffset"]):
        start = replacement["deletedRegion"]["charOffset"]
        end = start + replacement["deletedRegion"]["charLength"]
        fixed = fixed[:start] + replacement["insertedContent"]["text"] + fixed[end:]
    assert "enablePurgeProtection" not in fixed
    json.loads(fixed)  # the fixed template still parses


def test_fingerprints_ignore_lines_that_moved(tmp_path: Path) -> None:
    template = tmp_path / "vault.json"
    template.write_text(VAULT, encoding="utf-8")
    before = _log([_lint(template)], tmp_path)["runs"][0]["results"]
    moved = VAULT.replace('"contentVersion": "1.0.0.0",', '"contentVersion": "1.0.0.0",\n  // a comment\n\n  "metadata": {},')
    template.write_text(moved, encoding="utf-8")
    after = _log([_lint(template)], tmp_path)["runs"][0]["results"]
    def line(result: dict[str, Any]) -> int:
        return int(result["locations"][0]["physicalLocation"]["region"]["startLine"])

    assert [line(r) for r in after] == [line(r) + 3 for r in before]
    assert [r["partialFingerprints"] for r in after] == [r["partialFingerprints"] for r in before]


def test_fingerprints_survive_a_resource_inserted_before(tmp_path: Path) -> None:
    template = tmp_path / "vault.json"
    template.write_text(VAULT, encoding="utf-8")
    before = _log([_lint(template)], tmp_path)["runs"][0]["results"]
    other = '{ "type": "Microsoft.Insights/components", "apiVersion": "2020-02-02", "name": "appi", "location": "westeurope", "kind": "web" },'
    template.write_text(VAULT.replace('"resources": [', '"resources": [\n    ' + other), encoding="utf-8")
    after = _log([_lint(template)], tmp_path)["runs"][0]["results"]
    def kv004(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [r for r in results if r["ruleId"] == "KV004"]

    assert [r["properties"]["jsonPath"][1] for r in kv004(after)] == [1]
    assert [r["partialFingerprints"] for r in kv004(after)] == [r["partialFingerprints"] for r in kv004(before)]


def test_fingerprints_tell_apart_rule_file_resource_and_path_and_repeats(tmp_path: Path) -> None:
    file = tmp_path / "a.json"
    findings = [
        finding(file),
        finding(file, rule_id="KV005"),
        finding(tmp_path / "b.json"),
        finding(file, resource_id="/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv2"),
        finding(file, path=("resources", 1, "properties", "enablePurgeProtection")),
        finding(file, line=30),  # the same key again: a second alert, not a duplicate of the first
    ]
    results = _log([FileReport(str(file), None, findings)], tmp_path)["runs"][0]["results"]
    prints = [r["partialFingerprints"]["armValidatorFinding/v2"] for r in results]
    assert len(set(prints)) == len(prints)
    same_resource_other_case = finding(file, resource_id="/SUBSCRIPTIONS/s/resourceGroups/RG/providers/Microsoft.KeyVault/vaults/KV1", line=99)
    again = _log([FileReport(str(file), None, [same_resource_other_case])], tmp_path)["runs"][0]["results"]
    assert again[0]["partialFingerprints"] == results[0]["partialFingerprints"]


def test_related_locations_and_policy_rules_without_metadata(tmp_path: Path) -> None:
    file = tmp_path / "dir with space" / "main.json"
    related = Related("the ML workspace links this vault", Position(str(file), 40, 7, 40, 20, ("resources", 2)))
    policy = finding(file, rule_id="ORG001", severity="note", message="tag 'owner' is missing", related=(related,))
    run = _log([FileReport(str(file), None, [policy])], tmp_path)["runs"][0]
    [result] = run["results"]
    descriptor = run["tool"]["driver"]["rules"][result["ruleIndex"]]
    assert descriptor["id"] == "ORG001" and descriptor["name"] == "ORG001"
    assert result["level"] == "note"
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "dir%20with%20space/main.json"
    [rel] = result["relatedLocations"]
    assert rel["message"]["text"] == "the ML workspace links this vault"
    assert rel["physicalLocation"]["region"]["startLine"] == 40


def test_policy_metadata_comes_from_extra_rules(tmp_path: Path) -> None:
    class OwnerTag:
        id = "ORG001"
        name = "owner-tag-missing"
        severity = "warning"
        summary = "a resource without an owner tag"
        remedy = "add an owner tag"

        @classmethod
        def documentation(cls) -> str:
            return "## What it does\nReports resources without an `owner` tag."

    file = tmp_path / "main.json"
    report = FileReport(str(file), None, [finding(file, rule_id="ORG001", severity="warning")])
    document = json.loads(sarif.render([report], extra_rules=[OwnerTag], root=str(tmp_path)))
    jsonschema.validate(document, sarif_schema())
    [descriptor] = [r for r in document["runs"][0]["tool"]["driver"]["rules"] if r["id"] == "ORG001"]
    assert descriptor["name"] == "owner-tag-missing"
    assert descriptor["shortDescription"]["text"] == "a resource without an owner tag"
    assert descriptor["fullDescription"]["text"] == "Reports resources without an `owner` tag."


def test_unreadable_file_outside_the_root_and_crashed_rule(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    outside = tmp_path / "elsewhere.json"
    unreadable = finding(outside, rule_id="AV000", message="cannot read the file", line=0, column=0, end_line=0, end_column=0, path=(), resource_id=None)
    crash = finding(root / "t.json", rule_id="AV999", message="the rule KV001 crashed", line=1, column=1, end_column=1, path=(), resource_id=None)
    run = _log([FileReport(str(outside), None, [unreadable]), FileReport(str(root / "t.json"), None, [crash])], root)["runs"][0]
    first = run["results"][0]["locations"][0]["physicalLocation"]
    assert first == {"artifactLocation": {"uri": outside.resolve().as_uri()}}
    assert run["invocations"][0]["executionSuccessful"] is False
    assert run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"] == "the rule KV001 crashed"


def test_no_source_text_is_copied_in(tmp_path: Path) -> None:
    template = tmp_path / "vault.json"
    template.write_text(VAULT, encoding="utf-8")
    edit = Edit(10, 20, "")
    report = _lint(template)
    report.findings.append(finding(template, fix=Fix("Remove it", (edit,))))
    text = sarif.render([report], root=str(tmp_path))
    for key in ('"snippet"', '"contextRegion"', '"contents"'):
        assert key not in text
    assert "cc-4711-sarif" not in text  # no template line is quoted
    assert os.fspath(template) not in text
