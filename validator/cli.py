"""The `arm-validator` command: parse arguments, call the library, print, set the exit code.

Exit codes: 0 success, 1 findings at or above --fail-on, 2 usage or tool error.
The Azure SDK is imported only by the commands that talk to Azure.
"""
from __future__ import annotations

import argparse
import importlib
import json
import sys
from typing import Any, Sequence

from .expressions.evaluator import DeploymentContext

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2

# Commands defined next to the code they drive; each module's `register(subparsers)` adds its
# parsers and returns {command name: runner}. They must not import the Azure SDK at import time.
COMMAND_MODULES = ("validator.state.command", "validator.fixes.command")
EXTRA_COMMANDS: dict = {}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message}\n")


def add_parameter_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-p", "--parameters", metavar="PARAMETERS_FILE", help="a deploymentParameters file")
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a parameter value (JSON when it parses as JSON, otherwise a string); wins over the parameter file",
    )


def add_context_options(parser: argparse.ArgumentParser) -> None:
    """Where the template would be deployed: these feed subscription(), resourceGroup(), ..."""
    defaults = DeploymentContext()
    group = parser.add_argument_group("deployment context")
    group.add_argument("--subscription-id", default=defaults.subscription_id, help="default: %(default)s")
    group.add_argument("--resource-group", default=defaults.resource_group, help="default: %(default)s")
    group.add_argument("--location", default=defaults.location, help="the resource group's location; default: %(default)s")
    group.add_argument("--tenant-id", default=defaults.tenant_id, help="default: %(default)s")
    group.add_argument("--deployment-name", default=None, help="default: the template file's name without extension, as the Azure CLI does")
    group.add_argument("--management-group", default=None, help="for management-group deployments")
    group.add_argument(
        "--cloud",
        default=defaults.cloud,
        choices=["AzureCloud", "AzureChinaCloud", "AzureUSGovernment"],
        help="what environment() returns; default: %(default)s",
    )
    parser.add_argument(
        "--fill-missing",
        action="store_true",
        help="give required parameters that have no value an Unknown placeholder instead of an error",
    )


def context_from(args: argparse.Namespace, template: str) -> DeploymentContext:
    from .api import default_deployment_name

    return DeploymentContext(
        subscription_id=args.subscription_id,
        resource_group=args.resource_group,
        location=args.location,
        tenant_id=args.tenant_id,
        deployment_name=args.deployment_name or default_deployment_name(template),
        management_group=args.management_group,
        cloud=args.cloud,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="arm-validator", description="Find the ARM template redeploys that break things, before they happen.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    expand = sub.add_parser("expand", help="print what a template really deploys, as JSON")
    expand.add_argument("template", metavar="TEMPLATE")
    add_parameter_options(expand)
    add_context_options(expand)

    lint = sub.add_parser("lint", help="check templates for redeploys that break things")
    lint.add_argument("paths", nargs="+", metavar="PATH", help="template files or folders (templates are recognised by $schema)")
    add_parameter_options(lint)
    add_context_options(lint)
    add_report_options(lint)
    lint.add_argument("--mode", choices=["incremental", "complete"], default="incremental", help="the deployment mode; default: %(default)s")
    lint.add_argument("--select", default=None, help="rule ids or prefixes to run, comma separated")
    lint.add_argument("--ignore", default=None, help="rule ids or prefixes to skip, comma separated")
    lint.add_argument("--config", default=None, help=".arm-validator.yaml or pyproject.toml (default: the nearest one)")
    lint.add_argument("--policies", action="append", default=[], metavar="DIR", help="a folder of policies written as data")
    lint.add_argument("--jobs", type=int, default=1, metavar="N", help="templates checked in parallel (0: one per core)")
    lint.add_argument("--baseline", default=None, metavar="FILE", help="report only findings not in this baseline")
    lint.add_argument("--write-baseline", default=None, metavar="FILE", help="accept every current finding into FILE")
    lint.add_argument("--new-since", default=None, metavar="REF", help="report only findings that are new since the git REF")
    lint.add_argument(
        "--only-templates",
        action="store_true",
        help="skip files named on the command line that are not ARM templates (for pre-commit hooks)",
    )

    for module in COMMAND_MODULES:
        EXTRA_COMMANDS.update(importlib.import_module(module).register(sub))

    rules = sub.add_parser("rules", help="list the rules, then the policies when some are configured or given")
    rules.add_argument("--format", choices=["text", "json"], default="text")
    rule = sub.add_parser("rule", help="print one rule's or policy's documentation")
    rule.add_argument("rule_id", metavar="ID")
    for command in (rules, rule):
        command.add_argument("--policies", action="append", default=[], metavar="DIR", help="a folder of policies written as data")
        command.add_argument("--config", default=None, help=".arm-validator.yaml or pyproject.toml whose `policies` to load (default: the nearest one)")
    return parser


def add_report_options(parser: argparse.ArgumentParser) -> None:
    from .reporters import REPORTERS

    parser.add_argument("--format", choices=sorted(REPORTERS), default="text", help="default: %(default)s")
    parser.add_argument(
        "--fail-on",
        choices=["error", "warning", "note", "never"],
        default=None,
        help="exit 1 when a finding is at or above this severity (default: error, or the config's fail-on)",
    )
    parser.add_argument("-o", "--output", default=None, metavar="FILE", help="write the report to FILE instead of standard output")


def run_expand(args: argparse.Namespace) -> int:
    from . import api
    from .source import SourceError

    try:
        expansion = api.expand(
            args.template,
            parameters_file=args.parameters,
            params=args.param,
            context=context_from(args, args.template),
            fill_missing=args.fill_missing,
        )
    except SourceError as err:
        print(f"{err.path}:{err.line}:{err.column}: error: {err.message}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as err:
        print(f"{err.filename or args.template}:0:0: error: {err.strerror or err}", file=sys.stderr)
        return EXIT_ERROR
    json.dump(expansion.to_json(), sys.stdout, indent=2)
    sys.stdout.write("\n")
    errors = [d for d in expansion.diagnostics if d.severity == "error"]
    for diagnostic in errors:
        print(str(diagnostic), file=sys.stderr)
    return EXIT_ERROR if errors else EXIT_OK


def run_lint(args: argparse.Namespace) -> int:
    return lint_and_report(args, state=None)


def lint_and_report(args: argparse.Namespace, state: Any = None, templates: list[str] | None = None) -> int:
    """The lint pipeline behind `lint` (and `check`, with live state): select, run, report, exit code."""
    import os
    from dataclasses import replace

    from .config import ConfigError, discover_config, load_config
    from .discovery import find_templates, is_template_file, parameter_file_for
    from .lint import LintRequest, apply_baseline, at_or_above, lint_many, write_baseline
    from .policies import PolicyError, load_policies
    from .reporters import REPORTERS

    try:
        config = load_config(args.config) if getattr(args, "config", None) else discover_config()
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_ERROR
    if getattr(args, "select", None):
        config.select = [s.strip() for s in args.select.split(",") if s.strip()]
    if getattr(args, "ignore", None):
        config.ignore = config.ignore + [s.strip() for s in args.ignore.split(",") if s.strip()]
    if templates is None:
        missing = [p for p in args.paths if not os.path.exists(p)]
        if missing:
            print(f"error: no such file or folder: {', '.join(missing)}", file=sys.stderr)
            return EXIT_ERROR
        templates = list(find_templates(args.paths))
        if getattr(args, "only_templates", False):
            templates = [t for t in templates if is_template_file(t)]
    try:
        policies = tuple(load_policies([*config.policies, *getattr(args, "policies", [])]))
    except PolicyError as err:
        print(f"{err}", file=sys.stderr)
        return EXIT_ERROR
    if args.parameters and len(templates) != 1:
        print("error: -p/--parameters goes with exactly one template", file=sys.stderr)
        return EXIT_ERROR
    requests = [
        LintRequest(
            template=template,
            parameters_file=args.parameters or parameter_file_for(template),
            params=list(args.param),
            context=context_from(args, template),
            fill_missing=args.fill_missing,
            mode=args.mode,
            config=config,
            extra_rules=policies,
            state=state,
        )
        for template in templates
    ]
    jobs = getattr(args, "jobs", 1)
    jobs = jobs if jobs > 0 else (os.cpu_count() or 1)
    reports = lint_many(requests, jobs=jobs)
    if getattr(args, "write_baseline", None):
        count = write_baseline(args.write_baseline, [f for r in reports for f in r.findings])
        print(f"wrote {count} finding(s) to {args.write_baseline}", file=sys.stderr)
        return EXIT_OK
    if getattr(args, "baseline", None):
        try:
            for report in reports:
                report.findings, accepted = apply_baseline(args.baseline, report.findings)
                report.suppressed += accepted
        except (OSError, ValueError, KeyError) as err:
            print(f"error: cannot use the baseline {args.baseline}: {err}", file=sys.stderr)
            return EXIT_ERROR
    if getattr(args, "new_since", None):
        from .reporters.newsince import NewSinceError, findings_new_since

        def lint_at_ref(paths: list[str]) -> list:
            return lint_many([replace(request_template, template=p, parameters_file=parameter_file_for(p)) for p in paths])

        request_template = requests[0] if requests else LintRequest(template="", config=config, extra_rules=policies, state=state)
        try:
            reports = findings_new_since(reports, args.new_since, lint_at_ref)
        except NewSinceError as err:
            print(f"error: {err}", file=sys.stderr)
            return EXIT_ERROR
    if args.format == "sarif":
        from .reporters import sarif

        rendered = sarif.render(reports, extra_rules=policies)
    else:
        rendered = REPORTERS[args.format](reports)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(rendered)
    else:
        sys.stdout.write(rendered)
    fail_on = args.fail_on or config.fail_on or "error"
    return EXIT_FINDINGS if at_or_above((f for r in reports for f in r.findings), fail_on) else EXIT_OK


def load_policy_rules(args: argparse.Namespace) -> list[Any] | None:
    """The policies of the configuration (--config, else the nearest one) and of --policies, for
    `rules` and `rule`; None, after printing why, when a policy or the configuration is invalid."""
    from .config import ConfigError, discover_config, load_config
    from .policies import PolicyError, load_policies

    try:
        config = load_config(args.config) if args.config else discover_config()
        return load_policies([*config.policies, *args.policies])
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
    except PolicyError as err:
        print(f"{err}", file=sys.stderr)
    return None


def run_rules(args: argparse.Namespace) -> int:
    from .rules import ALL_RULES, RESERVED

    policies = load_policy_rules(args)
    if policies is None:
        return EXIT_ERROR
    every = [*(("rule", r) for r in ALL_RULES), *(("reserved", r) for r in RESERVED), *(("policy", r) for r in policies)]
    if args.format == "json":
        listed = [
            {"id": r.id, "name": r.name, "severity": r.severity, "summary": r.summary, "kind": kind}
            | ({"source": r.policy.source} if kind == "policy" else {})
            for kind, r in every
        ]
        json.dump(listed, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return EXIT_OK
    for kind, r in every:
        if kind != "policy":
            print(f"{r.id:<8} {r.severity:<8} {r.name:<45} {r.summary}")
    if policies:
        print("\npolicies written as data:")
        width = max(len(r.id) for r in policies)
        for r in policies:
            print(f"{r.id:<{width}} {r.severity:<8} {r.name:<45} {r.summary}  ({r.policy.source})")
    return EXIT_OK


def run_rule(args: argparse.Namespace) -> int:
    """A built-in rule's documentation, else a policy's (policies load only when no built-in matches)."""
    import difflib

    from .rules import ALL_RULES, RESERVED, rule_by_id

    wanted = args.rule_id.upper()
    found: Any = rule_by_id(wanted)
    policies: list[Any] = []
    if found is None:
        loaded = load_policy_rules(args)
        if loaded is None:
            return EXIT_ERROR
        policies = loaded
        found = next((p for p in policies if p.id == wanted), None)
    if found is None:
        ids = [r.id for r in (*ALL_RULES, *RESERVED, *policies)]
        near = [i for i in ids if i.startswith(wanted)] or difflib.get_close_matches(wanted, ids, n=5, cutoff=0.6)
        message = f"error: no rule or policy {args.rule_id!r}"
        if near:
            message += f"; near matches: {', '.join(near[:5])}"
        if not policies and "-" in wanted:  # policy ids have a hyphen, built-in ids never do
            message += "; no policies are loaded: pass --policies DIR, or list them under `policies` in the config file"
        print(f"{message} ('arm-validator rules' lists them all)", file=sys.stderr)
        return EXIT_ERROR
    print(f"# {found.id} ({found.name})\n\n{found.summary[0].upper() + found.summary[1:]}. Severity: {found.severity}.\n")
    print(found.documentation())
    return EXIT_OK


COMMANDS = {"expand": run_expand, "lint": run_lint, "rules": run_rules, "rule": run_rule}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    try:
        runner = COMMANDS.get(args.command) or EXTRA_COMMANDS[args.command]
        return runner(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
