"""Load and validate a content folder (questionnaire, rules, advice, sources, outcomes).

Everything is checked before anything runs, and every problem is reported at once as
`path:line:column: message`, so an author can fix a file in one pass. The model it builds
is in `triage.model`; the field-by-field checks are in `triage.fieldcheck`.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from .conditions import flags_read
from .contentcache import cached
from .engines import durable
from .errors import ContentError, InputError, Problem
from .fieldcheck import UNREADABLE, Checker, ConditionReader, kind_of
from .model import (
    ANSWER_ID,
    CLASSIFICATIONS,
    EMERGENCY_NUMBER,
    ITEM_ID,
    TEMPLATES,
    URGENCY_LEVELS,
    AdviceItem,
    Content,
    Outcomes,
    Question,
    Region,
    Rule,
    Source,
    default_rules_dir,
)
from .questionfile import read_questions
from .yamlsafe import LocatedDict, LocatedList, Mark, load_yaml_file

# --- the files --------------------------------------------------------------------------------


def _load(path: Path, problems: list[Problem]) -> Any:
    try:
        return load_yaml_file(str(path), problems)
    except InputError as exc:
        problems.extend(exc.problems)
        return UNREADABLE


def _read_sources(path: Path, problems: list[Problem]) -> dict[str, Source]:
    c = Checker(str(path), problems)
    sources: dict[str, Source] = {}
    for entry, sid, what in _entries(c, _load(path, problems), "sources", "source", ("id", "title"), ("file", "url")):
        if ("file" in entry) == ("url" in entry):
            c.problem(entry.where(), f"{what}: give exactly one of 'file' (a source document) or 'url'")
        url = c.text(entry, "url", what)
        if url and not url.startswith("https://"):
            c.problem(entry.where_value("url"), f"{what}: url must start with https://")
        sources[sid] = Source(sid, c.text(entry, "title", what), c.text(entry, "file", what), url)
    return sources


def _entries(
    c: Checker, data: Any, key: str, kind: str, required: tuple, optional: tuple
) -> Iterator[tuple[LocatedDict, str, str]]:
    """(entry, id, label) for each well-formed entry with a valid, unique id."""
    seen: set[str] = set()
    for entry, _ in c.items(data, key):
        item_id = entry.get("id")
        what = f"{kind} {item_id!r}"
        if not c.fields(entry, what, required, optional):
            continue
        if not isinstance(item_id, str) or not ITEM_ID.fullmatch(item_id):
            c.problem(entry.where_value("id"), f"{what}: not a valid id")
            continue
        if item_id in seen:
            c.problem(entry.where_value("id"), f"duplicate {kind} id {item_id!r}")
            continue
        seen.add(item_id)
        yield entry, item_id, what


def _read_advice(path: Path, sources: dict, problems: list[Problem]) -> dict[str, AdviceItem]:
    c = Checker(str(path), problems)
    advice: dict[str, AdviceItem] = {}
    for entry, aid, what in _entries(c, _load(path, problems), "advice", "advice", ("id", "title", "text", "sources"), ()):
        cited = _cited(c, entry, what, sources)
        advice[aid] = AdviceItem(aid, c.text(entry, "title", what), c.text(entry, "text", what), cited)
        if EMERGENCY_NUMBER in advice[aid].text:
            c.problem(entry.where_value("text"), f"{what}: {EMERGENCY_NUMBER} may only be used in outcomes.yaml "
                      "(actions, safety_net, disclaimer); write 'your emergency number'")
    return advice


def _cited(c: Checker, entry: LocatedDict, what: str, sources: dict) -> tuple[str, ...]:
    cited = c.id_list(entry, "sources", what)
    if not cited and "sources" in entry:
        c.problem(entry.where_value("sources"), f"{what}: cite at least one source")
    value = entry.get("sources")
    for i, sid in enumerate(cited):
        if sid not in sources:
            mark = value.where(i) if isinstance(value, LocatedList) else entry.where_value("sources")
            c.problem(mark, f"{what}: unknown source {sid!r}")
    return cited


def _read_rules(path: Path, content: dict, problems: list[Problem]) -> list[Rule]:
    c = Checker(str(path), problems)
    rules = []
    for entry, mark in c.items(_load(path, problems), "rules"):
        rid = entry.get("id")
        what = f"rule {rid!r}"
        if not c.fields(entry, what, ("id", "when", "then", "sources"), ("title", "red_flag")):
            continue
        if not isinstance(rid, str) or not ITEM_ID.fullmatch(rid):
            c.problem(entry.where_value("id"), f"{what}: id must be lower-case letters, digits, - and _")
            continue
        reader = ConditionReader(c, content["questions"], what)
        when = reader.read(entry["when"], entry.where_value("when"))
        then = c.mapping(entry["then"], entry.where_value("then"), f"{what}: then")
        cited = _cited(c, entry, what, content["sources"])
        if then is None or when is None:
            continue
        c.fields(then, f"{what} then", (), ("urgency", "classification", "reason", "advice", "flags"))
        urgency = then.get("urgency")
        if urgency is not None and urgency not in URGENCY_LEVELS:
            c.problem(
                then.where_value("urgency"), f"{what}: urgency must be one of {', '.join(URGENCY_LEVELS)}, got {kind_of(urgency)}"
            )
            urgency = None
        classification = then.get("classification")
        if classification is not None and classification not in CLASSIFICATIONS:
            c.problem(
                then.where_value("classification"),
                f"{what}: classification must be one of {', '.join(CLASSIFICATIONS)}, got {kind_of(classification)}",
            )
            classification = None
        reason = c.text(then, "reason", what)
        if EMERGENCY_NUMBER in reason:
            c.problem(then.where_value("reason"), f"{what}: {EMERGENCY_NUMBER} may only be used in outcomes.yaml "
                      "(actions, safety_net, disclaimer); write 'your emergency number'")
        if (urgency or classification) and not reason and "reason" not in then:
            c.problem(then.where(), f"{what}: a rule that sets urgency or classification needs a 'reason' for the user")
        advice = c.id_list(then, "advice", what)
        for aid in advice:
            if aid not in content["advice"]:
                c.problem(then.where_value("advice"), f"{what}: unknown advice {aid!r}")
        flags = c.id_list(then, "flags", what, ANSWER_ID)
        if not (urgency or classification or advice or flags):
            c.problem(then.where(), f"{what}: 'then' must conclude something (urgency, classification, advice or flags)")
        red_flag = c.flag(entry, "red_flag", what)
        if red_flag and urgency not in ("urgent", "emergency"):
            c.problem(entry.where_value("red_flag"), f"{what}: a red flag must conclude urgency urgent or emergency")
        rules.append(Rule(
            id=rid, when=when, sources=cited, path=str(path), line=mark.line,
            title=c.text(entry, "title", what), red_flag=red_flag, urgency=urgency,
            classification=classification, reason=reason, advice=advice, flags=flags,
        ))
    return rules


def _stage_rules(rules: list[Rule], problems: list[Problem]) -> list[Rule]:
    """Give each rule a stage: after every rule that sets a flag it reads."""

    setters: dict[str, list[Rule]] = {}
    for rule in rules:
        for name in rule.flags:
            setters.setdefault(name, []).append(rule)
    for rule in rules:
        for name in sorted(flags_read(rule.when)):
            if name not in setters:
                problems.append(Problem(rule.path, rule.line, 1, f"rule {rule.id!r}: no rule sets flag {name!r}"))
    stage: dict[str, int] = {}
    in_progress: list[str] = []

    def stage_of(rule: Rule) -> int:
        if rule.id in stage:
            return stage[rule.id]
        if rule.id in in_progress:
            circle = " -> ".join(in_progress[in_progress.index(rule.id):] + [rule.id])
            raise _Cycle(circle)
        in_progress.append(rule.id)
        needed = [s for name in flags_read(rule.when) for s in setters.get(name, [])]
        result = 1 + max((stage_of(s) for s in needed), default=-1)
        in_progress.pop()
        stage[rule.id] = result
        return result

    try:
        return [replace(rule, stage=stage_of(rule)) for rule in rules]
    except _Cycle as cycle:
        first = next(r for r in rules if r.id == in_progress[0])
        problems.append(Problem(
            first.path, first.line, 1, f"rule {first.id!r}: rules wait for each other's flags in a circle ({cycle.circle})"
        ))
        return rules


class _Cycle(Exception):
    def __init__(self, circle: str):
        self.circle = circle


def _read_outcomes(path: Path, problems: list[Problem]) -> Outcomes | None:
    c = Checker(str(path), problems)
    data = _load(path, problems)
    top = c.mapping(data, Mark((1, 1)), "the file") if data is not UNREADABLE else None
    if top is None:
        return None
    required = ("urgency", "classification", "fallback", "emergency_signs", "disclaimer", "words_note")
    if not c.fields(top, "outcomes", required, ("$schema", "safety_net", "emergency_numbers")):
        return None
    labels: dict[str, str] = {}
    actions: dict[str, str] = {}
    class_labels: dict[str, str] = {}
    explanations: dict[str, str] = {}
    for section, names, keys in (
        ("urgency", URGENCY_LEVELS, ("label", "action")), ("classification", CLASSIFICATIONS, ("label", "explanation"))
    ):
        block = c.mapping(top[section], top.where_value(section), section)
        if block is None:
            continue
        c.fields(block, section, names, ())
        for name in names:
            entry = c.mapping(block.get(name), block.where(name), f"{section} {name}") if name in block else None
            if entry is None or not c.fields(entry, f"{section} {name}", keys, ()):
                continue
            first, second = (labels, actions) if section == "urgency" else (class_labels, explanations)
            first[name] = c.text(entry, keys[0], f"{section} {name}")
            second[name] = c.text(entry, keys[1], f"{section} {name}")
    fallback = c.mapping(top["fallback"], top.where_value("fallback"), "fallback")
    fallback_urgency, fallback_reason = "soon", ""
    if fallback is not None and c.fields(fallback, "fallback", ("urgency", "reason"), ()):
        fallback_urgency = fallback["urgency"]
        if fallback_urgency not in URGENCY_LEVELS:
            c.problem(fallback.where_value("urgency"), f"fallback: urgency must be one of {', '.join(URGENCY_LEVELS)}")
            fallback_urgency = "soon"
        fallback_reason = c.text(fallback, "reason", "fallback")
    signs = top["emergency_signs"]
    if not isinstance(signs, list) or not signs or not all(isinstance(s, str) and s.strip() for s in signs):
        c.problem(top.where_value("emergency_signs"), "emergency_signs must be a non-empty list of texts")
        signs = []
    safety_nets: dict[str, str] = {}
    if "safety_net" in top:
        block = c.mapping(top["safety_net"], top.where_value("safety_net"), "safety_net")
        if block is not None and c.fields(block, "safety_net", (), URGENCY_LEVELS):
            safety_nets = {level: c.text(block, level, f"safety_net {level}") for level in URGENCY_LEVELS if level in block}
    regions, when_unknown = _read_emergency_numbers(c, top)
    disclaimer = c.text(top, "disclaimer", "outcomes")
    for where, text in [(top.where_value("disclaimer"), disclaimer)] + [
        (top.where_value("urgency"), action) for action in actions.values()
    ] + [(top.where_value("safety_net"), net) for net in safety_nets.values()]:
        if "{" in text.replace(EMERGENCY_NUMBER, ""):
            c.problem(where, f"the only placeholder outcome texts may use is {EMERGENCY_NUMBER}: {text[:60]!r}")
    return Outcomes(
        labels, actions, class_labels, explanations, fallback_urgency, fallback_reason,
        tuple(s.strip() for s in signs), disclaimer, c.text(top, "words_note", "outcomes"),
        safety_nets, regions, when_unknown,
    )


def _read_emergency_numbers(c: Checker, top: LocatedDict) -> tuple[dict[str, Region], str]:
    """`emergency_numbers`: the number per region, and how it reads when no region is chosen."""
    if "emergency_numbers" not in top:
        return {}, "911, 999 or 112"
    block = c.mapping(top["emergency_numbers"], top.where_value("emergency_numbers"), "emergency_numbers")
    if block is None or not c.fields(block, "emergency_numbers", ("when_unknown", "regions"), ()):
        return {}, "911, 999 or 112"
    regions: dict[str, Region] = {}
    listed = c.mapping(block["regions"], block.where_value("regions"), "emergency_numbers regions")
    for region_id in listed or {}:
        assert listed is not None
        what = f"emergency_numbers region {region_id}"
        entry = c.mapping(listed[region_id], listed.where_value(region_id), what)
        if not (isinstance(region_id, str) and re.fullmatch(r"[a-z]{2,3}", region_id)):
            c.problem(listed.where(region_id), f"{what}: a region id is 2 or 3 lower-case letters, like us or uk")
        elif entry is not None and c.fields(entry, what, ("name", "number"), ()):
            regions[region_id] = Region(region_id, c.text(entry, "name", what), c.text(entry, "number", what))
    return regions, c.text(block, "when_unknown", "emergency_numbers")


def links_out_of(root: Path) -> list[Problem]:
    """Content files that are links leading out of the folder: they are never read, so a
    template or rules file linked to another file cannot show that file in results or errors."""
    inside = os.path.realpath(root)
    candidates = [root / name for name in ("questionnaire.yaml", "outcomes.yaml", "advice.yaml", "sources.yaml")]
    for folder in ("rules", "templates", "tests", "schema"):
        if (root / folder).is_dir():
            candidates.extend(sorted((root / folder).iterdir()))
    problems = []
    for path in candidates:
        real = os.path.realpath(path)
        if os.path.lexists(path) and real != inside and not real.startswith(inside + os.sep):
            problems.append(Problem(str(path), 1, 1, "this file is a link that leads out of the content folder; it is not read"))
    return problems


def rule_files(root: Path) -> list[Path]:
    folder = root / "rules"
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def load_content(root: str | os.PathLike | None = None) -> Content:
    """Load and validate a content folder; raise ContentError listing every problem."""
    root = Path(root) if root is not None else default_rules_dir()
    problems: list[Problem] = []
    if not root.is_dir():
        raise ContentError([Problem(str(root), 1, 1, "the content folder does not exist")])
    for name in REQUIRED_FILES:
        if not (root / name).is_file():
            problems.append(Problem(str(root / name), 1, 1, "missing file"))
    if not rule_files(root):
        problems.append(Problem(str(root / "rules"), 1, 1, "no rule files (rules/*.yaml)"))
    for name in TEMPLATES.values():
        if not (root / "templates" / name).is_file():
            problems.append(Problem(str(root / "templates" / name), 1, 1, "missing template"))
    problems.extend(links_out_of(root))
    if problems:
        raise ContentError(problems)
    return cached(root, lambda: content_files(root), lambda key: _load_checked(root, key), Content)


REQUIRED_FILES = ("questionnaire.yaml", "outcomes.yaml", "advice.yaml", "sources.yaml")


def content_files(root: Path) -> list[Path]:
    """The files a Content is read from (templates aside)."""
    return [root / name for name in REQUIRED_FILES] + rule_files(root)


def _load_checked(root: Path, cache_key: str | None) -> Content:
    """Read and check every file: the slow part of start-up, which `cached` skips when nothing changed."""
    problems: list[Problem] = []
    questions = read_questions(root / "questionnaire.yaml", _load(root / "questionnaire.yaml", problems), problems)
    if questions is None:  # rules cannot be checked without the questions they read
        raise ContentError(problems)
    sources = _read_sources(root / "sources.yaml", problems)
    advice = _read_advice(root / "advice.yaml", sources, problems)
    outcomes = _read_outcomes(root / "outcomes.yaml", problems)
    context = {"questions": {q.id: q for q in questions}, "sources": sources, "advice": advice}
    rules: list[Rule] = []
    seen: dict[str, Rule] = {}
    for path in rule_files(root):
        for rule in _read_rules(path, context, problems):
            if rule.id in seen:
                first = seen[rule.id]
                problems.append(
                    Problem(rule.path, rule.line, 1, f"duplicate rule id {rule.id!r} (first in {first.path}:{first.line})")
                )
                continue
            seen[rule.id] = rule
            rules.append(rule)
    rules = _stage_rules(rules, problems)
    _check_fact_size(questions, rules, root, problems)
    if problems or outcomes is None:
        raise ContentError(problems)
    content = Content(root, tuple(questions), tuple(sorted(rules, key=lambda r: r.id)), advice, sources, outcomes)
    content.cache_key = cache_key  # not an init field: dataclasses.replace() (changed content) drops it
    content.fingerprint = fingerprint(root)
    return content


def fingerprint(root: Path) -> str:
    """Twelve hex digits that change whenever a file that decides or words a result does (the
    files the cache is keyed on: not the templates, which only lay it out), printed on results
    as the rules version; empty if a file went away meanwhile."""
    digest = hashlib.sha256()
    files = content_files(root)
    try:
        for path in files:
            data = path.read_bytes()
            digest.update(f"{path.relative_to(root).as_posix()}\0{len(data)}\0".encode() + data)
    except (OSError, ValueError):
        return ""
    return digest.hexdigest()[:12]


def _check_fact_size(questions: list[Question], rules: list[Rule], root: Path, problems: list[Problem]) -> None:
    """Every engine sees the same facts and rules, so durable-rules' limits apply to all."""
    if len(rules) > durable.MAX_RULES:
        problems.append(Problem(
            str(root / "rules"), 1, 1,
            f"the content has {len(rules)} rules; the engine can take at most {durable.MAX_RULES}",
        ))
    fields = durable.fact_fields(questions, rules)
    if fields > durable.MAX_FACT_FIELDS:
        problems.append(Problem(
            str(root / "questionnaire.yaml"), 1, 1,
            f"the questionnaire needs {fields} fields per answer set; the engine allows at most {durable.MAX_FACT_FIELDS}",
        ))
