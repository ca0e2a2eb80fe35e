"""Generates `docs/rules/` from the rules themselves: `python -m validator.docs docs/rules`.

A test regenerates it in memory and fails when the files on disk are stale.
"""
from __future__ import annotations

import os
import sys

from .rules import ALL_RULES, RESERVED
from .rules.base import Rule


def rule_page(rule: type[Rule]) -> str:
    summary = rule.summary[0].upper() + rule.summary[1:]
    return (
        f"# {rule.id}: {rule.name}\n\n"
        f"{summary}. Default severity: **{rule.severity}**.\n\n"
        f"{rule.documentation()}\n"
    )


def index_page() -> str:
    lines = [
        "# Rules",
        "",
        "Generated from the rules by `python -m validator.docs docs/rules`; do not edit by hand.",
        "",
        "| id | name | severity | summary |",
        "| --- | --- | --- | --- |",
    ]
    for rule in (*ALL_RULES, *RESERVED):
        lines.append(f"| [{rule.id}]({rule.id}.md) | {rule.name} | {rule.severity} | {rule.summary} |")
    return "\n".join(lines) + "\n"


def generate() -> dict[str, str]:
    pages = {f"{rule.id}.md": rule_page(rule) for rule in (*ALL_RULES, *RESERVED)}
    pages["README.md"] = index_page()
    return pages


def main(folder: str) -> None:
    os.makedirs(folder, exist_ok=True)
    for stale in os.listdir(folder):
        if stale.endswith(".md"):
            os.remove(os.path.join(folder, stale))
    for name, text in generate().items():
        with open(os.path.join(folder, name), "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/rules")
