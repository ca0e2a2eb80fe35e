"""Finding ARM templates in a tree, and the parameter file that goes with each."""
from __future__ import annotations

import os
import re
from typing import Iterator

_TEMPLATE_SCHEMA = re.compile(rb'"\$schema"\s*:\s*"[^"]*/(?:subscription|managementGroup|tenant)?deploymentTemplate\.json', re.IGNORECASE)
_SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__", ".terraform", "bin", "obj"}


def is_template_file(path: str) -> bool:
    """ARM templates are recognised by their `$schema`, not by their name."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(1 << 16)
    except OSError:
        return False
    return bool(_TEMPLATE_SCHEMA.search(head))


def find_templates(paths: list[str]) -> Iterator[str]:
    """Every template under `paths`, in a stable order; files named explicitly are kept as they are."""
    for path in paths:
        if os.path.isdir(path):
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
                for name in sorted(files):
                    if name.lower().endswith((".json", ".jsonc")) and ".parameters" not in name.lower():
                        full = os.path.join(root, name)
                        if is_template_file(full):
                            yield full
        else:
            yield path


def parameter_file_for(template: str) -> str | None:
    """`azuredeploy.json` goes with `azuredeploy.parameters.json`, `main.json` with `main.parameters.json`."""
    folder, name = os.path.split(template)
    stem, _ = os.path.splitext(name)
    candidate = os.path.join(folder, f"{stem}.parameters.json")
    if os.path.isfile(candidate):
        return candidate
    return None
