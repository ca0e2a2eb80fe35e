"""Every rule documents itself, and docs/rules/ is generated from that documentation."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from validator.docs import generate
from validator.rules import ALL_RULES, RESERVED
from validator.rules.base import DOC_SECTIONS

DOCS = Path(__file__).resolve().parents[2] / "docs" / "rules"


@pytest.mark.parametrize("rule", [*ALL_RULES, *RESERVED], ids=lambda r: r.id)
def test_rule_metadata_and_sections(rule) -> None:
    assert re.fullmatch(r"[A-Z]{2,4}\d{3}", rule.id)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name)
    assert rule.severity in ("error", "warning", "note")
    assert rule.summary and rule.remedy
    doc = rule.documentation()
    headings = re.findall(r"^## (.+)$", doc, re.MULTILINE)
    assert headings[: len(DOC_SECTIONS)] == list(DOC_SECTIONS), f"{rule.id}: sections {headings}"


def test_ids_and_names_are_unique() -> None:
    every = [*ALL_RULES, *RESERVED]
    assert len({r.id for r in every}) == len(every)
    assert len({r.name for r in every}) == len(every)


def test_docs_are_generated_from_the_rules() -> None:
    expected = generate()
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in DOCS.glob("*.md")}
    stale = sorted(set(expected) ^ set(on_disk)) + sorted(n for n in expected if n in on_disk and expected[n] != on_disk[n])
    assert not stale, f"docs/rules is stale ({', '.join(stale)}): run `python -m validator.docs docs/rules`"
