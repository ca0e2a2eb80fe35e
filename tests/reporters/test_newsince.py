"""`--new-since REF`: findings matched against the same files at a git revision, by key, not by line."""
from __future__ import annotations

from pathlib import Path

import pytest
from reporter_helpers import finding, git

from validator.lint import FileReport, LintRequest, lint_file
from validator.reporters.newsince import NewSinceError, findings_new_since

HEADER = """{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "resources": [
"""
FOOTER = """
  ]
}
"""


def _vault(name: str, purge: bool = True) -> str:
    """A vault with RBAC (no access-policy findings) and, with `purge`, `enablePurgeProtection: false` (KV004)."""
    extra = ',\n        "enablePurgeProtection": false' if purge else ""
    return f"""    {{
      "type": "Microsoft.KeyVault/vaults",
      "apiVersion": "2023-07-01",
      "name": "{name}",
      "location": "westeurope",
      "properties": {{
        "tenantId": "[subscription().tenantId]",
        "sku": {{ "family": "A", "name": "standard" }},
        "enableRbacAuthorization": true{extra}
      }}
    }}"""


def _template(*vaults: str) -> str:
    return HEADER + ",\n".join(vaults) + FOOTER


def _lines_of(text: str, path: Path) -> list[int]:
    return [n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1) if text in line]


def _lint(paths: list[str]) -> list[FileReport]:
    return [lint_file(LintRequest(p)) for p in paths]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository whose first commit holds infra/main.json with one KV004 finding."""
    git(tmp_path, "init", "-q")
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "main.json").write_text(_template(_vault("kv-old")), encoding="utf-8")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "first")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_moved_findings_are_not_new_and_added_ones_are(repo: Path) -> None:
    # The old vault moves down (a new vault before it), and the new vault has the same problem.
    (repo / "infra" / "main.json").write_text(_template(_vault("kv-new"), _vault("kv-old")), encoding="utf-8")
    reports = _lint(["infra/main.json"])
    kv004 = [f for f in reports[0].findings if f.rule_id == "KV004"]
    assert len(kv004) == 2
    [report] = findings_new_since(reports, "HEAD", _lint)
    assert [f.rule_id for f in report.findings if f.rule_id == "KV004"] == ["KV004"]
    [new] = [f for f in report.findings if f.rule_id == "KV004"]
    assert new.resource_id is not None and new.resource_id.endswith("/vaults/kv-new")
    assert new.position.line == _lines_of("enablePurgeProtection", repo / "infra" / "main.json")[0]
    assert report.suppressed == len(reports[0].findings) - len(report.findings)
    assert report.template == "infra/main.json"


def test_only_moved_lines_give_no_new_findings(repo: Path) -> None:
    text = _template(_vault("kv-old")).replace('"contentVersion": "1.0.0.0",', '"contentVersion": "1.0.0.0",\n  // moved\n\n')
    (repo / "infra" / "main.json").write_text(text, encoding="utf-8")
    reports = _lint(["infra/main.json"])
    [line] = _lines_of("enablePurgeProtection", repo / "infra" / "main.json")
    assert any(f.rule_id == "KV004" and f.position.line == line for f in reports[0].findings)
    [report] = findings_new_since(reports, "HEAD", _lint)
    assert report.findings == []


def test_a_file_that_did_not_exist_at_ref_has_only_new_findings(repo: Path) -> None:
    (repo / "infra" / "other.json").write_text(_template(_vault("kv-other")), encoding="utf-8")
    seen: list[list[str]] = []

    def lint_at_ref(paths: list[str]) -> list[FileReport]:
        seen.append(paths)
        return _lint(paths)

    reports = _lint(["infra/main.json", "infra/other.json"])
    old, other = findings_new_since(reports, "HEAD", lint_at_ref)
    assert old.findings == []
    assert other.findings == reports[1].findings and other.findings
    assert len(seen) == 1 and [Path(p).as_posix().endswith("/infra/main.json") for p in seen[0]] == [True]


def test_fixed_findings_do_not_hide_new_ones_of_the_same_rule(repo: Path) -> None:
    (repo / "infra" / "main.json").write_text(_template(_vault("kv-old", purge=False), _vault("kv-new")), encoding="utf-8")
    [report] = findings_new_since(_lint(["infra/main.json"]), "HEAD", _lint)
    [new] = [f for f in report.findings if f.rule_id == "KV004"]
    assert new.resource_id is not None and new.resource_id.endswith("/vaults/kv-new")


def test_matching_is_one_to_one(repo: Path) -> None:
    file = repo / "infra" / "main.json"
    now = [FileReport(str(file), None, [finding(file, line=3), finding(file, line=9), finding(file, line=20)])]

    def lint_at_ref(paths: list[str]) -> list[FileReport]:
        [path] = paths
        return [FileReport(path, None, [finding(path, line=5), finding(path, line=7)])]  # same key twice at REF

    [report] = findings_new_since(now, "HEAD", lint_at_ref)
    assert [f.position.line for f in report.findings] == [20]
    assert report.suppressed == 2


def test_parameter_files_are_copied_next_to_their_template(repo: Path) -> None:
    (repo / "infra" / "main.parameters.json").write_text('{"parameters": {}}', encoding="utf-8")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "parameters")
    copied: list[bool] = []

    def lint_at_ref(paths: list[str]) -> list[FileReport]:
        copied.extend(Path(p).with_name("main.parameters.json").is_file() for p in paths)
        return _lint(paths)

    findings_new_since([FileReport("infra/main.json", "infra/main.parameters.json", [])], "HEAD", lint_at_ref)
    assert copied == [True]


def test_an_unknown_revision_is_an_error(repo: Path) -> None:
    with pytest.raises(NewSinceError, match="not a commit"):
        findings_new_since(_lint(["infra/main.json"]), "no-such-branch", _lint)
    with pytest.raises(NewSinceError, match="not a git revision"):
        findings_new_since(_lint(["infra/main.json"]), "--output=x", _lint)
