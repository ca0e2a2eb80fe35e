"""Golden outputs of the CI reporters on the sample templates.

The rules are still changing, so the goldens are regenerated, not edited by hand:
`UPDATE_GOLDEN=1 python -m pytest tests/reporters/test_golden.py`, then review the diff.
The tool version and the absolute repository path are normalised out.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from reporter_helpers import REPO, SAMPLES, lint_samples

from validator.lint import FileReport
from validator.reporters import github, junit, markdown, sarif

GOLDEN = Path(__file__).parent / "golden"
FORMATS = {"sarif": ("sarif.json", sarif.render), "markdown": ("md", markdown.render), "github": ("github.txt", github.render), "junit": ("junit.xml", junit.render)}
SAMPLE_NAMES = sorted(p.name for p in SAMPLES.iterdir() if p.is_dir())


def _normalise(text: str, format_name: str) -> str:
    """Drop what changes for reasons other than this reporter: the version, the checkout path, rule docs."""
    text = text.replace(REPO.resolve().as_uri(), "file:///REPO")
    if format_name == "sarif":
        document = json.loads(text)
        driver = document["runs"][0]["tool"]["driver"]
        driver["version"] = "VERSION"
        for rule in driver["rules"]:  # rule docs have their own tests; here only their presence matters
            assert rule["help"]["text"] and rule["fullDescription"]["text"]
            rule["help"] = {"text": f"(documentation of {rule['id']})", "markdown": f"(documentation of {rule['id']})"}
            rule["fullDescription"] = {"text": f"(what {rule['id']} does)"}
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return text


@pytest.fixture(scope="module")
def sample_reports() -> dict[str, list[FileReport]]:
    """Each sample folder linted from the repository root, as `arm-validator lint templates/NAME` would."""
    here = os.getcwd()
    os.chdir(REPO)
    try:
        return {name: lint_samples(Path("templates") / name) for name in SAMPLE_NAMES}
    finally:
        os.chdir(here)


@pytest.mark.parametrize("format_name", sorted(FORMATS))
@pytest.mark.parametrize("sample", SAMPLE_NAMES)
def test_golden(sample: str, format_name: str, sample_reports: dict[str, list[FileReport]], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    suffix, render = FORMATS[format_name]
    actual = _normalise(render(sample_reports[sample]), format_name)
    golden = GOLDEN / f"{sample}.{suffix}"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_text(actual, encoding="utf-8")
    assert golden.exists(), f"no golden file {golden.name}: run with UPDATE_GOLDEN=1 to create it"
    assert actual == golden.read_text(encoding="utf-8"), f"{golden.name} differs: if the change is intended, run with UPDATE_GOLDEN=1"


def test_every_golden_file_belongs_to_a_sample() -> None:
    expected = {f"{sample}.{suffix}" for sample in SAMPLE_NAMES for suffix, _ in FORMATS.values()}
    assert {p.name for p in GOLDEN.iterdir()} <= expected
