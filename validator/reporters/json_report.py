"""The JSON report, for machines. Stable; `version` changes when a field changes meaning.

    {"version": 1, "tool": {"name": "arm-validator", "version": "..."},
     "summary": {"files": N, "error": N, "warning": N, "note": N, "suppressed": N},
     "files": [{"template": PATH, "parameters": PATH | null,
                "findings": [{"ruleId", "severity", "message", "remedy",
                              "location": {"file", "line", "column", "endLine", "endColumn", "path"},
                              "resourceId", "related": [{"message", "location"}], "fix"?}]}]}
"""
from __future__ import annotations

import json
from importlib.metadata import PackageNotFoundError, version
from typing import Sequence

from ..lint import FileReport

FORMAT_VERSION = 1


def tool_version() -> str:
    try:
        return version("arm-validator")
    except PackageNotFoundError:
        return "0+unknown"


def render(reports: Sequence[FileReport]) -> str:
    summary = {"files": len(reports), "error": 0, "warning": 0, "note": 0, "suppressed": sum(r.suppressed for r in reports)}
    for report in reports:
        for finding in report.findings:
            summary[finding.severity] += 1
    document = {
        "version": FORMAT_VERSION,
        "tool": {"name": "arm-validator", "version": tool_version()},
        "summary": summary,
        "files": [
            {
                "template": report.template,
                "parameters": report.parameters_file,
                "findings": [f.to_json() for f in report.findings],
            }
            for report in reports
        ],
    }
    return json.dumps(document, indent=2) + "\n"
