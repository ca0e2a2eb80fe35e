"""ARM template functions: numeric."""
from __future__ import annotations

from ..registry import FunctionTable

TABLE = FunctionTable()
