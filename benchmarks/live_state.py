"""Live-state read speed: a template touching 50 resources against the ARM emulator with 100 ms
of latency on every answer. Reads run concurrently, so the wall time should be a small multiple
of 100 ms, not 50 of them.

    python benchmarks/live_state.py        # from the repository root
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tests.state.emulator import (
    CREDENTIAL_VARIABLES,
    Emulator,
    environment,
    make_certificates,
    write_fake_az,
)

LATENCY = 0.100
SUB, RG = "11111111-2222-3333-4444-555555555555", "rg-bench"


def template(count: int = 50) -> dict:
    """`count` resources: vaults (each also a deleted-vault read and a name check), workspaces
    linking to them, and storage accounts."""
    resources = []
    for i in range(count):
        kind = i % 5
        if kind == 0:
            resources.append({"type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01", "name": f"kv-bench-{i}", "location": "westeurope",
                              "properties": {"tenantId": "[subscription().tenantId]", "sku": {"family": "A", "name": "standard"}, "accessPolicies": []}})
        elif kind == 1:
            resources.append({"type": "Microsoft.MachineLearningServices/workspaces", "apiVersion": "2024-04-01", "name": f"mlw-bench-{i}", "location": "westeurope",
                              "identity": {"type": "SystemAssigned"},
                              "properties": {"keyVault": f"[resourceId('Microsoft.KeyVault/vaults', 'kv-bench-{i - 1}')]",
                                             "storageAccount": f"[resourceId('Microsoft.Storage/storageAccounts', 'stbench{i + 1}')]"}})
        else:
            resources.append({"type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-05-01", "name": f"stbench{i}", "location": "westeurope",
                              "sku": {"name": "Standard_LRS"}, "kind": "StorageV2", "properties": {}})
    return {"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", "contentVersion": "1.0.0.0", "resources": resources}


def main() -> int:
    from validator.cli import main as cli

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "bench.json")
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(template(), handle)
        emulator = Emulator(make_certificates(folder)).start()
        emulator.add({"id": f"/subscriptions/{SUB}/resourceGroups/{RG}", "name": RG, "type": "Microsoft.Resources/resourceGroups", "location": "westeurope"})
        for i in range(0, 50, 2):  # half the resources exist
            name = {0: f"kv-bench-{i}", 1: f"mlw-bench-{i}"}.get(i % 5, f"stbench{i}")
            rtype = {0: "Microsoft.KeyVault/vaults", 1: "Microsoft.MachineLearningServices/workspaces"}.get(i % 5, "Microsoft.Storage/storageAccounts")
            emulator.add({"id": f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/{rtype}/{name}", "name": name, "type": rtype, "location": "westeurope", "properties": {}})
        for name in CREDENTIAL_VARIABLES:
            os.environ.pop(name, None)
        os.environ.update(environment(emulator.certificates, write_fake_az(folder)))
        cli(["snapshot", path, "--subscription-id", SUB, "--resource-group", RG, "--arm-endpoint", emulator.url, "-o", os.path.join(folder, "warm.json")])
        emulator.requests.clear()
        emulator.latency = LATENCY
        started = time.perf_counter()
        code = cli(["snapshot", path, "--subscription-id", SUB, "--resource-group", RG, "--arm-endpoint", emulator.url, "-o", os.path.join(folder, "state.json")])
        elapsed = time.perf_counter() - started
        emulator.stop()
    requests = len(emulator.requests)
    print(f"snapshot of 50 resources: {requests} requests at {LATENCY * 1000:.0f} ms each, "
          f"wall time {elapsed * 1000:.0f} ms = {elapsed / LATENCY:.1f} x 100 ms "
          f"(one at a time: {requests * LATENCY * 1000:.0f} ms), exit {code}")
    return code


if __name__ == "__main__":
    sys.exit(main())
