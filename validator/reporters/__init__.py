"""Reporters: turn findings into text for people or documents for machines."""
from __future__ import annotations

from typing import Callable, Sequence

from ..lint import FileReport
from . import json_report, text

Reporter = Callable[[Sequence[FileReport]], str]

REPORTERS: dict[str, Reporter] = {
    "text": text.render,
    "json": json_report.render,
}
