"""Runs every live rule's YAML case file (tests/rules/live/cases/<ID>.yml) against a live state.

The format is the one of tests/rules/cases, plus a `state:` mapping, built straight into a
`LiveState` (the snapshot file format is tested with the snapshot loader):

    rule: KV101
    cases:
      - name: the seed incident
        template: |
          {...}
        parameters: {keyVaultOption: new}         # optional, as --param values
        mode: complete                            # optional deployment mode
        state:                                    # what the subscription holds
          subscription_id: 11111111-...          # optional; the template is expanded with these
          resource_group: rg-ml                   # optional
          tenant_id: 72f988bf-...                 # optional: the deployment context's tenant
          resources:                              # one per lookup
            - {id: /subscriptions/.../vaults/kv-prod, status: found, body: {...}}
            - {id: ..., status: forbidden, missing_permission: Microsoft.KeyVault/vaults/read}
          deleted_vaults: {kv-prod: {location: westeurope, vault_id: ...}, kv-new: null}
          vault_names: {kv-prod: {available: false, reason: AlreadyExists, message: "..."}}
          group_resources: [{id: ..., type: ..., name: ...}]
          group_listing: {status: forbidden, missing_permission: ...}
        findings:                                 # exactly the findings of this rule, in order
          - {line: 12, column: 7, severity: error, message: ["kv-prod", "loses get"]}  # substrings
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from validator.config import Config
from validator.expressions.evaluator import DeploymentContext
from validator.lint import LintRequest, lint_file
from validator.rules import ALL_RULES
from validator.rules.live import RULES
from validator.state.model import (
    DeletedVault,
    LiveResource,
    LiveState,
    NameAvailability,
)

CASES_DIR = Path(__file__).parent / "cases"
SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
RESOURCE_GROUP = "rg"


def build_state(spec: dict[str, Any]) -> LiveState:
    """A `LiveState` from a case's `state:` mapping."""
    state = LiveState(
        subscription_id=spec.get("subscription_id", SUBSCRIPTION),
        resource_group=spec.get("resource_group", RESOURCE_GROUP),
        source="test",
    )
    for item in spec.get("resources") or []:
        resource = LiveResource(
            id=item["id"],
            api_version=item.get("api_version", "2023-07-01"),
            status=item.get("status", "found"),
            body=item.get("body"),
            missing_permission=item.get("missing_permission"),
            message=item.get("message"),
        )
        state.resources[resource.id.lower()] = resource
    for name, deleted in (spec.get("deleted_vaults") or {}).items():
        state.deleted_vaults[name.lower()] = None if deleted is None else DeletedVault(name=name, **deleted)
    for name, availability in (spec.get("vault_names") or {}).items():
        state.vault_names[name.lower()] = NameAvailability(name=name, **availability)
    if "group_resources" in spec:
        state.group_resources = spec["group_resources"]
    listing = spec.get("group_listing")
    if listing is not None:
        group_id = f"/subscriptions/{state.subscription_id}/resourceGroups/{state.resource_group}"
        state.group_listing = LiveResource(id=group_id, api_version="2021-04-01", **listing)
    return state


def _cases() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in sorted(CASES_DIR.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        out.extend((data["rule"], case) for case in data["cases"])
    return out


def run_case(rule_id: str, case: dict[str, Any], tmp_path: Path) -> list[Any]:
    """The findings of `rule_id` for one case, through the lint engine."""
    template = tmp_path / "azuredeploy.json"
    template.write_text(case["template"], encoding="utf-8")
    spec = case.get("state") or {}
    state = build_state(spec)
    context = DeploymentContext(
        subscription_id=state.subscription_id,
        resource_group=state.resource_group,
        tenant_id=spec.get("tenant_id", DeploymentContext().tenant_id),
        deployment_name="azuredeploy",
    )
    params = [f"{k}={v if isinstance(v, str) else json.dumps(v)}" for k, v in (case.get("parameters") or {}).items()]
    registered = {rule.id for rule in ALL_RULES}
    # Until the live rules are in ALL_RULES, run them as extra rules (never twice).
    extra = tuple(rule() for rule in RULES if rule.id == rule_id and rule.id not in registered)
    request = LintRequest(
        template=str(template),
        params=params,
        context=context,
        fill_missing=True,
        mode=case.get("mode", "incremental"),
        config=Config(select=[rule_id]),
        extra_rules=extra,
        state=None if case.get("no_state") else state,
    )
    return [f for f in lint_file(request).findings if f.rule_id in (rule_id, "AV999")]


@pytest.mark.parametrize("rule_id, case", _cases(), ids=lambda v: v if isinstance(v, str) else v.get("name", "?"))
def test_live_rule_case(rule_id: str, case: dict[str, Any], tmp_path: Path) -> None:
    findings = run_case(rule_id, case, tmp_path)
    expected = case.get("findings") or []
    got = [(f.rule_id, f.position.line, f.position.column, f.severity, f.message) for f in findings]
    assert len(findings) == len(expected), f"expected {len(expected)} finding(s), got {got}"
    for finding, want in zip(findings, expected):
        assert finding.rule_id == rule_id, got
        assert (finding.position.line, finding.position.column) == (want["line"], want["column"]), got
        assert finding.severity == want["severity"], got
        wanted = want.get("message", [])
        for part in [wanted] if isinstance(wanted, str) else wanted:
            assert part in finding.message, f"{part!r} not in {finding.message!r}"
        for part in want.get("not_in_message", []):
            assert part not in finding.message, f"{part!r} in {finding.message!r}"


def test_every_live_rule_has_a_case_file_with_a_pass_and_a_fail() -> None:
    for rule in RULES:
        path = CASES_DIR / f"{rule.id}.yml"
        assert path.exists(), f"{rule.id} has no case file {path.name}"
        cases = yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]
        assert any(c.get("findings") for c in cases), f"{rule.id}: no failing case"
        assert any(not c.get("findings") for c in cases), f"{rule.id}: no passing case"


def test_live_rules_need_live_state_and_are_listed_in_id_order() -> None:
    assert all(rule.needs_live_state for rule in RULES)
    assert [rule.id for rule in RULES] == sorted(rule.id for rule in RULES)
