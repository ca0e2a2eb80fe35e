"""`snapshot` and `check` through the real Azure SDK against the ARM emulator."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from typing import Any

import pytest

from validator.cli import main
from validator.state.snapshot import read_snapshot

from .conftest import (
    CI_PRINCIPAL,
    DATA_SCIENCE_GROUP,
    GROUP_ID,
    PARAMETERS,
    RG,
    ROOT,
    STORAGE_ID,
    SUB,
    TEMPLATE,
    VAULT_ID,
    WORKSPACE_ID,
    WORKSPACE_PRINCIPAL,
)
from .emulator import Emulator

CHECK_NAME = f"/subscriptions/{SUB}/providers/Microsoft.KeyVault/checkNameAvailability"
DELETED_VAULT = f"/subscriptions/{SUB}/providers/Microsoft.KeyVault/locations/westeurope/deletedVaults/kv-mlw-prod-001"


def _target(emulator: Emulator, *extra: str) -> list[str]:
    return [TEMPLATE, "-p", PARAMETERS, "--subscription-id", SUB, "--resource-group", RG, "--arm-endpoint", emulator.url, *extra]


def snapshot(emulator: Emulator, tmp_path: Any, *extra: str) -> tuple[int, dict[str, Any]]:
    out = tmp_path / "state.json"
    code = main(["snapshot", *_target(emulator, *extra), "-o", str(out)])
    return code, (json.loads(out.read_text()) if out.exists() else {})


def by_id(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["id"].lower(): entry for entry in document["resources"]}


def test_snapshot_records_what_the_subscription_holds(emulator: Emulator, azure_env: Any, tmp_path: Any, az_folder: str) -> None:
    code, document = snapshot(emulator, tmp_path)
    assert code == 0
    assert (document["version"], document["subscriptionId"], document["resourceGroup"]) == (1, SUB, RG)
    entries = by_id(document)
    assert {key: e["status"] for key, e in entries.items()} == {
        key.lower(): "found"
        for key in (GROUP_ID, VAULT_ID, WORKSPACE_ID, STORAGE_ID)
        + tuple(f"{GROUP_ID}/providers/{t}" for t in ("Microsoft.Insights/components/appi-mlw-prod", "Microsoft.ContainerRegistry/registries/crmlwprod001", "Microsoft.OperationalInsights/workspaces/log-mlw-prod"))
    }
    assert entries[WORKSPACE_ID.lower()]["apiVersion"] == "2024-04-01"  # the template's api-version
    assert entries[WORKSPACE_ID.lower()]["body"]["identity"]["principalId"] == WORKSPACE_PRINCIPAL
    policies = entries[VAULT_ID.lower()]["body"]["properties"]["accessPolicies"]
    assert [p["objectId"] for p in policies] == [WORKSPACE_PRINCIPAL, DATA_SCIENCE_GROUP, CI_PRINCIPAL]
    insights = next(e for k, e in entries.items() if k.endswith("/appi-mlw-prod"))["body"]["properties"]
    assert insights["ConnectionString"] == insights["InstrumentationKey"] == "<redacted>"
    assert "0c8e6f1a" not in json.dumps(document)
    assert document["deletedVaults"] == [{"name": "kv-mlw-prod-001", "found": False}]
    assert document["vaultNames"][0]["available"] is False and document["vaultNames"][0]["reason"] == "AlreadyExists"
    assert document["groupResources"] is None  # incremental mode does not list the group

    # Read only: GETs, plus the one POST of checkNameAvailability; each lookup once; one sign-in.
    methods = Counter((r.method, r.path if r.method == "POST" else "") for r in emulator.requests)
    assert methods == {("GET", ""): 8, ("POST", CHECK_NAME): 1}  # the group, 6 resources, the deleted vault
    assert emulator.requests[[r.method for r in emulator.requests].index("POST")].body == {"name": "kv-mlw-prod-001", "type": "Microsoft.KeyVault/vaults"}
    assert max(Counter(p.lower() for p in emulator.paths()).values()) == 1
    assert DELETED_VAULT in emulator.paths("GET")
    with open(os.path.join(az_folder, "az-calls.log")) as log:
        calls = log.read().splitlines()
    assert calls == [f"account get-access-token --output json --resource {emulator.url}"]


def test_complete_mode_lists_the_group_across_pages(emulator: Emulator, azure_env: Any, tmp_path: Any) -> None:
    code, document = snapshot(emulator, tmp_path, "--mode", "complete")
    assert code == 0
    group = document["groupResources"]
    assert group["status"] == "found"
    assert sorted(item["name"] for item in group["resources"]) == [
        "appi-mlw-prod", "crmlwprod001", "kv-mlw-prod-001", "log-mlw-prod", "mlw-prod", "pe-kv-mlw-prod", "stmlwprod001",
    ]
    listing = [p for p in emulator.paths("GET") if p.lower().endswith("/resources")]
    assert len(listing) == 4  # 7 resources, 2 a page: the SDK followed nextLink


def test_a_missing_resource_is_new(emulator: Emulator, azure_env: Any, tmp_path: Any) -> None:
    del emulator.resources[WORKSPACE_ID.lower()]
    code, document = snapshot(emulator, tmp_path)
    assert code == 0
    assert by_id(document)[WORKSPACE_ID.lower()] == {"id": WORKSPACE_ID, "apiVersion": "2024-04-01", "status": "not_found"}


@pytest.mark.parametrize("action", ["Microsoft.KeyVault/vaults/read", None])
def test_forbidden_lookup_names_the_missing_permission(emulator: Emulator, azure_env: Any, tmp_path: Any, action: str | None) -> None:
    emulator.fault(VAULT_ID, status=403, action=action)
    emulator.fault(DELETED_VAULT, status=403)
    code, document = snapshot(emulator, tmp_path)
    assert code == 0
    entries = by_id(document)
    vault = entries[VAULT_ID.lower()]
    assert (vault["status"], vault["missingPermission"]) == ("forbidden", "Microsoft.KeyVault/vaults/read")
    assert "body" not in vault
    deleted = entries[DELETED_VAULT.lower()]
    assert (deleted["status"], deleted["missingPermission"]) == ("forbidden", "Microsoft.KeyVault/locations/deletedVaults/read")
    assert document["deletedVaults"] == []  # not answered, so not recorded as "none found"
    assert entries[WORKSPACE_ID.lower()]["status"] == "found"  # the other lookups still ran


def test_throttling_is_retried_after_the_pause_azure_asks_for(emulator: Emulator, azure_env: Any, tmp_path: Any) -> None:
    emulator.fault(WORKSPACE_ID, status=429, retry_after=1, times=1)
    started = time.monotonic()
    code, document = snapshot(emulator, tmp_path)
    assert code == 0
    assert by_id(document)[WORKSPACE_ID.lower()]["status"] == "found"
    assert emulator.paths("GET").count(WORKSPACE_ID) == 2
    assert time.monotonic() - started >= 1.0


def test_server_errors_are_retried_then_reported_within_the_time_budget(emulator: Emulator, azure_env: Any, tmp_path: Any) -> None:
    emulator.fault(STORAGE_ID, status=500)
    started = time.monotonic()
    code, document = snapshot(emulator, tmp_path, "--timeout", "4")
    elapsed = time.monotonic() - started
    assert code == 0
    storage = by_id(document)[STORAGE_ID.lower()]
    assert storage["status"] == "error" and "500" in storage["message"]
    assert emulator.paths("GET").count(STORAGE_ID) > 1
    assert elapsed < 8


def test_a_slow_answer_is_cut_off_by_the_time_budget(emulator: Emulator, azure_env: Any, tmp_path: Any) -> None:
    emulator.fault(STORAGE_ID, delay=5)
    started = time.monotonic()
    code, document = snapshot(emulator, tmp_path, "--timeout", "1")
    assert code == 0
    assert by_id(document)[STORAGE_ID.lower()]["status"] == "error"
    assert by_id(document)[VAULT_ID.lower()]["status"] == "found"
    assert time.monotonic() - started < 4.5


def test_no_credentials_exit_2_with_sign_in_advice(emulator: Emulator, azure_env: Any, tmp_path: Any, az_folder: str, capsys: Any) -> None:
    from .emulator import write_fake_az

    write_fake_az(az_folder, exit_code=1)
    code, _ = snapshot(emulator, tmp_path)
    err = capsys.readouterr().err
    assert code == 2
    assert "az login" in err and "AZURE_CLIENT_ID" in err and "managed identity" in err
    assert "Traceback" not in err
    assert emulator.requests == []


def test_a_rejected_token_exit_2_with_sign_in_advice(emulator: Emulator, azure_env: Any, tmp_path: Any, capsys: Any) -> None:
    emulator.fault(VAULT_ID, status=401)
    code = main(["check", *_target(emulator)])
    captured = capsys.readouterr()
    assert code == 2
    assert "rejected the credentials" in captured.err and "az login" in captured.err
    assert "emulator-token" not in captured.err + captured.out


def test_unreachable_endpoint_is_a_clear_error(azure_env: Any, tmp_path: Any, capsys: Any) -> None:
    started = time.monotonic()
    code = main(["snapshot", TEMPLATE, "-p", PARAMETERS, "--subscription-id", SUB, "--resource-group", RG, "--arm-endpoint", "https://127.0.0.1:1", "--timeout", "3"])
    err = capsys.readouterr().err
    assert code == 2
    assert "cannot reach Azure Resource Manager at https://127.0.0.1:1" in err and "Traceback" not in err
    assert time.monotonic() - started < 8


def test_the_sdk_never_registers_a_provider(emulator: Emulator, azure_env: Any, tmp_path: Any) -> None:
    # 409 MissingSubscriptionRegistration makes the SDK's registration policy POST .../register: refused.
    emulator.fault(WORKSPACE_ID, status=409, times=1)
    code, document = snapshot(emulator, tmp_path)
    assert code == 0
    workspace = by_id(document)[WORKSPACE_ID.lower()]
    assert workspace["status"] == "error" and "refusing POST" in workspace["message"]
    assert emulator.paths("POST") == [CHECK_NAME]


def test_check_with_a_snapshot_reports_what_the_live_check_reports(emulator: Emulator, azure_env: Any, tmp_path: Any, capsys: Any) -> None:
    code, _ = snapshot(emulator, tmp_path)
    assert code == 0
    capsys.readouterr()
    live_code = main(["check", *_target(emulator, "--format", "json")])
    live = capsys.readouterr()
    state_code = main(["check", TEMPLATE, "-p", PARAMETERS, "--subscription-id", SUB, "--resource-group", RG, "--format", "json", "--state", str(tmp_path / "state.json")])
    offline = capsys.readouterr()
    assert (live_code, json.loads(live.out)) == (state_code, json.loads(offline.out))
    assert offline.err == ""


def test_snapshot_state_equals_live_state(emulator: Emulator, azure_env: Any, tmp_path: Any) -> None:
    from validator.state.snapshot import state_from_json, state_to_json

    code, document = snapshot(emulator, tmp_path, "--mode", "complete")
    assert code == 0
    state = read_snapshot(str(tmp_path / "state.json"))
    assert state_to_json(state) == document
    assert state_to_json(state_from_json(document)) == document


def test_check_refuses_a_snapshot_of_another_subscription(azure_env: Any, tmp_path: Any, capsys: Any) -> None:
    code = main(["check", TEMPLATE, "-p", PARAMETERS, "--subscription-id", "99999999-2222-3333-4444-555555555555", "--resource-group", RG, "--state", "templates/ml-workspace-risky/state.json"])
    assert code == 2
    assert "the snapshot is for --subscription-id 11111111-2222-3333-4444-555555555555" in capsys.readouterr().err


def test_check_as_a_subprocess_end_to_end(emulator: Emulator, azure_env: dict[str, str]) -> None:
    env = {key: value for key, value in os.environ.items()}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "validator", "check", *_target(emulator, "--format", "json", "--fail-on", "never")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "emulator-token" not in done.stdout + done.stderr
    json.loads(done.stdout)
    assert {r.method for r in emulator.requests} == {"GET", "POST"}
    assert time.monotonic() - started < 20


def test_lint_does_not_import_the_azure_sdk() -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "validator", "lint", "templates/", "--fail-on", "never"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )
    imported = [line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")]
    assert imported, done.stderr
    assert not [name for name in imported if name.split(".")[0] in ("azure", "msal", "requests")]
