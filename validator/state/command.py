"""`arm-validator snapshot` and `arm-validator check`: read what the subscription holds for a
template (live, or from a snapshot file) and run every lint rule plus the live rules against it.

`read_state` and `add_azure_options` are also what `fix` reads live state with. None of this
imports the Azure SDK at import time: only a live read loads it.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from ..expressions.evaluator import DeploymentContext
from .model import LiveResource, LiveState
from .provider import AzureTarget, StateError

EXIT_OK, EXIT_ERROR = 0, 2
_DEFAULTS = DeploymentContext()


def add_azure_options(parser: argparse.ArgumentParser, snapshot_file: bool = True) -> None:
    """The options of a command that reads the live subscription: `--state` (with `snapshot_file`:
    a snapshot instead of Azure), `--arm-endpoint`, `--timeout`. The target itself is
    `--subscription-id` / `--resource-group` and the cloud `--cloud`, from validator.cli's context options."""
    parser.set_defaults(location=None)  # None: the resource group's real location (read from Azure or the snapshot)
    if snapshot_file:
        parser.add_argument("--state", default=None, metavar="FILE", help="a snapshot from `arm-validator snapshot` instead of reading Azure")
    group = parser.add_argument_group("Azure")
    group.add_argument(
        "--arm-endpoint",
        default=None,
        metavar="URL",
        help="the Resource Manager endpoint (Azure Stack Hub, private clouds); default: the --cloud's. TLS trust follows REQUESTS_CA_BUNDLE / SSL_CERT_FILE",
    )
    # None until given, so that `--state` can refuse it; the budget is then AzureTarget's default.
    group.add_argument("--timeout", type=float, default=None, metavar="SECONDS", help=f"time budget for reading Azure, retries included; default: {AzureTarget.timeout:g}")


def _add_target_arguments(parser: argparse.ArgumentParser) -> None:
    """What `snapshot` and `check` read: the template, its parameters, where and how it is deployed."""
    from ..cli import add_context_options, add_parameter_options

    parser.add_argument("template", metavar="TEMPLATE")
    add_parameter_options(parser)
    add_context_options(parser)
    parser.add_argument("--mode", choices=["incremental", "complete"], default="incremental", help="the deployment mode; default: %(default)s")


def register(subparsers: Any) -> dict[str, Callable[[argparse.Namespace], int]]:
    """Add `snapshot` and `check` to the `arm-validator` parser."""
    from ..cli import add_report_options

    snapshot = subparsers.add_parser("snapshot", help="read what the subscription holds for a template into a snapshot file")
    _add_target_arguments(snapshot)
    add_azure_options(snapshot, snapshot_file=False)
    snapshot.add_argument("-o", "--output", default=None, metavar="FILE", help="the snapshot file (default: standard output)")

    check = subparsers.add_parser("check", help="lint a template against what the subscription holds (live, or a snapshot)")
    _add_target_arguments(check)
    add_azure_options(check)
    add_report_options(check)
    check.add_argument("--select", default=None, help="rule ids or prefixes to run, comma separated")
    check.add_argument("--ignore", default=None, help="rule ids or prefixes to skip, comma separated")
    check.add_argument("--config", default=None, help=".arm-validator.yaml or pyproject.toml (default: the nearest one)")
    check.add_argument("--policies", action="append", default=[], metavar="DIR", help="a folder of policies written as data")
    return {"snapshot": run_snapshot, "check": run_check}


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_ERROR


_TARGET_FLAGS = (("--subscription-id", "subscription_id"), ("--resource-group", "resource_group"))


def _target_given(args: argparse.Namespace) -> list[str]:
    """The target flags given on the command line (the offline placeholders do not count)."""
    return [flag for flag, option in _TARGET_FLAGS if getattr(args, option) != getattr(_DEFAULTS, option)]


def _require_target(args: argparse.Namespace) -> None:
    """Reading Azure needs the real subscription and group, not the offline placeholders."""
    given = _target_given(args)
    if not given:
        raise StateError("--subscription-id and --resource-group are required to read Azure (or --state FILE, a snapshot)")
    if len(given) == 1:
        missing = next(flag for flag, _ in _TARGET_FLAGS if flag not in given)
        raise StateError(f"{given[0]} without {missing}: reading Azure needs both (the subscription and the group the template is deployed to)")


def _target(args: argparse.Namespace) -> AzureTarget:
    timeout = AzureTarget.timeout if args.timeout is None else args.timeout
    return AzureTarget(cloud=args.cloud, arm_endpoint=args.arm_endpoint, timeout=max(1.0, timeout))


def _expand(args: argparse.Namespace) -> Any:
    """The expansion `lint_and_report` will see (same parameter file discovery, same context)."""
    from .. import api
    from ..cli import context_from
    from ..discovery import parameter_file_for
    from ..source import SourceError

    try:
        return api.expand(
            args.template,
            parameters_file=args.parameters or parameter_file_for(args.template),
            params=args.param,
            context=context_from(args, args.template),
            fill_missing=args.fill_missing,
        )
    except SourceError as err:
        raise StateError(f"{err.path}:{err.line}:{err.column}: {err.message}") from None
    except OSError as err:
        raise StateError(f"{args.template}: {err.strerror or err}") from None


def _group_location(group: LiveResource | None) -> str | None:
    location = (group.body or {}).get("location") if group is not None and group.status == "found" else None
    return location if isinstance(location, str) and location else None


def _read_live(args: argparse.Namespace) -> LiveState:
    """Sign in, learn the group's location, expand, plan, read."""
    from .collect import plan_reads
    from .provider import open_azure

    with open_azure(args.subscription_id, _target(args)) as azure:
        group = azure.read_group(args.resource_group)
        if group.status == "not_found":
            raise StateError(f"resource group {args.resource_group!r} not found in subscription {args.subscription_id}")
        if args.location is None:
            args.location = _group_location(group) or _DEFAULTS.location
            if _group_location(group) is None:
                print(f"warning: cannot read resource group {args.resource_group!r} ({group.missing_permission or group.message}); assuming location {args.location}", file=sys.stderr)
        expansion = _expand(args)
        state: LiveState = azure.read(plan_reads(expansion, args.subscription_id, args.resource_group, args.mode, args.location))
        state.resources[group.id.lower()] = group
        return state


def _read_state_file(args: argparse.Namespace) -> LiveState:
    """Load `--state`, take the subscription, group and location from it unless given, and say
    what the template needs that the snapshot lacks."""
    from .collect import group_listing_id, plan_reads
    from .snapshot import read_snapshot

    state = read_snapshot(args.state)
    for option, recorded in (("subscription_id", state.subscription_id), ("resource_group", state.resource_group)):
        given = getattr(args, option)
        if given == getattr(_DEFAULTS, option):
            setattr(args, option, recorded)
        elif given.lower() != recorded.lower():
            flag = "--" + option.replace("_", "-")
            raise StateError(f"{args.state}: the snapshot is for {flag} {recorded}, not {given}")
    group = state.resource(f"/subscriptions/{state.subscription_id}/resourceGroups/{state.resource_group}")
    if args.location is None:
        args.location = _group_location(group) or _DEFAULTS.location
    plan = plan_reads(_expand(args), args.subscription_id, args.resource_group, args.mode, args.location)
    missing = [read.id for read in plan.resources if state.resource(read.id.rstrip("/")) is None]
    if missing:
        print(f"warning: {args.state} has nothing on {len(missing)} resource(s) the template touches (taken from another version of the template?): {', '.join(missing)}", file=sys.stderr)
    if plan.list_group and state.group_listing is None:
        print(f"warning: {args.state} has no listing of {group_listing_id(state.subscription_id, state.resource_group)} (take the snapshot with --mode complete)", file=sys.stderr)
    return state


def read_state(args: argparse.Namespace) -> LiveState:
    """The live state of the command's target: the `--state` snapshot, or else a live read of
    `--subscription-id` / `--resource-group` (both required). Fills in `args.location` (and, from a
    snapshot, the subscription and group). The two sources exclude each other: with `--state` the
    subscription and group must match the snapshot's, and the options that only steer a live read
    are refused. Raises StateError (exit 2): a usage mistake, or nothing could be read."""
    if args.state is not None:
        live_only = [flag for flag, value in (("--arm-endpoint", args.arm_endpoint), ("--timeout", args.timeout)) if value is not None]
        if live_only:
            raise StateError(f"--state reads a snapshot, not Azure: {' and '.join(live_only)} would be ignored; give one or the other")
        return _read_state_file(args)
    _require_target(args)
    return _read_live(args)


def read_state_if_asked(args: argparse.Namespace) -> LiveState | None:
    """For a command that also works offline (`fix`): `read_state` when `--state`, a target flag
    or a live-read option is given; None when none is (offline, at the default location)."""
    asked = args.state is not None or _target_given(args) or args.arm_endpoint is not None or args.timeout is not None
    if not asked:
        if args.location is None:
            args.location = _DEFAULTS.location
        return None
    return read_state(args)


def run_snapshot(args: argparse.Namespace) -> int:
    """`arm-validator snapshot`: read live, write the snapshot file."""
    from .snapshot import write_snapshot

    try:
        _require_target(args)
        state = _read_live(args)
        write_snapshot(state, args.output)
    except StateError as err:
        return _error(str(err))
    if args.output not in (None, "-"):
        print(f"wrote {len(state.resources)} lookup(s) to {args.output}", file=sys.stderr)
    return EXIT_OK


def run_check(args: argparse.Namespace) -> int:
    """`arm-validator check`: the lint pipeline with live state, reported like `lint`."""
    from ..cli import lint_and_report

    try:
        state = read_state(args)
    except StateError as err:
        return _error(str(err))
    return lint_and_report(args, state=state, templates=[args.template])
