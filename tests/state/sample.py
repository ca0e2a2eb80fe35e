"""Regenerate templates/ml-workspace-risky/state.json with `arm-validator snapshot` against the
emulator serving the risky ML workspace world (so the sample is a real, valid snapshot).

    python -m tests.state.sample            # from the repository root
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
from typing import Any

from .conftest import PARAMETERS, RG, ROOT, SUB, TEMPLATE, risky_world
from .emulator import (
    CREDENTIAL_VARIABLES,
    Emulator,
    environment,
    make_certificates,
    write_fake_az,
)

SAMPLE = os.path.join(ROOT, "templates", "ml-workspace-risky", "state.json")
CAPTURED_AT = "2026-11-20T08:30:00Z"  # fixed, so regenerating changes nothing


def generate(path: str) -> dict[str, Any]:
    """Take the sample snapshot into `path` (the caller's os.environ is changed for the run)."""
    from validator.cli import main

    with tempfile.TemporaryDirectory() as folder:
        emulator = Emulator(make_certificates(folder)).start()
        try:
            for body in risky_world():
                emulator.add(body)
            for name in CREDENTIAL_VARIABLES:
                os.environ.pop(name, None)
            os.environ.update(environment(emulator.certificates, write_fake_az(folder)))
            argv = ["snapshot", TEMPLATE, "-p", PARAMETERS, "--subscription-id", SUB, "--resource-group", RG, "--mode", "complete"]
            code = main([*argv, "--arm-endpoint", emulator.url, "-o", path])
        finally:
            emulator.stop()
    if code != 0:
        raise SystemExit(f"snapshot failed with exit code {code}")
    with open(path, encoding="utf-8") as handle:
        document: dict[str, Any] = json.load(handle)
    document["capturedAt"] = CAPTURED_AT
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(document, indent=2) + "\n")
    return document


if __name__ == "__main__":
    os.chdir(ROOT)
    generate(SAMPLE)
    print(f"wrote {SAMPLE}", file=sys.stderr)
