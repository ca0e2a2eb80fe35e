"""GitHub Actions workflow commands: one per finding, escaped, columns only on one line; the job summary."""
from __future__ import annotations

from pathlib import Path

import pytest
from reporter_helpers import finding

from validator.lint import FileReport
from validator.reporters import REPORTERS, github


def test_registered_as_a_format() -> None:
    assert REPORTERS["github"] is github.render


def test_one_command_per_finding_with_its_level(tmp_path: Path) -> None:
    file = tmp_path / "infra" / "main.json"
    reports = [
        FileReport(
            str(file),
            None,
            [
                finding(file, line=42, column=34, end_column=39),
                finding(file, rule_id="KV005", severity="warning", line=44),
                finding(file, rule_id="ORG001", severity="note", line=45, remedy=""),
            ],
        )
    ]
    lines = github.render(reports, root=str(tmp_path)).splitlines()
    assert lines == [
        (
            "::error file=infra/main.json,line=42,col=34,endLine=42,endColumn=39,title=KV004 keyvault-purge-protection-false"
            "::the vault 'kv1' is deployed with `enablePurgeProtection: false` (leave it out)"
        ),
        (
            "::warning file=infra/main.json,line=44,col=5,endLine=44,endColumn=9,title=KV005 keyvault-soft-delete-false"
            "::the vault 'kv1' is deployed with `enablePurgeProtection: false` (leave it out)"
        ),
        (
            "::notice file=infra/main.json,line=45,col=5,endLine=45,endColumn=9,title=ORG001"
            "::the vault 'kv1' is deployed with `enablePurgeProtection: false`"
        ),
    ]


def test_multi_line_ranges_have_no_columns_and_unreadable_files_no_line(tmp_path: Path) -> None:
    file = tmp_path / "main.json"
    spanning = finding(file, line=45, column=27, end_line=54, end_column=10, remedy="")
    unreadable = finding(file, rule_id="AV000", line=0, column=0, end_line=0, end_column=0, remedy="")
    out = github.render([FileReport(str(file), None, [spanning, unreadable])], root=str(tmp_path)).splitlines()
    assert out[0].startswith("::error file=main.json,line=45,endLine=54,title=")
    assert out[1].startswith("::error file=main.json,title=AV000 template-not-loadable::")


def test_escaping_of_data_and_properties(tmp_path: Path) -> None:
    assert github.escape_data("100% done\r\nnext: a, b") == "100%25 done%0D%0Anext: a, b"
    assert github.escape_property("a:b,c%d\ne") == "a%3Ab%2Cc%25d%0Ae"
    file = tmp_path / "odd,name:x.json"
    line = github.render([FileReport(str(file), None, [finding(file, message="50% of\nit", remedy="")])], root=str(tmp_path))
    assert line.startswith("::error file=odd%2Cname%3Ax.json,line=3,")
    assert line.endswith("::50%25 of%0Ait\n")


def test_markdown_is_appended_to_the_step_summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    file = tmp_path / "main.json"
    out = github.render([FileReport(str(file), None, [finding(file)])], root=str(tmp_path))
    assert out.startswith("::error ")
    written = summary.read_text(encoding="utf-8")
    assert written.startswith("earlier step\n<!-- arm-validator -->\n")
    assert "**1 error, 0 warnings, 0 notes** — 1 template checked." in written
