"""JUnit XML, for the test tabs of Azure DevOps (PublishTestResults@2) and GitLab.

One `testsuite` per template; in it one `testcase` per rule that produced findings (a `failure`
typed by the most severe finding, its text one `file:line:column` line per finding), or one
passing `testcase` when the template is clean.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from ..findings import SEVERITY_RANK, Finding
from ..lint import FileReport
from ._common import display_path, plural, repository_root, rule_info

CLEAN_CASE = "no findings"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # characters XML 1.0 cannot carry at all


def render(reports: Sequence[FileReport], *, root: str | None = None) -> str:
    """The JUnit document for `reports`; file names are relative to `root` (the repository root)."""
    root = root or repository_root()
    suites = ET.Element("testsuites", name="arm-validator")
    total_tests = total_failures = 0
    for report in reports:
        name = display_path(report.template, root)
        suite = ET.SubElement(suites, "testsuite", name=name)
        if report.parameters_file or report.suppressed:
            properties = ET.SubElement(suite, "properties")
            if report.parameters_file:
                ET.SubElement(properties, "property", name="parameters", value=display_path(report.parameters_file, root))
            if report.suppressed:
                ET.SubElement(properties, "property", name="suppressed", value=str(report.suppressed))
        by_rule: dict[str, list[Finding]] = {}
        for finding in report.findings:
            by_rule.setdefault(finding.rule_id, []).append(finding)
        for rule_id, findings in sorted(by_rule.items()):
            _failed_case(suite, name, rule_id, findings, root)
        if not by_rule:
            ET.SubElement(suite, "testcase", classname=name, name=CLEAN_CASE, file=name)
        tests = max(1, len(by_rule))
        suite.set("tests", str(tests))
        suite.set("failures", str(len(by_rule)))
        suite.set("errors", "0")
        suite.set("skipped", "0")
        total_tests += tests
        total_failures += len(by_rule)
    suites.set("tests", str(total_tests))
    suites.set("failures", str(total_failures))
    suites.set("errors", "0")
    for element in suites.iter():  # ElementTree escapes markup but passes invalid characters through
        element.text = _xml_safe(element.text)
        for key, value in element.attrib.items():
            element.set(key, _xml_safe(value) or "")
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def _failed_case(suite: ET.Element, name: str, rule_id: str, findings: list[Finding], root: str) -> None:
    info = rule_info(rule_id)
    title = rule_id if info.name == info.id else f"{rule_id} {info.name}"
    case = ET.SubElement(suite, "testcase", classname=name, name=title, file=name)
    worst = max(findings, key=lambda f: SEVERITY_RANK[f.severity])
    message = worst.message if len(findings) == 1 else f"{plural(len(findings), 'finding')}: {worst.message}"
    failure = ET.SubElement(case, "failure", type=worst.severity, message=message)
    lines = []
    for finding in findings:
        position = finding.position
        lines.append(f"{display_path(position.file, root)}:{position.line}:{position.column}: {finding.severity}: {finding.message}")
        if finding.remedy:
            lines.append(f"  help: {finding.remedy}")
    failure.text = "\n".join(lines)


def _xml_safe(text: str | None) -> str | None:
    return None if text is None else _NOT_XML.sub("\ufffd", text)
