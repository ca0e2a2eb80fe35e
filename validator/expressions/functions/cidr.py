"""ARM template functions: cidr."""
from __future__ import annotations

from ..registry import FunctionTable

TABLE = FunctionTable()
