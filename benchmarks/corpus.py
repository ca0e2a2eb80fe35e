"""Benchmark: expand (and lint) every template under a folder, with plain `json.load` as the reference.

    python benchmarks/corpus.py [FOLDER] [--lint] [--jobs N] [--limit N]

FOLDER defaults to ../shared/corpus/avm (573 compiled Azure Verified Modules templates). Prints:
files; expanded cleanly / with Unknowns / with errors (errors grouped by cause); uncaught
exceptions; wall times of json.load, expand and lint in the same run, their ratios; peak memory.
Required parameters without a value get an Unknown placeholder (`--fill-missing`). Both loops
settle the garbage collector between files the same way (`validator.lint.settle_collector`, what
`lint` does), so the ratio compares the work, not the collector. Lint is timed in a fresh Python
process: run after expand in the same one, it would find the parse caches warm (as a real `lint`
run never does) and look 10% faster than it is.
"""
from __future__ import annotations

import argparse
import collections
import gc
import json
import os
import resource
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

DEFAULT_CORPUS = os.path.normpath(os.path.join(HERE, "..", "..", "shared", "corpus", "avm"))


def corpus_files(folder: str) -> list[str]:
    found = []
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            if name.endswith(".json"):
                found.append(os.path.join(root, name))
    return found


def time_json_load(files: list[str]) -> float:
    start = time.perf_counter()
    for path in files:
        with open(path, encoding="utf-8-sig") as handle:
            try:
                json.load(handle)
            except ValueError:  # comments or trailing commas: Azure reads them, json does not
                pass
    return time.perf_counter() - start


def time_expand(files: list[str]) -> tuple[float, collections.Counter[str], collections.Counter[str], list[str]]:
    from validator.api import expand
    from validator.lint import settle_collector
    from validator.source import SourceError

    outcome: collections.Counter[str] = collections.Counter()
    causes: collections.Counter[str] = collections.Counter()
    crashes: list[str] = []
    elapsed = 0.0
    for path in files:
        start = time.perf_counter()  # per file: the bookkeeping below is not expansion
        try:
            expansion = expand(path, fill_missing=True)
            settle_collector()  # as lint does between files: the comparison stays like for like
        except SourceError as err:
            outcome["with errors"] += 1
            causes[f"unreadable: {err.message[:60]}"] += 1
            continue
        except Exception:
            outcome["uncaught exception"] += 1
            crashes.append(f"{path}\n{traceback.format_exc(limit=6)}")
            continue
        finally:
            elapsed += time.perf_counter() - start
        errors = [d for d in expansion.diagnostics if d.severity == "error"]
        if errors:
            outcome["with errors"] += 1
            for d in errors:
                causes[f"{d.code}: {d.message[:70]}"] += 1
        elif expansion.has_unknowns:
            outcome["with Unknowns"] += 1
        else:
            outcome["cleanly"] += 1
    gc.unfreeze()
    return elapsed, outcome, causes, crashes


def time_lint(files: list[str], jobs: int) -> tuple[float, collections.Counter[str]]:
    from validator.lint import LintRequest, lint_many

    start = time.perf_counter()
    reports = lint_many([LintRequest(template=f, fill_missing=True) for f in files], jobs=jobs)
    elapsed = time.perf_counter() - start
    per_rule: collections.Counter[str] = collections.Counter(f.rule_id for r in reports for f in r.findings)
    return elapsed, per_rule


def time_lint_in_fresh_process(folder: str, limit: int, jobs: int) -> tuple[float, collections.Counter[str], float]:
    """(wall time, findings by rule, peak RSS in MB) of linting in a new interpreter."""
    command = [sys.executable, os.path.abspath(__file__), folder, "--lint-here", "--jobs", str(jobs), "--limit", str(limit)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    measured = json.loads(done.stdout)
    return measured["elapsed"], collections.Counter(measured["per_rule"]), measured["peak_mb"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", nargs="?", default=DEFAULT_CORPUS)
    parser.add_argument("--lint", action="store_true", help="also lint with every rule and compare with expand")
    parser.add_argument("--jobs", type=int, default=1, help="processes for the lint run (default 1, as expand)")
    parser.add_argument("--limit", type=int, default=0, help="only the first N files")
    parser.add_argument("--lint-here", action="store_true", help=argparse.SUPPRESS)  # the fresh lint process
    args = parser.parse_args()

    files = corpus_files(args.folder)
    if args.limit:
        files = files[: args.limit]
    if args.lint_here:
        elapsed, per_rule = time_lint(files, args.jobs)
        json.dump({"elapsed": elapsed, "per_rule": per_rule, "peak_mb": _peak_mb()}, sys.stdout)
        return 0
    if not files:
        print(f"no .json files under {args.folder}", file=sys.stderr)
        return 2
    size = sum(os.path.getsize(f) for f in files)
    json_time = time_json_load(files)
    expand_time, outcome, causes, crashes = time_expand(files)
    total = len(files)
    print(f"files: {total} ({size / 1e6:.1f} MB) under {args.folder}")
    for key in ("cleanly", "with Unknowns", "with errors", "uncaught exception"):
        print(f"  expanded {key}: {outcome[key]} ({100 * outcome[key] / total:.1f}%)")
    print(f"  without an error diagnostic: {100 * (outcome['cleanly'] + outcome['with Unknowns']) / total:.1f}%")
    if causes:
        print("error diagnostics by cause:")
        for cause, count in causes.most_common(15):
            print(f"  {count:5d}  {cause}")
    for crash in crashes[:5]:
        print("UNCAUGHT:", crash)
    print(f"json.load: {json_time:.2f} s")
    print(f"expand:    {expand_time:.2f} s  ({expand_time / json_time:.1f}x json.load)")
    peak = f"expand {_peak_mb():.0f} MB"
    if args.lint:
        lint_time, per_rule, lint_peak = time_lint_in_fresh_process(args.folder, args.limit, args.jobs)
        print(f"lint:      {lint_time:.2f} s  ({lint_time / json_time:.1f}x json.load, {lint_time / expand_time:.2f}x expand, jobs={args.jobs})")
        print("findings by rule: " + ", ".join(f"{rule} {n}" for rule, n in sorted(per_rule.items())))
        peak += f", lint {lint_peak:.0f} MB"
    print(f"peak memory (max RSS): {peak}")
    return 1 if crashes else 0


def _peak_mb() -> float:
    """The largest resident set of this process or of any worker process it waited for."""
    usage = (resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return max(usage) / 1024


if __name__ == "__main__":
    sys.exit(main())
