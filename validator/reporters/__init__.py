"""Reporters: turn findings into text for people or documents for machines."""
from __future__ import annotations

from collections.abc import Callable, Sequence

from ..lint import FileReport
from . import github, json_report, junit, markdown, sarif, text

Reporter = Callable[[Sequence[FileReport]], str]

REPORTERS: dict[str, Reporter] = {
    "text": text.render,
    "json": json_report.render,
    "sarif": sarif.render,
    "markdown": markdown.render,
    "github": github.render,
    "junit": junit.render,
}
