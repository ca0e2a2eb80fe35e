"""`arm-validator fix`: print the fixes as a unified diff, or write them atomically.

Exit codes: 0 nothing to fix or everything fixed, 1 findings left that no fix resolves, 2 errors.
"""
from __future__ import annotations

import argparse
import difflib
import hashlib
import os
import sys
import tempfile
from collections.abc import Callable
from typing import Any

EXIT_OK, EXIT_LEFT, EXIT_ERROR = 0, 1, 2
_BOM = "\ufeff"


def register(subparsers: Any) -> dict[str, Callable[[argparse.Namespace], int]]:
    from ..cli import add_context_options, add_parameter_options
    from ..state.command import add_azure_options

    fix = subparsers.add_parser(
        "fix",
        help="write the fixes: the new/existing pattern for redeployed vaults and workspace-linked resources, and the rules' safe edits",
        description="Live state, from --state FILE or read from Azure when both --subscription-id and --resource-group "
                    "are given, also sets each new/existing option the fix added (keyVaultOption, storageAccountOption, "
                    "applicationInsightsOption, containerRegistryOption) to 'existing' in the parameter file for the "
                    "resources that exist. Azure is only read, never written.",
    )
    fix.add_argument("template", metavar="TEMPLATE")
    add_parameter_options(fix)
    add_context_options(fix)
    fix.add_argument("--strategy", choices=["conditional", "add-policies", "rbac"], default="conditional",
                     help="how KV001 is fixed: 'conditional' adds keyVaultOption (new/existing) and a condition on the vault; "
                          "'add-policies' also moves its access policies into a vaults/accessPolicies child named 'add'; "
                          "'rbac' shows, without applying it, the switch to enableRbacAuthorization with the role "
                          "assignments that replace each policy; default: %(default)s")
    fix.add_argument("--mode", choices=["incremental", "complete"], default="incremental", help="the deployment mode; default: %(default)s")
    output = fix.add_mutually_exclusive_group()
    output.add_argument("--diff", action="store_true", help="print a unified diff (the default)")
    output.add_argument("--write", action="store_true", help="replace the files (atomically)")
    fix.add_argument("--unsafe-fixes", action="store_true", help="also apply the fixes marked unsafe")
    add_azure_options(fix)
    return {"fix": run_fix}


def _read(path: str) -> tuple[bytes, str, bool]:
    """(raw bytes, text without BOM, had a BOM)."""
    with open(path, "rb") as handle:
        data = handle.read()
    text = data.decode("utf-8-sig")
    return data, text, data.startswith(b"\xef\xbb\xbf")


def write_atomically(path: str, text: str, bom: bool, expected: bytes | None) -> None:
    """Replace `path` with `text` through a temporary file beside it and `os.replace`, keeping the
    mode; refuse (RuntimeError) when the file no longer holds `expected` (None: must not exist)."""
    data = ((_BOM if bom else "") + text).encode("utf-8")
    folder = os.path.dirname(os.path.abspath(path))
    mode = os.stat(path).st_mode & 0o7777 if os.path.exists(path) else None
    fd, temporary = tempfile.mkstemp(prefix=".arm-validator-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        current = None
        if os.path.exists(path):
            with open(path, "rb") as handle:
                current = handle.read()
        if (current is None) != (expected is None) or (current is not None and expected is not None
                                                        and hashlib.sha256(current).digest() != hashlib.sha256(expected).digest()):
            raise RuntimeError(f"{path} changed since it was read: not written")
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def _state_said(decision: Any, state: Any) -> str:
    """What the live state decided for one option parameter (an `OptionDecision`), and why."""
    resource = decision.resource_id
    if decision.status in ("found", "not_found"):
        return f"{resource} {'exists' if decision.status == 'found' else 'does not exist'}: {decision.parameter} is '{decision.value}'"
    live = state.resource(resource)
    if decision.status == "forbidden":
        why = f"forbidden: the caller lacks {live.missing_permission}" if live is not None and live.missing_permission else "forbidden"
    elif decision.status == "error":
        why = (live.message if live is not None else None) or "the read failed"
    else:
        why = f"{'the live read' if state.source == 'azure' else state.source} has nothing on it"
    return f"cannot tell whether {resource} exists ({why}): {decision.parameter} left as it is; set it by hand"


def _show_display_only(template: str, outcome: Any) -> None:
    """Display-only fixes are shown, never applied: each as a diff against the (fixed) template."""
    from .edits import EditConflict, apply_edits

    for proposal in outcome.display_only:
        try:
            proposed = apply_edits(outcome.template_text, proposal.edits)
        except EditConflict:
            print(f"not shown: {proposal.title}: its edits do not fit the fixed text", file=sys.stderr)
            continue
        print(f"display-only, not applied: {proposal.title}", file=sys.stderr)
        sys.stdout.writelines(difflib.unified_diff(outcome.template_text.splitlines(True), proposed.splitlines(True),
                                                   f"a/{template}", f"b/{template} (not applied: display-only)"))


def run_fix(args: argparse.Namespace) -> int:
    from ..cli import context_from
    from ..config import ConfigError, discover_config
    from ..discovery import parameter_file_for
    from ..source import SourceError
    from ..state.command import read_state_if_asked
    from ..state.provider import StateError
    from .engine import FixRequest, fix_template

    template = args.template
    try:
        config = discover_config()
        original, text, bom = _read(template)
        parameters_file = args.parameters or parameter_file_for(template)
        p_original, p_text, p_bom = _read(parameters_file) if parameters_file else (None, None, False)
        state = read_state_if_asked(args)  # after the files are read: --write refuses them if they change meanwhile
        if state is not None and parameters_file is None:
            stem = os.path.splitext(os.path.basename(template))[0]
            parameters_file = os.path.join(os.path.dirname(template), f"{stem}.parameters.json")
        request = FixRequest(
            template=template,
            text=text,
            parameters_file=parameters_file,
            parameters_text=p_text,
            params=list(args.param),
            context=context_from(args, template),
            fill_missing=args.fill_missing,
            mode=args.mode,
            config=config,
            strategy=args.strategy,
            unsafe=args.unsafe_fixes,
            state=state,
        )
        outcome = fix_template(request)
    except SourceError as err:
        print(f"{err.path}:{err.line}:{err.column}: error: {err.message}", file=sys.stderr)
        return EXIT_ERROR
    except (OSError, UnicodeDecodeError) as err:
        print(f"error: cannot read {getattr(err, 'filename', None) or template}: {getattr(err, 'strerror', None) or err}", file=sys.stderr)
        return EXIT_ERROR
    except (RuntimeError, ConfigError, ValueError, StateError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_ERROR

    changes: list[tuple[str, str, str, bool, bytes | None]] = [(template, text, outcome.template_text, bom, original)]
    if parameters_file and outcome.parameters_text is not None and outcome.parameters_text != p_text:
        changes.append((parameters_file, p_text or "", outcome.parameters_text, p_bom, p_original))
    changed = [c for c in changes if c[1] != c[2]]
    if args.write:
        for path, _, new, had_bom, read in changed:
            try:
                write_atomically(path, new, had_bom, read)
            except (OSError, RuntimeError) as err:
                print(f"error: {err}", file=sys.stderr)
                return EXIT_ERROR
            print(f"fixed {path}", file=sys.stderr)
    else:
        for path, old, new, _, read in changed:
            before = f"a/{path}" if read is not None else "/dev/null"
            sys.stdout.writelines(difflib.unified_diff(old.splitlines(True), new.splitlines(True), before, f"b/{path}"))
    _show_display_only(template, outcome)
    for fix in outcome.applied:
        print(f"applied: {fix.title}", file=sys.stderr)
    for title, why in outcome.skipped:
        print(f"not applied: {title}: {why}", file=sys.stderr)
    for decision in outcome.decisions:
        print(f"state: {_state_said(decision, state)}", file=sys.stderr)
    for finding in outcome.addressed:
        subject = "its vault" if finding.rule_id == "KV007" else "the resource"  # KV007 is on the vault's `add` child
        print(f"{finding.position.file}:{finding.position.line}:{finding.position.column}: note {finding.rule_id} "
              f"{subject} follows a new/existing option: pass 'existing' once it exists "
              "(--state FILE, or --subscription-id with --resource-group, does it)", file=sys.stderr)
    for finding, why in outcome.unfixable:
        print(f"{finding.position.file}:{finding.position.line}:{finding.position.column}: {finding.severity} {finding.rule_id} "
              f"{finding.message} (not fixed: {why})", file=sys.stderr)
    if not outcome.converged:
        print(f"error: the fixes did not settle after {outcome.passes} passes", file=sys.stderr)
        return EXIT_ERROR
    left = [f for f, _ in outcome.unfixable if f.severity in ("error", "warning")]
    return EXIT_LEFT if left else EXIT_OK
