"""ARM property names are case-insensitive: the one place that looks a key up that way."""
from __future__ import annotations

from typing import Any


def find_key(obj: dict[str, Any], name: str, usual: frozenset[str] | None = None) -> str | None:
    """The key of `obj` that matches `name`: the exact spelling first, then ignoring case.

    `usual`: the spellings an object of this kind usually has, `name`'s among them. An object
    whose keys are all among them has no other spelling of `name`: a subset test, in C, settles
    that without lower-casing its keys (most objects, on the rules' hot paths)."""
    if name in obj:
        return name
    if usual is not None and obj.keys() <= usual:
        return None
    lowered = name.lower()
    size = len(name)
    for key in obj:
        if len(key) == size and key.lower() == lowered:  # the length test spares most lower() calls
            return key
    return None
