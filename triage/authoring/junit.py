"""Authors' test cases as a JUnit XML report, the format CI systems (GitHub Actions, GitLab,
Jenkins) show case by case. Written with the standard library's ElementTree, which escapes
every text and attribute."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict

from .cases import CaseOutcome


def junit_report(outcomes: list[CaseOutcome]) -> str:
    """One <testsuite> per test file, one <testcase> per case: a failure element for a failing
    case, skipped for a `todo` case (passing or not), with the file and line of each case."""
    by_file: dict[str, list[CaseOutcome]] = defaultdict(list)
    for outcome in outcomes:
        by_file[outcome.path].append(outcome)
    root = ET.Element("testsuites", name="triage rules test", tests=str(len(outcomes)),
                      failures=str(sum(1 for o in outcomes if not o.passed and not o.todo)))
    for path, cases in by_file.items():
        failing = [o for o in cases if not o.passed and not o.todo]
        suite = ET.SubElement(root, "testsuite", name=path, tests=str(len(cases)), failures=str(len(failing)),
                              skipped=str(sum(1 for o in cases if o.todo)))
        for case in cases:
            element = ET.SubElement(suite, "testcase", name=case.name, classname=path, file=path, line=str(case.line))
            if case.todo:
                ET.SubElement(element, "skipped", message=f"todo: {case.todo}")
            elif not case.passed:
                failure = ET.SubElement(element, "failure", message="; ".join(case.failures))
                failure.text = case.message()
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
