"""ARM template functions: comparison."""
from __future__ import annotations

from ..registry import FunctionTable

TABLE = FunctionTable()
