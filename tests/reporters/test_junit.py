"""JUnit XML: a suite per template, a failing case per rule, a passing case per clean template."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from reporter_helpers import finding

from validator.lint import FileReport
from validator.reporters import REPORTERS, junit


def test_registered_as_a_format() -> None:
    assert REPORTERS["junit"] is junit.render


def test_suites_cases_and_failures(tmp_path: Path) -> None:
    a, b = tmp_path / "infra" / "a.json", tmp_path / "b.json"
    reports = [
        FileReport(
            str(a),
            str(tmp_path / "infra" / "a.parameters.json"),
            [
                finding(a, line=12, column=3),
                finding(a, rule_id="KV001", severity="warning", line=20, message="first"),
                finding(a, rule_id="KV001", severity="error", line=30, message="second", remedy=""),
            ],
        ),
        FileReport(str(b), None, [], suppressed=1),
    ]
    text = junit.render(reports, root=str(tmp_path))
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    suites = ET.fromstring(text)
    assert (suites.tag, suites.get("tests"), suites.get("failures"), suites.get("errors")) == ("testsuites", "3", "2", "0")
    first, second = suites.findall("testsuite")
    assert (first.get("name"), first.get("tests"), first.get("failures")) == ("infra/a.json", "2", "2")
    assert first.find("properties/property[@name='parameters']").get("value") == "infra/a.parameters.json"  # type: ignore[union-attr]
    kv001, kv004 = first.findall("testcase")
    assert (kv001.get("classname"), kv001.get("name")) == ("infra/a.json", "KV001 keyvault-access-policies-replaced")
    failure = kv001.find("failure")
    assert failure is not None
    assert (failure.get("type"), failure.get("message")) == ("error", "2 findings: second")
    assert failure.text == (
        "infra/a.json:20:5: warning: first\n  help: leave it out\n"
        "infra/a.json:30:5: error: second"
    )
    assert kv004.find("failure").text.startswith("infra/a.json:12:3: error: ")  # type: ignore[union-attr]
    [clean] = second.findall("testcase")
    assert (second.get("tests"), second.get("failures"), clean.get("name")) == ("1", "0", "no findings")
    assert clean.find("failure") is None
    assert second.find("properties/property[@name='suppressed']").get("value") == "1"  # type: ignore[union-attr]


def test_markup_and_control_characters_stay_well_formed(tmp_path: Path) -> None:
    file = tmp_path / "a&b.json"
    odd = finding(file, message='<bad> & "quoted" \x01 ]]> end', remedy="")
    text = junit.render([FileReport(str(file), None, [odd])], root=str(tmp_path))
    suites = ET.fromstring(text)
    failure = suites.find("testsuite/testcase/failure")
    assert failure is not None
    assert failure.get("message") == '<bad> & "quoted" \ufffd ]]> end'
    assert suites.find("testsuite").get("name") == "a&b.json"  # type: ignore[union-attr]
