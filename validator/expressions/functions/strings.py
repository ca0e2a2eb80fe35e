"""ARM template functions: strings."""
from __future__ import annotations

from ..registry import FunctionTable

TABLE = FunctionTable()
