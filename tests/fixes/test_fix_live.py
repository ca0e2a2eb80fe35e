"""`arm-validator fix` with a live subscription: the real Azure SDK against the ARM emulator on
127.0.0.1 (fixtures in tests/conftest.py), deciding `keyVaultOption` in the parameter file."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from state.conftest import INSIGHTS_ID, REGISTRY_ID, RG, ROOT, STORAGE_ID, SUB, VAULT_ID
from state.emulator import TOKEN, Emulator, write_fake_az

from validator.cli import main

SAMPLE = os.path.join(ROOT, "templates", "ml-workspace-risky")
CHECK_NAME = f"/subscriptions/{SUB}/providers/Microsoft.KeyVault/checkNameAvailability"
ENTRY = '    },\n    "keyVaultOption": {\n      "value": "existing"\n    }\n'


@pytest.fixture
def vault_world(emulator: Emulator) -> Emulator:
    """The risky world with only the vault among the workspace's linked resources: the storage
    account, Application Insights and registry are new, so the vault alone decides an option."""
    for resource_id in (STORAGE_ID, INSIGHTS_ID, REGISTRY_ID):
        del emulator.resources[resource_id.lower()]
    return emulator


@pytest.fixture
def sample(tmp_path: Any) -> str:
    """A copy of the risky sample (template and parameter file); returns the template's path."""
    folder = tmp_path / "risky"
    shutil.copytree(SAMPLE, folder)
    return str(folder / "azuredeploy.json")


def parameters_of(template: str) -> Path:
    return Path(template).with_name("azuredeploy.parameters.json")


def fix_live(emulator: Emulator, template: str, *extra: str) -> int:
    return main(["fix", template, "--subscription-id", SUB, "--resource-group", RG, "--arm-endpoint", emulator.url, *extra])


def test_an_existing_vault_sets_existing_in_the_parameter_file(vault_world: Emulator, azure_env: Any, sample: str, az_folder: str, capsys: Any) -> None:
    before = parameters_of(sample).read_text(encoding="utf-8")
    assert fix_live(vault_world, sample, "--write") == 0
    err = capsys.readouterr().err
    # The entry is added after the last one, laid out like its neighbours; nothing else moves.
    assert parameters_of(sample).read_text(encoding="utf-8") == before.replace('    }\n  }\n}', ENTRY[:-1] + "\n  }\n}", 1)
    assert before.count("\n") + 3 == parameters_of(sample).read_text(encoding="utf-8").count("\n")
    assert f"state: {VAULT_ID} exists: keyVaultOption is 'existing'" in err
    assert "\"condition\": \"[equals(parameters('keyVaultOption'), 'new')]\"" in Path(sample).read_text(encoding="utf-8")
    # Read only, at the emulator only: GETs plus the vault-name check, each with the stand-in az's token.
    assert {(r.method, r.path if r.method == "POST" else "") for r in vault_world.requests} == {("GET", ""), ("POST", CHECK_NAME)}
    assert {r.authorization for r in vault_world.requests} == {f"Bearer {TOKEN}"}
    assert VAULT_ID in vault_world.paths("GET")
    assert Path(az_folder, "az-calls.log").read_text().splitlines() == [f"account get-access-token --output json --resource {vault_world.url}"]
    assert TOKEN not in err
    # A second run reads the same subscription and changes nothing.
    written = parameters_of(sample).read_bytes(), Path(sample).read_bytes()
    assert fix_live(vault_world, sample, "--write") == 0
    assert (parameters_of(sample).read_bytes(), Path(sample).read_bytes()) == written


def test_the_parameter_file_is_created_when_there_is_none(vault_world: Emulator, azure_env: Any, sample: str, capsys: Any) -> None:
    given = json.loads(parameters_of(sample).read_text(encoding="utf-8"))["parameters"]  # the same names, on the command line
    parameters_of(sample).unlink()
    names = [arg for name, entry in given.items() for arg in ("--param", f"{name}={entry['value']}")]
    assert fix_live(vault_world, sample, *names) == 0
    out = capsys.readouterr().out
    assert f"--- /dev/null\n+++ b/{parameters_of(sample)}\n" in out  # the diff creates the file
    assert not parameters_of(sample).exists()  # --diff writes nothing
    assert fix_live(vault_world, sample, *names, "--write") == 0
    created = parameters_of(sample).read_text(encoding="utf-8")
    assert json.loads(created)["parameters"] == {"keyVaultOption": {"value": "existing"}}
    assert created.startswith('{\n  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",\n')
    assert created.endswith('  "parameters": {\n    "keyVaultOption": {\n      "value": "existing"\n    }\n  }\n}\n')


def test_a_missing_vault_stays_new(vault_world: Emulator, azure_env: Any, sample: str, capsys: Any) -> None:
    del vault_world.resources[VAULT_ID.lower()]
    before = parameters_of(sample).read_bytes()
    assert fix_live(vault_world, sample, "--write") == 0
    err = capsys.readouterr().err
    assert parameters_of(sample).read_bytes() == before  # no entry: the default says 'new'
    assert "keyVaultOption" in Path(sample).read_text(encoding="utf-8")  # the template is still fixed
    assert f"state: {VAULT_ID} does not exist: keyVaultOption is 'new'" in err
    assert VAULT_ID in vault_world.paths("GET")


def test_a_forbidden_vault_leaves_the_parameter_file_alone_and_says_why(vault_world: Emulator, azure_env: Any, sample: str, capsys: Any) -> None:
    vault_world.fault(VAULT_ID, status=403)
    before = parameters_of(sample).read_bytes()
    assert fix_live(vault_world, sample, "--write") == 0
    err = capsys.readouterr().err
    assert parameters_of(sample).read_bytes() == before
    assert (
        f"state: cannot tell whether {VAULT_ID} exists (forbidden: the caller lacks Microsoft.KeyVault/vaults/read): "
        "keyVaultOption left as it is; set it by hand"
    ) in err
    assert "Traceback" not in err


@pytest.mark.parametrize("given", [["--subscription-id", SUB], ["--resource-group", RG]])
def test_half_a_target_is_a_usage_error(emulator: Emulator, azure_env: Any, sample: str, capsys: Any, given: list[str]) -> None:
    before = Path(sample).read_bytes()
    assert main(["fix", sample, *given, "--arm-endpoint", emulator.url, "--write"]) == 2
    err = capsys.readouterr().err
    missing = "--resource-group" if given[0] == "--subscription-id" else "--subscription-id"
    assert err == f"error: {given[0]} without {missing}: reading Azure needs both (the subscription and the group the template is deployed to)\n"
    assert emulator.requests == [] and Path(sample).read_bytes() == before


def test_a_live_option_without_a_target_is_a_usage_error(emulator: Emulator, azure_env: Any, sample: str, capsys: Any) -> None:
    assert main(["fix", sample, "--arm-endpoint", emulator.url]) == 2
    assert capsys.readouterr().err == "error: --subscription-id and --resource-group are required to read Azure (or --state FILE, a snapshot)\n"
    assert emulator.requests == []


def test_state_and_a_live_read_exclude_each_other(emulator: Emulator, azure_env: Any, sample: str, capsys: Any) -> None:
    snapshot = os.path.join(SAMPLE, "state.json")
    assert fix_live(emulator, sample, "--state", snapshot) == 2
    assert capsys.readouterr().err == "error: --state reads a snapshot, not Azure: --arm-endpoint would be ignored; give one or the other\n"
    assert main(["fix", sample, "--state", snapshot, "--timeout", "5"]) == 2
    assert "--timeout would be ignored" in capsys.readouterr().err
    other = "99999999-2222-3333-4444-555555555555"
    assert main(["fix", sample, "--state", snapshot, "--subscription-id", other, "--resource-group", RG]) == 2
    assert capsys.readouterr().err == f"error: {snapshot}: the snapshot is for --subscription-id {SUB}, not {other}\n"
    assert emulator.requests == []


def test_the_snapshot_and_the_live_read_write_the_same_parameter_file(emulator: Emulator, azure_env: Any, sample: str, tmp_path: Any, capsys: Any) -> None:
    """The sample snapshot was taken from this world: `--state` (naming the same subscription and
    group, which it checks) must decide as the live read does."""
    live_copy = tmp_path / "live"
    shutil.copytree(os.path.dirname(sample), live_copy)
    assert fix_live(emulator, str(live_copy / "azuredeploy.json"), "--write") == 0
    requests = len(emulator.requests)
    snapshot = os.path.join(SAMPLE, "state.json")
    assert main(["fix", sample, "--state", snapshot, "--subscription-id", SUB, "--resource-group", RG, "--write"]) == 0
    assert len(emulator.requests) == requests  # the snapshot run read nothing
    assert parameters_of(sample).read_text(encoding="utf-8") == (live_copy / "azuredeploy.parameters.json").read_text(encoding="utf-8")
    assert Path(sample).read_text(encoding="utf-8") == (live_copy / "azuredeploy.json").read_text(encoding="utf-8")
    assert '"keyVaultOption": {\n      "value": "existing"\n    }' in parameters_of(sample).read_text(encoding="utf-8")
    capsys.readouterr()
    # Without them, the snapshot's subscription and group are the target.
    shutil.copy(os.path.join(SAMPLE, "azuredeploy.parameters.json"), parameters_of(sample))
    assert main(["fix", sample, "--state", snapshot]) == 0
    assert '+    "keyVaultOption": {\n+      "value": "existing"\n' in capsys.readouterr().out


def test_without_a_target_fix_reads_nothing(emulator: Emulator, azure_env: Any, sample: str, capsys: Any) -> None:
    before = parameters_of(sample).read_bytes()
    assert main(["fix", sample, "--write"]) == 0
    assert "state:" not in capsys.readouterr().err
    assert parameters_of(sample).read_bytes() == before and emulator.requests == []


def _one_line_error(capsys: Any) -> str:
    err: str = capsys.readouterr().err
    assert "Traceback" not in err and TOKEN not in err
    assert err.count("\n") == 1 and err.startswith("error: "), err
    return err


def test_a_group_that_does_not_exist_exits_2(emulator: Emulator, azure_env: Any, sample: str, capsys: Any) -> None:
    before = Path(sample).read_bytes()
    assert main(["fix", sample, "--subscription-id", SUB, "--resource-group", "rg-gone", "--arm-endpoint", emulator.url, "--write"]) == 2
    assert _one_line_error(capsys) == f"error: resource group 'rg-gone' not found in subscription {SUB}\n"
    assert Path(sample).read_bytes() == before


def test_both_target_flags_alone_read_azure_and_no_credentials_exit_2(azure_env: Any, sample: str, az_folder: str, capsys: Any) -> None:
    # No --arm-endpoint: the public cloud's. The stand-in az is not signed in, so the run stops at
    # sign-in, before any request leaves the machine; its log shows which endpoint was asked for.
    write_fake_az(az_folder, exit_code=1)
    before = Path(sample).read_bytes()
    assert main(["fix", sample, "--subscription-id", SUB, "--resource-group", RG, "--write"]) == 2
    assert "az login" in _one_line_error(capsys)
    assert Path(az_folder, "az-calls.log").read_text().splitlines() == ["account get-access-token --output json --resource https://management.azure.com"]
    assert Path(sample).read_bytes() == before


def test_a_rejected_token_exits_2(emulator: Emulator, azure_env: Any, sample: str, capsys: Any) -> None:
    emulator.fault(f"/subscriptions/{SUB}/resourceGroups/{RG}", status=401)
    assert fix_live(emulator, sample) == 2
    assert "rejected the credentials" in _one_line_error(capsys)


def test_an_unreachable_endpoint_exits_2_within_the_time_budget(azure_env: Any, sample: str, capsys: Any) -> None:
    before = Path(sample).read_bytes()
    code = main(["fix", sample, "--subscription-id", SUB, "--resource-group", RG, "--arm-endpoint", "https://127.0.0.1:1", "--timeout", "2", "--write"])
    assert code == 2
    assert _one_line_error(capsys).startswith("error: cannot reach Azure Resource Manager at https://127.0.0.1:1")
    assert Path(sample).read_bytes() == before


def test_the_product_is_kept_on_loopback(azure_env: dict[str, str]) -> None:
    """Every test here names the emulator's endpoint; whatever else the SDK might try goes to a
    refused proxy on 127.0.0.1, and no credential but the stand-in `az` is in the environment."""
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"):
        assert os.environ[name].startswith("http://127.0.0.1:")
    assert os.environ["NO_PROXY"] == "127.0.0.1,localhost"
    assert os.environ["AZURE_TOKEN_CREDENTIALS"] == "AzureCliCredential"
    assert not [name for name in ("AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "IDENTITY_ENDPOINT", "MSI_ENDPOINT") if name in os.environ]


def test_fix_offline_or_from_a_snapshot_does_not_import_the_azure_sdk(sample: str) -> None:
    for extra in ([], ["--state", os.path.join(SAMPLE, "state.json")]):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "validator", "fix", sample, *extra],
            cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
        )
        imported = [line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")]
        assert done.returncode == 0 and imported, done.stderr
        assert not [name for name in imported if name.split(".")[0] in ("azure", "msal", "requests")]
