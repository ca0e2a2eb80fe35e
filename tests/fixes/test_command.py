"""`arm-validator fix`: diff by default, atomic --write (mode, BOM, line endings), exit codes."""
from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from validator.cli import main
from validator.fixes.command import write_atomically

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "templates")


@pytest.fixture()
def risky(tmp_path: os.PathLike[str]) -> str:
    folder = os.path.join(str(tmp_path), "risky")
    shutil.copytree(os.path.join(ROOT, "ml-workspace-risky"), folder)
    return os.path.join(folder, "azuredeploy.json")


def test_diff_is_the_default_and_leaves_the_file_alone(risky: str, capsys: pytest.CaptureFixture[str]) -> None:
    before = Path(risky).read_bytes()
    assert main(["fix", risky]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"--- a/{risky}\n+++ b/{risky}\n")
    assert "+      \"condition\": \"[equals(parameters('keyVaultOption'), 'new')]\",\n" in out
    assert Path(risky).read_bytes() == before


def test_write_keeps_bom_crlf_and_mode_and_a_second_run_changes_nothing(risky: str, capsys: pytest.CaptureFixture[str]) -> None:
    text = Path(risky).read_text(encoding="utf-8").replace("\n", "\r\n")
    with open(risky, "wb") as handle:
        handle.write(b"\xef\xbb\xbf" + text.encode("utf-8"))
    os.chmod(risky, 0o640)
    assert main(["fix", risky, "--write"]) == 0
    written = Path(risky).read_bytes()
    assert written.startswith(b"\xef\xbb\xbf{\r\n")
    assert b"\n" not in written.replace(b"\r\n", b"")
    assert stat.S_IMODE(os.stat(risky).st_mode) == 0o640
    assert b"keyVaultOption" in written
    assert main(["fix", risky, "--write"]) == 0
    assert Path(risky).read_bytes() == written
    assert [n for n in os.listdir(os.path.dirname(risky)) if n.endswith(".tmp")] == []
    capsys.readouterr()


def test_write_refuses_a_file_changed_since_it_was_read(tmp_path: os.PathLike[str]) -> None:
    path = os.path.join(str(tmp_path), "t.json")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write('{"a": 2}')
    with pytest.raises(RuntimeError, match="changed since it was read"):
        write_atomically(path, '{"a": 3}', False, b'{"a": 1}')
    assert Path(path).read_text(encoding="utf-8") == '{"a": 2}'
    assert os.listdir(str(tmp_path)) == ["t.json"]


def test_findings_without_a_fix_exit_1(tmp_path: os.PathLike[str], capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(os.path.join(ROOT, "keyvault-pitfalls", "azuredeploy.json"), str(tmp_path))
    path = os.path.join(str(tmp_path), "azuredeploy.json")
    assert main(["fix", path, "--fill-missing"]) == 1
    err = capsys.readouterr().err
    assert "applied: Remove `enablePurgeProtection: false`" in err
    assert "KV005" in err and "pass --unsafe-fixes" in err


def test_bad_input_exits_2_without_a_traceback(tmp_path: os.PathLike[str], capsys: pytest.CaptureFixture[str]) -> None:
    path = os.path.join(str(tmp_path), "bad.json")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write('{"resources": [}')
    assert main(["fix", path]) == 2
    assert main(["fix", os.path.join(str(tmp_path), "missing.json")]) == 2
    err = capsys.readouterr().err
    assert "bad.json:1:" in err and "Traceback" not in err
