"""Load and validate a content folder (questionnaire, rules, advice, sources, outcomes).

Everything is checked before anything runs, and every problem is reported at once as
`path:line:column: message`, so an author can fix a file in one pass. The model it builds
is in `triage.model`. Each file is first checked against its JSON Schema (`triage.shapes`, the
one definition of the format's shapes); what fits is then read, and what a schema cannot say
(ids that must exist, values that fit their question, flag order) is checked here and in
`triage.fieldcheck`.
"""

from __future__ import annotations

import datetime
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from .conditions import flags_read
from .contentcache import cached
from .engines import durable
from .errors import ContentError, Problem
from .fieldcheck import Checker, ConditionReader, report_duplicates
from .model import (
    CLASSIFICATIONS,
    EMERGENCY_NUMBER,
    TEMPLATES,
    URGENCY_LEVELS,
    About,
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
from .shapes import ShapedFile, read_shaped
from .yamlsafe import LocatedDict

# --- the files --------------------------------------------------------------------------------

SCHEMAS = {"questionnaire.yaml": "questionnaire.schema.json", "outcomes.yaml": "outcomes.schema.json",
           "advice.yaml": "advice.schema.json", "sources.yaml": "sources.schema.json"}
RULES_SCHEMA = "rules.schema.json"
REQUIRED_FILES = tuple(SCHEMAS)


def _unique(c: Checker, file: ShapedFile, key: str, kind: str) -> Iterator[tuple[LocatedDict, str, str]]:
    """(entry, id, label) for each entry that fits its schema and whose id is not taken (an id
    taken twice is reported whether or not its entries fit)."""
    report_duplicates(c.problems, [(c.path, entry) for _, entry in file.entries(key)], f"duplicate {kind} id")
    seen: set[str] = set()
    for i, entry in file.entries(key):
        if file.shape.fits(i) and entry["id"] not in seen:
            seen.add(entry["id"])
            yield entry, entry["id"], f"{kind} {entry['id']!r}"


def _read_sources(file: ShapedFile, problems: list[Problem]) -> dict[str, Source]:
    c = Checker(str(file.path), problems)
    return {
        sid: Source(sid, c.text(entry, "title", what), c.text(entry, "file", what), c.text(entry, "url", what))
        for entry, sid, what in _unique(c, file, "sources", "source")
    }


def _read_advice(file: ShapedFile, sources: dict, unread: set[str], problems: list[Problem]) -> dict[str, AdviceItem]:
    c = Checker(str(file.path), problems)
    advice: dict[str, AdviceItem] = {}
    for entry, aid, what in _unique(c, file, "advice", "advice"):
        cited = _cited(c, entry, what, sources, unread)
        advice[aid] = AdviceItem(aid, c.text(entry, "title", what), c.text(entry, "text", what), cited)
        _no_placeholder(c, entry, "text", what, advice[aid].text)
    return advice


def _no_placeholder(c: Checker, entry: LocatedDict, key: str, what: str, text: str) -> None:
    """The emergency number is filled in only in outcomes.yaml, where each region's is known."""
    if EMERGENCY_NUMBER in text:
        c.problem(entry.where_value(key), f"{what}: {EMERGENCY_NUMBER} may only be used in outcomes.yaml "
                  "(actions, safety_net, disclaimer); write 'your emergency number'")


def _cited(c: Checker, entry: LocatedDict, what: str, sources: dict, unread: set[str]) -> tuple[str, ...]:
    cited = tuple(entry["sources"])
    for i, sid in enumerate(cited):
        if sid not in sources and sid not in unread:
            c.problem(entry["sources"].where(i), f"{what}: unknown source {sid!r}")
    return cited


@dataclass
class _Known:
    """What rules may name: the questions, sources and advice that were read, and the ids of
    those whose own entries did not fit (named without a second message)."""

    questions: dict[str, Question]
    sources: dict[str, Source]
    advice: dict[str, AdviceItem]
    unread: set[str]


def _read_rules(file: ShapedFile, known: _Known, problems: list[Problem]) -> tuple[list[Rule], set[str]]:
    """The rules that could be read, and every flag any rule of the file sets (read or not)."""
    c = Checker(str(file.path), problems)
    rules = []
    flags_set: set[str] = set()
    for i, entry in file.entries("rules"):
        then = entry.get("then")
        named = then.get("flags") if isinstance(then, dict) else None
        for flag in named if isinstance(named, list) else [named]:  # as written, and as probably meant
            if isinstance(flag, str):
                flags_set |= {flag, flag.strip()}
        rid = entry.get("id")
        what = f"rule {rid!r}" if isinstance(rid, str) else f"rule {i + 1}"
        when = None
        if file.shape.fits(i, "id", "when"):
            when = ConditionReader(c, known.questions, what, unread=known.unread).read(entry["when"])
        if not file.shape.fits(i):
            continue
        then, rid = entry["then"], entry["id"]
        cited = _cited(c, entry, what, known.sources, known.unread)
        reason = c.text(then, "reason", what)
        _no_placeholder(c, then, "reason", what, reason)
        advice = tuple(then.get("advice", ()))
        for aid in advice:
            if aid not in known.advice and aid not in known.unread:
                c.problem(then.where_value("advice"), f"{what}: unknown advice {aid!r}")
        if when is None:
            continue
        rules.append(Rule(
            id=rid, when=when, sources=cited, path=str(file.path), line=file.data["rules"].where(i).line,
            title=c.text(entry, "title", what), red_flag=entry.get("red_flag", False), urgency=then.get("urgency"),
            classification=then.get("classification"), reason=reason, advice=advice, flags=tuple(then.get("flags", ())),
        ))
    return rules, flags_set


def _stage_rules(rules: list[Rule], flags_set: set[str], problems: list[Problem]) -> list[Rule]:
    """Give each rule a stage: after every rule that sets a flag it reads. `flags_set`: every
    flag some rule sets, also rules that could not be read (their problems are reported)."""

    setters: dict[str, list[Rule]] = {}
    for rule in rules:
        for name in rule.flags:
            setters.setdefault(name, []).append(rule)
    for rule in rules:
        for name in sorted(flags_read(rule.when)):
            if name not in setters and name not in flags_set:
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


def _read_outcomes(file: ShapedFile, problems: list[Problem]) -> Outcomes | None:
    """The outcome texts, or None when the file does not fit its schema."""
    c = Checker(str(file.path), problems)
    top = file.data
    if isinstance(top, LocatedDict):
        _check_placeholders(c, top)
    if top is None or file.shape.problems:
        return None
    texts = {  # in the model's order of levels and kinds, whatever the file's
        section: {name: {key: c.text(top[section][name], key, f"{section} {name}") for key in top[section][name]}
                  for name in names}
        for section, names in (("urgency", URGENCY_LEVELS), ("classification", CLASSIFICATIONS))
    }
    nets = top.get("safety_net", LocatedDict())
    regions, when_unknown = {}, "911, 999 or 112"
    if "emergency_numbers" in top:
        block = top["emergency_numbers"]
        when_unknown = c.text(block, "when_unknown", "emergency_numbers")
        regions = {
            rid: Region(rid, c.text(entry, "name", f"region {rid}"), c.text(entry, "number", f"region {rid}"))
            for rid, entry in block["regions"].items()
        }
    return Outcomes(
        {name: words["label"] for name, words in texts["urgency"].items()},
        {name: words["action"] for name, words in texts["urgency"].items()},
        {name: words["label"] for name, words in texts["classification"].items()},
        {name: words["explanation"] for name, words in texts["classification"].items()},
        top["fallback"]["urgency"], c.text(top["fallback"], "reason", "fallback"),
        tuple(sign.strip() for sign in top["emergency_signs"]), c.text(top, "disclaimer", "outcomes"),
        c.text(top, "words_note", "outcomes"),
        {level: c.text(nets, level, f"safety_net {level}") for level in URGENCY_LEVELS if level in nets},
        regions, when_unknown,
    )


def _check_placeholders(c: Checker, top: LocatedDict) -> None:
    """The emergency number is the one placeholder (checked on every text that is one, whatever
    else is wrong with the file)."""
    urgency, nets = top.get("urgency"), top.get("safety_net")
    texts = [(top.where_value("disclaimer"), top.get("disclaimer"))]
    if isinstance(urgency, dict):
        texts += [(top.where_value("urgency"), words.get("action")) for words in urgency.values() if isinstance(words, dict)]
    if isinstance(nets, dict):
        texts += [(top.where_value("safety_net"), net) for net in nets.values()]
    for where, text in texts:
        if isinstance(text, str) and "{" in text.replace(EMERGENCY_NUMBER, ""):
            c.problem(where, f"the only placeholder outcome texts may use is {EMERGENCY_NUMBER}: {text.strip()[:60]!r}")


def links_out_of(root: Path) -> list[Problem]:
    """Content files that are links leading out of the folder: they are never read, so a
    template or rules file linked to another file cannot show that file in results or errors."""
    inside = os.path.realpath(root)
    candidates = [root / name for name in REQUIRED_FILES]
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


def content_files(root: Path) -> list[Path]:
    """The files a Content is read from (templates aside)."""
    return [root / name for name in REQUIRED_FILES] + rule_files(root)


def _load_checked(root: Path, cache_key: str | None) -> Content:
    """Read and check every file: the slow part of start-up, which `cached` skips when nothing changed.
    Each file is checked against its schema as it is read; then what fits is read into the model."""
    problems: list[Problem] = []
    files = {name: read_shaped(root / name, schema, problems) for name, schema in SCHEMAS.items()}
    rule_files_read = [read_shaped(path, RULES_SCHEMA, problems) for path in rule_files(root)]
    questions_file = files["questionnaire.yaml"]
    if questions_file.data is None or questions_file.shape.whole:  # rules cannot be checked without their questions
        raise ContentError(problems)
    questions = read_questions(questions_file, problems)
    sources = _read_sources(files["sources.yaml"], problems)
    unread = questions_file.unread_ids("questions") | files["sources.yaml"].unread_ids("sources")
    advice = _read_advice(files["advice.yaml"], sources, unread, problems)
    unread |= files["advice.yaml"].unread_ids("advice")
    outcomes = _read_outcomes(files["outcomes.yaml"], problems)
    known = _Known({q.id: q for q in questions}, sources, advice, unread)
    report_duplicates(problems, [(str(f.path), e) for f in rule_files_read for _, e in f.entries("rules")], "duplicate rule id")
    first_of_id: dict[str, Rule] = {}  # a second rule of an id is reported above
    flags_set: set[str] = set()
    for file in rule_files_read:
        read, flags = _read_rules(file, known, problems)
        flags_set |= flags
        for rule in read:
            first_of_id.setdefault(rule.id, rule)
    rules = _stage_rules(list(first_of_id.values()), flags_set, problems)
    _check_fact_size(questions, rules, root, problems)
    about = _read_about(questions_file, problems)
    if problems or outcomes is None:
        raise ContentError(sorted(problems, key=lambda p: (p.path, p.line, p.column, p.message)))
    content = Content(root, tuple(questions), tuple(sorted(rules, key=lambda r: r.id)), advice, sources, outcomes, about)
    content.cache_key = cache_key  # not an init field: dataclasses.replace() (changed content) drops it
    content.fingerprint = fingerprint(root)
    return content


def _read_about(file: ShapedFile, problems: list[Problem]) -> About:
    """The questionnaire's `about:` (its FHIR name and date); a date must be a real day."""
    block = file.data.get("about") if file.shape.field_fits("about") else None
    if not isinstance(block, LocatedDict):
        return About()
    c = Checker(str(file.path), problems)
    date = block.get("date")
    if date is not None:
        try:
            datetime.date.fromisoformat(date)
        except ValueError:
            c.problem(block.where_value("date"), f"about: date {date!r} is not a day of the calendar")
    return About(**{key: c.text(block, key, "about") or None for key in ("url", "name", "title", "publisher", "date")})


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
