"""ARM template functions: arrays."""
from __future__ import annotations

from ..registry import FunctionTable

TABLE = FunctionTable()
