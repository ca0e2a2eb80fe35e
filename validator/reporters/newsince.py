"""`--new-since REF`: keep only the findings that a change introduced since a git revision.

The same files are read at REF (`git show REF:path`) into a temporary folder that keeps their paths
relative to the repository root, linted there, and each current finding is matched against the
findings at REF by rule, file, resource and JSON path — never by line, and without the index of
the resource in `resources` — so findings that only moved are not new. Matching is one to one: two findings of a key now and one at REF leave one new.
"""
from __future__ import annotations

import os
import subprocess
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

from ..findings import Finding
from ..lint import FileReport, finding_key
from ._common import relative_path, repository_root


class NewSinceError(Exception):
    """REF is not a commit of the repository, or git cannot be run."""


def findings_new_since(
    reports: Sequence[FileReport],
    ref: str,
    lint_at_ref: Callable[[list[str]], list[FileReport]],
    *,
    root: str | None = None,
) -> list[FileReport]:
    """Copies of `reports` holding only the findings that are not present at `ref`.

    `lint_at_ref` lints the given template paths (copies at REF, in a temporary folder, with their
    parameter files next to them at the same relative paths) and returns their reports. Findings
    dropped as old are counted in `suppressed`, as a baseline does. Raises `NewSinceError`.
    """
    root = root or repository_root()
    commit = _resolve(ref, root)
    with tempfile.TemporaryDirectory(prefix="arm-validator-ref-") as folder:
        materialised = {relative: _materialise(commit, relative, folder, root) for relative in _files_to_copy(reports, root)}
        templates: list[str] = []
        for report in reports:
            relative = relative_path(report.template, root)
            if relative is not None and materialised.get(relative):
                templates.append(os.path.join(folder, *relative.split("/")))
        old_reports = lint_at_ref(templates) if templates else []
        old_keys = Counter(finding_key(f, os.path.realpath(folder)) for r in old_reports for f in r.findings)
    result: list[FileReport] = []
    for report in reports:
        kept: list[Finding] = []
        for finding in report.findings:
            key = finding_key(finding, root)
            if old_keys[key] > 0:
                old_keys[key] -= 1  # one finding at REF accounts for one finding now
                continue
            kept.append(finding)
        result.append(replace(report, findings=kept, suppressed=report.suppressed + len(report.findings) - len(kept)))
    return result


def _files_to_copy(reports: Sequence[FileReport], root: str) -> list[str]:
    """Templates, their parameter files, and every other file a finding points into (linked templates)."""
    paths: list[str] = []
    for report in reports:
        paths.append(report.template)
        if report.parameters_file:
            paths.append(report.parameters_file)
        paths.extend(_finding_files(report.findings))
    relatives = (relative_path(p, root) for p in paths)
    return sorted({r for r in relatives if r is not None})


def _finding_files(findings: Iterable[Finding]) -> Iterable[str]:
    for finding in findings:
        yield finding.position.file
        yield from (related.position.file for related in finding.related)


def _materialise(commit: str, relative: str, folder: str, root: str) -> bool:
    """Write `relative` as it was at `commit` under `folder`; False when it did not exist there."""
    done = _git(["show", f"{commit}:{relative}"], root, check=False)
    if done.returncode != 0:
        return False
    target = os.path.join(folder, *relative.split("/"))
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "wb") as handle:
        handle.write(done.stdout)
    return True


def _resolve(ref: str, root: str) -> str:
    if ref.startswith("-"):
        raise NewSinceError(f"not a git revision: {ref!r}")  # would be read as an option by git
    done = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], root, check=False)
    if done.returncode != 0:
        raise NewSinceError(
            f"{ref!r} is not a commit of the repository at {root} (in a shallow CI checkout, fetch it first: "
            f"git fetch --depth=1 origin {ref})"
        )
    return str(done.stdout.decode().strip())


def _git(args: list[str], root: str, *, check: bool) -> subprocess.CompletedProcess[Any]:
    try:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, check=check, timeout=60)
    except (OSError, subprocess.SubprocessError) as err:
        raise NewSinceError(f"cannot run git: {err}") from err
