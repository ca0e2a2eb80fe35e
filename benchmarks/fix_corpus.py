"""Run a KV001 fix strategy over every corpus template that declares a Key Vault, and prove each
result: how many fixed cleanly, and why the others did not.

    python benchmarks/fix_corpus.py [CORPUS_DIR] [--strategy conditional|add-policies|rbac]

CORPUS_DIR defaults to ../shared/corpus/avm. `conditional` and `add-policies` results are proven
(validator/fixes/proof.py, validator/fixes/policies_proof.py); `rbac` is display-only, so its
proposals are checked instead: the proposed text parses and KV001 no longer fires on it.
"""
from __future__ import annotations

import argparse
import collections
import glob
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from validator.config import Config
from validator.fixes.edits import apply_edits
from validator.fixes.engine import (
    STRATEGIES,
    FixOutcome,
    FixRequest,
    fix_template,
    lint_document,
)
from validator.fixes.policies_proof import prove_add_policies
from validator.fixes.proof import prove_fix
from validator.source import SourceError, parse_document

VAULT_TYPE = '"microsoft.keyvault/vaults"'
DEFAULT_CORPUS = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "corpus", "avm")


def check_proposals(request: FixRequest, outcome: FixOutcome) -> list[str]:
    """What is wrong with the display-only proposals: a text that does not parse, or KV001 left."""
    failures = []
    for proposal in outcome.display_only:
        try:
            document = parse_document(apply_edits(outcome.template_text, proposal.edits), request.template)
        except SourceError as err:
            failures.append(f"the proposal does not parse: {err}")
            continue
        findings, _ = lint_document(document, request, None)
        if any(f.rule_id == "KV001" for f in findings):
            failures.append("KV001 still fires on the proposal")
    return failures


def main(corpus: str, strategy: str) -> int:
    files = sorted(f for f in glob.glob(os.path.join(corpus, "**", "*.json"), recursive=True)
                   if VAULT_TYPE in Path(f).read_text(encoding="utf-8-sig", errors="replace").lower())
    outcomes: collections.Counter[str] = collections.Counter()
    started = time.perf_counter()
    for path in files:
        with open(path, encoding="utf-8-sig") as handle:
            text = handle.read()
        # Only KV001: the proof compares resources, which other rules' fixes change on purpose.
        request = FixRequest(template=path, text=text, fill_missing=True, config=Config(select=["KV001"]), strategy=strategy)
        try:
            outcome = fix_template(request)
        except Exception as err:  # noqa: BLE001 - a crash is a result to report, not a reason to stop
            outcomes["crashed"] += 1
            print(f"CRASH  {path}: {type(err).__name__}: {err}")
            continue
        if strategy == "rbac":
            if not outcome.display_only:
                reasons = "; ".join(sorted({why for _, why in outcome.unfixable})) or "no KV001 finding"
                outcomes["no KV001 finding" if not outcome.unfixable else f"not fixable: {reasons}"] += 1
                continue
            failures = check_proposals(request, outcome)
            outcomes["proposed, checked" if not failures else "proposed, check failed"] += 1
            print(f"{'SHOWN ' if not failures else 'FAILED'} {path}: {'; '.join(failures) or outcome.display_only[0].title}")
            continue
        if not outcome.applied:
            reasons = "; ".join(sorted({why for _, why in outcome.unfixable})) or "no KV001 finding"
            key = "no KV001 finding" if not outcome.unfixable else f"not fixable: {reasons}"
            outcomes[key] += 1
            if outcome.unfixable:
                print(f"SKIP   {path}: {reasons}")
            continue
        prove = prove_add_policies if strategy == "add-policies" else prove_fix
        proof = prove(request, outcome.template_text)
        if proof.proven:
            outcomes["fixed and proven"] += 1
            print(f"FIXED  {path}: {len(outcome.applied)} fix(es), options {', '.join(proof.options)}")
        else:
            outcomes["fixed, proof failed"] += 1
            print(f"FAILED {path}: {'; '.join(proof.failures)}")
    print(f"\n{len(files)} templates declare a vault; strategy {strategy} ({time.perf_counter() - started:.1f}s)")
    for key, count in outcomes.most_common():
        print(f"  {count:3d}  {key}")
    return 1 if outcomes["fixed, proof failed"] or outcomes["proposed, check failed"] or outcomes["crashed"] else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", default=DEFAULT_CORPUS, help="a folder of templates (default: ../shared/corpus/avm)")
    parser.add_argument("--strategy", choices=STRATEGIES, default="conditional", help="the KV001 fix strategy; default: %(default)s")
    arguments = parser.parse_args()
    sys.exit(main(arguments.corpus, arguments.strategy))
