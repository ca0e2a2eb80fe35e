"""Baselines (`lint --write-baseline FILE`, `lint --baseline FILE`): findings are matched by rule,
file, resource and the JSON path inside the resource, so edits elsewhere in the template, inserted
or reordered resources included, do not make accepted findings look new."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from validator.cli import main
from validator.findings import Finding, Position
from validator.lint import apply_baseline, finding_key, path_in_resource

SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
VAULTS = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/"


def vault(name: str, **extra: Any) -> dict[str, Any]:
    """An RBAC vault that sends `enablePurgeProtection: false`: exactly one finding, KV004."""
    return {
        "type": "Microsoft.KeyVault/vaults",
        "apiVersion": "2023-07-01",
        "name": name,
        "location": "[resourceGroup().location]",
        **extra,
        "properties": {
            "tenantId": "[subscription().tenantId]",
            "sku": {"family": "A", "name": "standard"},
            "enableRbacAuthorization": True,
            "enablePurgeProtection": False,
        },
    }


INSIGHTS = {
    "type": "Microsoft.Insights/components",
    "apiVersion": "2020-02-02",
    "name": "appi-ops",
    "location": "[resourceGroup().location]",
    "kind": "web",
    "properties": {"Application_Type": "web"},
}


def write_template(path: Path, *resources: dict[str, Any]) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"$schema": SCHEMA, "contentVersion": "1.0.0.0", "resources": list(resources)}
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return str(path)


def lint(capsys: pytest.CaptureFixture[str], template: str, *options: str) -> tuple[int, list[tuple[str, str, int]]]:
    """Exit code and (rule, resource name, line) of each reported finding."""
    code = main(["lint", template, "--format", "json", "--fail-on", "never", *options])
    report = json.loads(capsys.readouterr().out)
    found = [
        (f["ruleId"], (f["resourceId"] or "").rsplit("/", 1)[-1], f["location"]["line"])
        for file in report["files"]
        for f in file["findings"]
    ]
    return code, found


def write_baseline(capsys: pytest.CaptureFixture[str], template: str, baseline: Path) -> dict[str, Any]:
    assert main(["lint", template, "--write-baseline", str(baseline)]) == 0
    capsys.readouterr()
    data: dict[str, Any] = json.loads(baseline.read_text(encoding="utf-8"))
    return data


def test_the_baseline_is_version_2_keyed_by_the_path_inside_the_resource(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    template = write_template(tmp_path / "main.json", vault("kv-a"))
    data = write_baseline(capsys, template, tmp_path / "baseline.json")
    assert data == {
        "version": 2,
        "findings": [
            {"ruleId": "KV004", "file": "main.json", "resource": (VAULTS + "kv-a").lower(), "path": ["properties", "enablePurgeProtection"]}
        ],
    }


def test_a_resource_inserted_at_the_top_keeps_the_baseline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    template = write_template(tmp_path / "main.json", vault("kv-a"), vault("kv-b"))
    baseline = tmp_path / "baseline.json"
    write_baseline(capsys, template, baseline)
    assert lint(capsys, template)[1] == [("KV004", "kv-a", 17), ("KV004", "kv-b", 32)]

    write_template(tmp_path / "main.json", INSIGHTS, vault("kv-a"), vault("kv-b"))
    code, found = lint(capsys, template, "--baseline", str(baseline))
    assert (code, found) == (0, [])
    # reordered too
    write_template(tmp_path / "main.json", vault("kv-b"), INSIGHTS, vault("kv-a"))
    assert lint(capsys, template, "--baseline", str(baseline))[1] == []


def test_a_new_finding_is_still_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    template = write_template(tmp_path / "main.json", vault("kv-a"))
    baseline = tmp_path / "baseline.json"
    write_baseline(capsys, template, baseline)
    write_template(tmp_path / "main.json", vault("kv-new"), INSIGHTS, vault("kv-a"))
    code, found = lint(capsys, template, "--baseline", str(baseline), "--fail-on", "error")
    assert (code, found) == (1, [("KV004", "kv-new", 17)])


def test_each_copy_of_a_copy_loop_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # every copy's finding is at the same JSON path; the baseline holds one entry per copy
    copies = {"copy": {"name": "vaults", "count": 2}}
    template = write_template(tmp_path / "main.json", vault("[concat('kv-', copyIndex())]", **copies))
    data = write_baseline(capsys, template, tmp_path / "baseline.json")
    assert [(e["resource"].rsplit("/", 1)[-1], e["path"]) for e in data["findings"]] == [
        ("kv-0", ["properties", "enablePurgeProtection"]),
        ("kv-1", ["properties", "enablePurgeProtection"]),
    ]
    copies["copy"]["count"] = 3  # type: ignore[index]
    write_template(tmp_path / "main.json", INSIGHTS, vault("[concat('kv-', copyIndex())]", **copies))
    assert lint(capsys, template, "--baseline", str(tmp_path / "baseline.json"))[1] == [("KV004", "kv-2", 31)]


def test_each_entry_accepts_one_finding(tmp_path: Path) -> None:
    """Two findings with one key and a baseline entry for one of them: the other is new."""
    file = tmp_path / "main.json"
    position = Position(str(file), 17, 34, 17, 39, ("resources", 0, "properties", "enablePurgeProtection"))
    twice = [Finding("KV004", "error", "first", position, resource_id=VAULTS + "kv-a"), Finding("KV004", "error", "second", position, resource_id=VAULTS + "kv-a")]
    baseline = tmp_path / "baseline.json"
    entry = {"ruleId": "KV004", "file": "main.json", "resource": VAULTS + "kv-a", "path": ["properties", "enablePurgeProtection"]}
    baseline.write_text(json.dumps({"version": 2, "findings": [entry]}), encoding="utf-8")
    kept, accepted = apply_baseline(str(baseline), twice)
    assert (len(kept), accepted) == (1, 1)
    baseline.write_text(json.dumps({"version": 2, "findings": [entry, entry]}), encoding="utf-8")
    assert apply_baseline(str(baseline), twice) == ([], 2)


def test_a_version_1_baseline_still_applies_with_its_own_matching(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    template = write_template(tmp_path / "main.json", vault("kv-a"), vault("kv-b"))
    baseline = tmp_path / "baseline.json"
    # what version 1 wrote: the full JSON path, with the index into `resources`
    entries = [
        {"ruleId": "KV004", "file": "main.json", "resource": (VAULTS + name).lower(), "path": ["resources", index, "properties", "enablePurgeProtection"]}
        for index, name in enumerate(["kv-a", "kv-b"])
    ]
    baseline.write_text(json.dumps({"version": 1, "findings": entries}), encoding="utf-8")
    assert lint(capsys, template, "--baseline", str(baseline))[1] == []
    # version 1 matching is kept as it was: a resource inserted above moves the paths
    write_template(tmp_path / "main.json", INSIGHTS, vault("kv-a"), vault("kv-b"))
    assert lint(capsys, template, "--baseline", str(baseline))[1] == [("KV004", "kv-a", 27), ("KV004", "kv-b", 42)]
    # writing again upgrades it to version 2
    assert write_baseline(capsys, template, baseline)["version"] == 2


def test_the_baseline_folder_is_the_root_of_its_paths(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    template = write_template(tmp_path / "infra" / "main.json", vault("kv-a"))
    baseline = tmp_path / "ci" / "baseline.json"
    baseline.parent.mkdir()
    assert write_baseline(capsys, template, baseline)["findings"][0]["file"] == "../infra/main.json"
    monkeypatch.chdir(tmp_path / "infra")
    assert lint(capsys, "main.json", "--baseline", str(baseline))[1] == []


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"version": 3, "findings": []}', "baseline version 3 is not supported"),
        ('{"version": 2}', "not an arm-validator baseline"),
        ('{"version": 2, "findings": [{"file": "main.json"}]}', "finding 1 of the baseline needs string 'ruleId' and 'file'"),
        ("{", "Expecting property name"),
    ],
)
def test_an_unusable_baseline_is_a_tool_error(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str) -> None:
    template = write_template(tmp_path / "main.json", vault("kv-a"))
    baseline = tmp_path / "baseline.json"
    baseline.write_text(content, encoding="utf-8")
    assert main(["lint", template, "--baseline", str(baseline)]) == 2
    err = capsys.readouterr().err
    assert f"error: cannot use the baseline {baseline}: " in err and message in err


@pytest.mark.parametrize(
    "json_path, inside",
    [
        (("resources", 3, "properties", "accessPolicies", 0, "tenantId"), ("properties", "accessPolicies", 0, "tenantId")),
        (("resources", "vault", "properties", "enableSoftDelete"), ("properties", "enableSoftDelete")),  # symbolic names
        (("resources", 1, "resources", 0, "name"), ("name",)),  # a child resource
        (("Resources", 0, "Properties", "Template", "resources", 2, "type"), ("type",)),  # a nested deployment's resource
        (("resources", 0, "properties", "template", "resources"), ("properties", "template", "resources")),
        (("resources", 4), ()),
        (("parameters", "vaultName", "defaultValue"), ("parameters", "vaultName", "defaultValue")),
        (("outputs", "resources", "value"), ("outputs", "resources", "value")),
    ],
)
def test_path_in_resource(json_path: tuple[Any, ...], inside: tuple[Any, ...]) -> None:
    assert path_in_resource(json_path) == inside


def test_the_key_keeps_the_full_path_of_a_finding_about_no_resource(tmp_path: Path) -> None:
    path = ("resources", 2, "properties", "x")
    about_no_resource = Finding("ARM001", "warning", "m", Position(str(tmp_path / "a.json"), 1, 1, 1, 1, path))
    assert finding_key(about_no_resource, str(tmp_path)) == ("ARM001", "a.json", "", '["resources",2,"properties","x"]')
