"""Fixtures of the reporter tests."""
from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def no_step_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    """Running the tests inside GitHub Actions must not write to the job's real summary."""
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
