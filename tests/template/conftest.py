"""Fixtures of the expansion tests."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from expand_helpers import write

from validator.api import expand
from validator.template.model import Expansion


@pytest.fixture
def run(tmp_path: Any) -> Callable[..., Expansion]:
    """`run(template, params_file=None, **expand_kwargs)`: write the template to tmp_path and expand it."""

    def _run(content: dict[str, Any] | str, parameters: dict[str, Any] | str | None = None, **kwargs: Any) -> Expansion:
        path = write(tmp_path, "main.json", content)
        if parameters is not None:
            kwargs["parameters_file"] = write(tmp_path, "main.parameters.json", parameters)
        return expand(path, **kwargs)

    return _run
