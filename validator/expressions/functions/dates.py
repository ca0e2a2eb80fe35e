"""ARM template functions: dates."""
from __future__ import annotations

from ..registry import FunctionTable

TABLE = FunctionTable()
