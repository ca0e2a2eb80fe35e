"""ARM property names are case-insensitive: the one place that looks a key up that way."""
from __future__ import annotations

from typing import Any


def find_key(obj: dict[str, Any], name: str) -> str | None:
    """The key of `obj` that matches `name`: the exact spelling first, then ignoring case."""
    if name in obj:
        return name
    lowered = name.lower()
    size = len(name)
    for key in obj:
        if len(key) == size and key.lower() == lowered:  # the length test spares most lower() calls
            return key
    return None
