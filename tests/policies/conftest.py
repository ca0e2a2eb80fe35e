"""Fixtures of the policy tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from policy_helpers import LintPolicy, make_lint_policy


@pytest.fixture
def lint_policy(tmp_path: Path) -> LintPolicy:
    """lint_policy(policy, template, params=...) -> the policy's findings (see policy_helpers)."""
    return make_lint_policy(tmp_path)
