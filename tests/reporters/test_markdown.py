"""The markdown pull-request comment: marker, summary, grouping, folded details, fix diffs, no secret lines."""
from __future__ import annotations

from pathlib import Path

from reporter_helpers import finding

from validator.findings import Edit, Fix
from validator.lint import FileReport
from validator.reporters import REPORTERS, markdown

TEMPLATE = """{
  "parameters": {
    "adminPassword": { "type": "securestring", "defaultValue": "Hunter2-Sesame" }
  },
  "resources": [
    { "type": "Microsoft.KeyVault/vaults", "name": "kv1",
      "properties": {
        "enablePurgeProtection": false,
        "sku": { "name": "standard" }
      }
    }
  ]
}
"""


def _purge_fix(text: str) -> Fix:
    """Remove the `"enablePurgeProtection": false,` line, as KV004's fix does."""
    start = text.index('        "enablePurgeProtection"')
    end = text.index("\n", start) + 1
    return Fix("Remove `enablePurgeProtection: false`", (Edit(start, end, ""),))


def test_registered_as_a_format() -> None:
    assert REPORTERS["markdown"] is markdown.render


def test_marker_summary_and_grouping_by_severity(tmp_path: Path) -> None:
    a, b = tmp_path / "infra" / "a.json", tmp_path / "b.json"
    reports = [
        FileReport(str(a), None, [finding(a, rule_id="KV005", severity="warning", line=9), finding(a, line=12)], suppressed=2),
        FileReport(str(b), None, [finding(b, rule_id="ORG001", severity="note", message="no <owner> tag", remedy="add `owner`")]),
        FileReport(str(tmp_path / "c.json"), None, []),
    ]
    body = markdown.render(reports, root=str(tmp_path))
    lines = body.splitlines()
    assert lines[0] == "<!-- arm-validator -->"
    assert "**1 error, 1 warning, 1 note** — 3 templates checked (2 suppressed)." in lines
    errors, warnings, notes = (body.index(h) for h in ("Errors (1)", "Warnings (1)", "Notes (1)"))
    assert errors < warnings < notes
    assert "- `infra/a.json:12` **KV004** the vault 'kv1' is deployed with `enablePurgeProtection: false`" in lines
    assert "  <br>↳ leave it out" in lines
    assert "- `b.json:3` **ORG001** no &lt;owner&gt; tag" in lines  # markup in messages is escaped, code spans kept
    assert "  <br>↳ add `owner`" in lines
    assert body.count("<details>") == body.count("</details>") == 3


def test_clean_run_says_so(tmp_path: Path) -> None:
    body = markdown.render([FileReport(str(tmp_path / "a.json"), None, [])], root=str(tmp_path))
    assert body == "<!-- arm-validator -->\n### arm-validator\n\n:white_check_mark: **No findings** — 1 template checked.\n"


def test_fix_is_shown_as_a_unified_diff(tmp_path: Path) -> None:
    template = tmp_path / "main.json"
    text = TEMPLATE.replace("Hunter2-Sesame", "")
    template.write_text(text, encoding="utf-8")
    item = finding(template, line=8, fix=_purge_fix(text))
    body = markdown.render([FileReport(str(template), None, [item])], root=str(tmp_path))
    assert "  - Fix (safe): Remove `enablePurgeProtection: false`" in body
    expected = (
        "  ```diff\n"
        "  --- a/main.json\n"
        "  +++ b/main.json\n"
        "  @@ -6,5 +6,4 @@\n"
        '       { "type": "Microsoft.KeyVault/vaults", "name": "kv1",\n'
        '         "properties": {\n'
        '  -        "enablePurgeProtection": false,\n'
        '           "sku": { "name": "standard" }\n'
        "         }\n"
        "  ```\n"
    )
    assert expected in body


def test_no_diff_when_it_would_show_a_secret_literal(tmp_path: Path) -> None:
    template = tmp_path / "main.json"
    text = TEMPLATE.replace('"enablePurgeProtection": false,', '"enablePurgeProtection": false, "x": "Hunter2-Sesame",')
    template.write_text(text, encoding="utf-8")
    item = finding(template, line=8, fix=_purge_fix(text))
    body = markdown.render([FileReport(str(template), None, [item])], root=str(tmp_path))
    assert "Remove `enablePurgeProtection: false`" in body
    assert "```diff" not in body
    assert "Hunter2-Sesame" not in body


def test_never_shows_lines_of_a_parameter_file(tmp_path: Path) -> None:
    template = tmp_path / "main.json"
    parameters = tmp_path / "prod.params.json"  # not named *.parameters.json: known from the report
    text = '{\n  "parameters": {\n    "enablePurgeProtection": { "value": false }\n  }\n}\n'
    parameters.write_text(text, encoding="utf-8")
    start = text.index('    "enablePurgeProtection"')
    fix = Fix("Remove the value", (Edit(start, text.index("\n", start) + 1, ""),))
    item = finding(parameters, line=3, fix=fix)
    body = markdown.render([FileReport(str(template), str(parameters), [item])], root=str(tmp_path))
    assert "Remove the value" in body
    assert "```diff" not in body and '"value"' not in body


def test_long_reports_are_cut_below_the_comment_limit(tmp_path: Path) -> None:
    file = tmp_path / "a.json"
    many = [finding(file, line=n, message="x" * 500) for n in range(1, 400)]
    body = markdown.render([FileReport(str(file), None, many)], root=str(tmp_path))
    assert len(body) <= 65_536
    shown = body.count("**KV004**")
    assert 0 < shown < 399
    assert f"… and {399 - shown} more findings" in body
