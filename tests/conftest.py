"""Fixtures shared by the tests that read Azure through the real SDK (tests/state, tests/fixes):
the ARM emulator over HTTPS serving the risky ML workspace world, a stand-in `az`, and the
environment of the product under test (set through os.environ only; nothing is monkeypatched).

tests/ is on sys.path (pytest's rootdir-less conftest), so the emulator and the world are
imported from the `state` test package, where they live.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from state.conftest import ROOT, risky_world
from state.emulator import (
    CREDENTIAL_VARIABLES,
    Certificates,
    Emulator,
    environment,
    make_certificates,
    write_fake_az,
)


@pytest.fixture(scope="session")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(str(tmp_path_factory.mktemp("tls")))


@pytest.fixture
def emulator(certificates: Certificates) -> Iterator[Emulator]:
    arm = Emulator(certificates).start()
    for body in risky_world():
        arm.add(body)
    try:
        yield arm
    finally:
        arm.stop()


@pytest.fixture
def az_folder(tmp_path: Any) -> str:
    folder = tmp_path / "bin"
    folder.mkdir()
    return write_fake_az(str(folder))


@pytest.fixture
def azure_env(monkeypatch: pytest.MonkeyPatch, certificates: Certificates, az_folder: str) -> dict[str, str]:
    """The product's environment: the test CA, the stand-in `az`, no traffic off 127.0.0.1."""
    for name in CREDENTIAL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    env = environment(certificates, az_folder)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(ROOT)
    return env
