"""Authors' test cases as a JUnit XML report, the format CI systems (GitHub Actions, GitLab,
Jenkins) show case by case. Written with the standard library's ElementTree, which escapes
markup; characters XML cannot hold at all (control characters) are replaced first."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict

from .cases import CaseOutcome

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_safe(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def junit_report(outcomes: list[CaseOutcome]) -> str:
    """One <testsuite> per test file, one <testcase> per case: a failure element for a failing
    case, skipped for a `todo` case (passing or not), with the file and line of each case."""
    by_file: dict[str, list[CaseOutcome]] = defaultdict(list)
    for outcome in outcomes:
        by_file[outcome.path].append(outcome)
    root = ET.Element("testsuites", name="triage rules test", tests=str(len(outcomes)),
                      failures=str(sum(1 for o in outcomes if not o.passed and not o.todo)),
                      skipped=str(sum(1 for o in outcomes if o.todo)), errors="0", time="0")
    for path, cases in by_file.items():
        failing = [o for o in cases if not o.passed and not o.todo]
        suite = ET.SubElement(root, "testsuite", name=_xml_safe(path), tests=str(len(cases)), failures=str(len(failing)),
                              skipped=str(sum(1 for o in cases if o.todo)), errors="0", time="0")
        for case in cases:
            element = ET.SubElement(suite, "testcase", name=_xml_safe(case.name), classname=_xml_safe(path),
                                    file=_xml_safe(path), line=str(case.line), time="0")
            if case.todo:  # a todo case that passes now says so: it can be un-marked
                note = "passes now: un-mark it" if case.passed else "known gap"
                ET.SubElement(element, "skipped", message=_xml_safe(f"todo ({note}): {case.todo}"))
            elif not case.passed:
                failure = ET.SubElement(element, "failure", message=_xml_safe("; ".join(case.failures)))
                failure.text = _xml_safe(case.message())
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
