"""Run the conditional-creation fix over every corpus template that declares a Key Vault, and
prove each result (validator/fixes/proof.py): how many fixed cleanly, and why the others did not.

    python benchmarks/fix_corpus.py [CORPUS_DIR]   (default: ../shared/corpus/avm)
"""
from __future__ import annotations

import collections
import glob
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from validator.config import Config
from validator.fixes.engine import FixRequest, fix_template
from validator.fixes.proof import prove_fix

VAULT_TYPE = '"microsoft.keyvault/vaults"'


def main(corpus: str) -> int:
    files = sorted(f for f in glob.glob(os.path.join(corpus, "**", "*.json"), recursive=True)
                   if VAULT_TYPE in Path(f).read_text(encoding="utf-8-sig", errors="replace").lower())
    outcomes: collections.Counter[str] = collections.Counter()
    started = time.perf_counter()
    for path in files:
        with open(path, encoding="utf-8-sig") as handle:
            text = handle.read()
        # Only KV001: the proof compares resources, which other rules' fixes change on purpose.
        request = FixRequest(template=path, text=text, fill_missing=True, config=Config(select=["KV001"]))
        try:
            outcome = fix_template(request)
        except Exception as err:  # noqa: BLE001 - a crash is a result to report, not a reason to stop
            outcomes["crashed"] += 1
            print(f"CRASH  {path}: {type(err).__name__}: {err}")
            continue
        if not outcome.applied:
            reasons = "; ".join(sorted({why for _, why in outcome.unfixable})) or "no KV001 finding"
            key = "no KV001 finding" if not outcome.unfixable else f"not fixable: {reasons}"
            outcomes[key] += 1
            if outcome.unfixable:
                print(f"SKIP   {path}: {reasons}")
            continue
        proof = prove_fix(request, outcome.template_text)
        if proof.proven:
            outcomes["fixed and proven"] += 1
            print(f"FIXED  {path}: {len(outcome.applied)} fix(es), options {', '.join(proof.options)}")
        else:
            outcomes["fixed, proof failed"] += 1
            print(f"FAILED {path}: {'; '.join(proof.failures)}")
    print(f"\n{len(files)} templates declare a vault ({time.perf_counter() - started:.1f}s)")
    for key, count in outcomes.most_common():
        print(f"  {count:3d}  {key}")
    return 1 if outcomes["fixed, proof failed"] or outcomes["crashed"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "shared", "corpus", "avm")))
