"""The CI integration files: the GitHub Action, the example workflow, the Azure pipeline, the pre-commit hook.

They are YAML that only runs elsewhere, so these tests check what can be checked here: that every
option they pass exists in the command line, every input they read is declared, and the hook skips
what is not a template.
"""
from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from reporter_helpers import REPO, SAMPLES

from validator import cli
from validator.reporters import REPORTERS


def _yaml(relative: str) -> Any:
    with open(REPO / relative, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _lint_parser() -> argparse.ArgumentParser:
    subparsers = next(a for a in cli.build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return subparsers.choices["lint"]  # type: ignore[no-any-return]


def _lint_options_used(script: str) -> set[str]:
    """The `--options` of every `arm-validator lint` command line in a shell script, and of the
    `args+=(...)` arrays that the action builds for them."""
    used: set[str] = set()
    for line in script.splitlines():
        for marker in ("arm-validator lint", "args+=("):
            if marker in line:
                used.update(re.findall(r"(?<![\w-])--[a-z][a-z-]+", line.split(marker, 1)[1].split(" #")[0]))
    return used


def _declared_options() -> set[str]:
    return {option for action in _lint_parser()._actions for option in action.option_strings}


def test_action_is_composite_and_reads_only_declared_inputs() -> None:
    action = _yaml("action.yml")
    assert action["runs"]["using"] == "composite"
    text = (REPO / "action.yml").read_text(encoding="utf-8")
    assert set(re.findall(r"inputs\.([a-z-]+)", text)) <= set(action["inputs"])
    assert {"paths", "parameters", "fail-on", "format", "comment", "new-since", "sarif-file"} <= set(action["inputs"])
    assert action["inputs"]["paths"]["default"] == "."
    assert action["inputs"]["fail-on"]["default"] == "error"
    assert action["inputs"]["comment"]["default"] == "false"
    assert action["inputs"]["sarif-file"]["default"] == "arm-validator.sarif"
    assert action["inputs"]["format"]["default"] in REPORTERS
    assert set(action["outputs"]) == {"sarif-file", "exit-code"}
    for step in action["runs"]["steps"]:
        if "run" in step:
            assert "${{" not in step["run"], f"step {step['name']!r} splices an expression into its script"


def test_action_passes_only_options_that_lint_accepts() -> None:
    scripts = "\n".join(s["run"] for s in _yaml("action.yml")["runs"]["steps"] if "run" in s)
    used = _lint_options_used(scripts)
    assert {"--format", "--output", "--fail-on", "--parameters", "--new-since"} <= used
    assert used - _declared_options() == set(), "the action passes options that `arm-validator lint` does not have"


def test_action_updates_its_comment_by_the_markdown_marker() -> None:
    from validator.reporters.markdown import MARKER

    comment = next(s for s in _yaml("action.yml")["runs"]["steps"] if s["name"].startswith("Comment"))
    assert f'startswith("{MARKER}")' in comment["run"]
    assert "--method PATCH" in comment["run"] and "--method POST" in comment["run"]


def test_example_workflow_cannot_break_this_repository() -> None:
    workflow = _yaml(".github/workflows/example-arm-validator.yml")
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads the key `on` as true
    assert set(triggers) == {"workflow_dispatch"}  # the samples fail on purpose: never on push or pull_request
    steps = workflow["jobs"]["arm-validator"]["steps"]
    assert any(s.get("uses") == "./" for s in steps)
    upload = next(s for s in steps if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif@"))
    assert "failure()" in upload["if"]
    assert workflow["permissions"]["security-events"] == "write"


def test_azure_pipeline_publishes_junit_and_passes_known_options() -> None:
    pipeline = _yaml("docs/azure-pipelines.yml")
    tasks = {s.get("task"): s for s in pipeline["steps"] if "task" in s}
    assert tasks["PublishTestResults@2"]["inputs"]["testResultsFormat"] == "JUnit"
    assert tasks["PublishTestResults@2"]["condition"] == "succeededOrFailed()"
    scripts = "\n".join(s["script"] for s in pipeline["steps"] if "script" in s)
    assert "--format junit" in scripts
    assert _lint_options_used(scripts) - _declared_options() == set()


def test_pre_commit_hook_lints_templates_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    [hook] = _yaml(".pre-commit-hooks.yaml")
    assert hook["id"] == "arm-validator" and hook["language"] == "python" and hook["types"] == ["file"]
    files = re.compile(hook["files"])
    assert files.search("infra/main.json") and files.search("a.jsonc") and not files.search("a.json.bak")
    entry = shlex.split(hook["entry"]) + list(hook.get("args", []))
    assert entry[:2] == ["arm-validator", "lint"] and "--only-templates" in entry
    package = tmp_path / "package.json"
    package.write_text('{"name": "not-a-template"}', encoding="utf-8")
    staged = [str(package), str(SAMPLES / "ml-workspace-safe" / "azuredeploy.parameters.json"), str(SAMPLES / "ml-workspace-safe" / "azuredeploy.json")]
    assert cli.main([*entry[1:], *staged]) == 0
    out = capsys.readouterr().out
    assert out.rstrip().endswith("1 template checked: no findings")
