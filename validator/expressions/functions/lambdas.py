"""ARM template functions: lambdas."""
from __future__ import annotations

from ..registry import FunctionTable

TABLE = FunctionTable()
