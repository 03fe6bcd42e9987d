"""The content model: typed questions, rules, advice, sources and outcomes.

Everything here is plain data, built once by `triage.content.load_content` and read by the
engine, the renderer and the author tools.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, get_args

from .errors import TriageError

Urgency = Literal["self_care", "routine", "soon", "urgent", "emergency"]
Classification = Literal["twitch", "cramp", "spasm", "unclear"]
ResultFormat = Literal["text", "markdown", "html", "doctor", "json"]
BatchFormat = Literal["jsonl", "csv", "report", "html", "text"]
"""Each has one writer in `triage.reports.WRITERS` (named here so the CLI need not import the writers)."""
QuestionTypeName = Literal["choice", "multi", "yesno", "number"]
"""Each has one entry in `triage.questiontypes.QUESTION_TYPES`."""
OperatorName = Literal[
    "equals", "not_equals", "one_of", "any_of", "all_of", "answered", "less_than", "greater_than", "at_least", "at_most"
]
"""Each has one entry in `triage.operators.OPERATORS`."""

URGENCY_LEVELS: tuple[Urgency, ...] = get_args(Urgency)
"""From least to most urgent: the order every comparison of urgencies uses."""
CLASSIFICATIONS: tuple[Classification, ...] = get_args(Classification)
FORMATS: tuple[ResultFormat, ...] = get_args(ResultFormat)
BATCH_FORMATS: tuple[BatchFormat, ...] = get_args(BatchFormat)
TEMPLATES: dict[ResultFormat, str] = {
    "text": "result.text.j2", "markdown": "result.markdown.j2", "html": "result.html.j2", "doctor": "result.doctor.html.j2",
}
"""The author templates every content folder has; JSON is the result serialised by code. `doctor` is
the one-page summary to print for a doctor (HTML)."""
FORMAT_ALIASES: dict[str, ResultFormat] = {"md": "markdown"}
"""Other names people type for a format (`--format md`); names are also read in any case."""
BATCH_FORMAT_ALIASES: dict[str, BatchFormat] = {"md": "report", "markdown": "report"}
NOT_SURE = "not_sure"
"""The answer "not sure", wherever a question allows it."""
ANSWER_ID = re.compile(r"^[a-z][a-z0-9_]*$")  # use .fullmatch: "$" alone lets a trailing newline through
ITEM_ID = re.compile(r"^[a-z][a-z0-9_-]*$")
NUMBER_LIMIT = 1e9


_URGENCY_RANKS: dict[str, int] = {level: rank for rank, level in enumerate(URGENCY_LEVELS)}


def urgency_rank(level: str) -> int:
    """0 for self_care up to 4 for emergency; KeyError for anything else."""
    return _URGENCY_RANKS[level]


def time_matters(level: str) -> bool:
    """urgent or emergency: what to do comes first, and nothing softer is shown beside it."""
    return _URGENCY_RANKS[level] >= _URGENCY_RANKS["urgent"]


# --- conditions (rules' `when` and questions' `show_if`) ------------------------------------


@dataclass(frozen=True)
class Compare:
    """`question <op> value`; `op` is a key of `triage.operators.OPERATORS`."""

    question: str
    op: OperatorName
    value: Any
    line: int = 0


@dataclass(frozen=True)
class All:
    """Every part holds."""

    parts: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    """At least one part holds."""

    parts: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    """The part does not hold."""

    part: Condition


@dataclass(frozen=True)
class Flag:
    """A flag set by a rule of an earlier stage."""

    name: str
    line: int = 0


Condition = Compare | All | AnyOf | Not | Flag


@dataclass(frozen=True)
class Option:
    """One answer a choice or several-choice question offers."""

    id: str
    label: str
    exclusive: bool = False


@dataclass(frozen=True)
class Question:
    """One question of the questionnaire (`questionnaire.yaml`)."""

    id: str
    text: str
    type: QuestionTypeName
    options: tuple[Option, ...] = ()
    help: str = ""
    unit: str = ""
    min: float = 0
    max: float = 0
    integer: bool = False
    not_sure: bool = False
    show_if: Condition | None = None
    alarm: bool = False
    ordered: bool = False
    doctor_note: str = ""
    _by_id: dict[str, Option] = field(default_factory=dict, init=False, repr=False, compare=False, hash=False)
    exclusive_ids: frozenset[str] = field(default=frozenset(), init=False, repr=False, compare=False, hash=False)
    """The options that cannot be picked together with others."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {o.id: o for o in self.options})
        object.__setattr__(self, "exclusive_ids", frozenset(o.id for o in self.options if o.exclusive))

    def option(self, option_id: str) -> Option | None:
        return self._by_id.get(option_id)

    def option_label(self, option_id: str) -> str:
        if option_id == NOT_SURE:
            return "Not sure"
        found = self.option(option_id)
        return found.label if found else option_id


@dataclass(frozen=True)
class Rule:
    """One rule: when it fires and what it concludes (`rules/rules/*.yaml`)."""

    id: str
    when: Condition
    sources: tuple[str, ...]
    path: str
    line: int
    title: str = ""
    red_flag: bool = False
    urgency: Urgency | None = None
    classification: Classification | None = None
    reason: str = ""
    advice: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    stage: int = 0


@dataclass(frozen=True)
class AdviceItem:
    """One piece of self-care advice (`advice.yaml`)."""

    id: str
    title: str
    text: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Source:
    """A cited source (`sources.yaml`)."""

    id: str
    title: str
    file: str = ""
    url: str = ""


EMERGENCY_NUMBER = "{emergency_number}"
"""The placeholder in outcome texts for the emergency number of the person's region."""


@dataclass(frozen=True)
class Region:
    id: str
    name: str
    number: str


@dataclass(frozen=True)
class Outcomes:
    """The words for urgencies and classifications, the fallback and the fixed texts (`outcomes.yaml`)."""

    urgency_labels: dict
    urgency_actions: dict
    classification_labels: dict
    classification_explanations: dict
    fallback_urgency: str
    fallback_reason: str
    emergency_signs: tuple[str, ...]
    disclaimer: str
    words_note: str
    safety_nets: dict = field(default_factory=dict)
    """Urgency level -> when to see a doctor after all (shown with self-care and routine)."""
    regions: dict[str, Region] = field(default_factory=dict)
    numbers_unknown_region: str = "911, 999 or 112"
    """How the emergency number reads when no region is chosen."""
    emergency_number: str = ""
    """The number written into the texts by `for_region` (empty before)."""

    def for_region(self, region: str | None) -> Outcomes:
        """These outcomes with the region's emergency number written into the texts."""
        key = region.strip().lower() if region is not None else None
        if key is not None and key not in self.regions:
            raise TriageError(f"unknown region {region!r}: use one of {', '.join(self.regions) or '(none declared)'}")
        number = self.numbers_unknown_region if key is None else self.regions[key].number
        return replace(
            self,
            urgency_actions={k: v.replace(EMERGENCY_NUMBER, number) for k, v in self.urgency_actions.items()},
            disclaimer=self.disclaimer.replace(EMERGENCY_NUMBER, number),
            safety_nets={k: v.replace(EMERGENCY_NUMBER, number) for k, v in self.safety_nets.items()},
            emergency_number=number,
        )


@dataclass(frozen=True)
class About:
    """What the questionnaire says about itself (`about:` in questionnaire.yaml): its name in FHIR
    and who publishes it. Unset fields take the project's own (`triage.fhir`); no date, no date."""

    url: str | None = None
    """The canonical URL of the questions; another questionnaire (a fork) should have its own."""
    name: str | None = None
    title: str | None = None
    publisher: str | None = None
    date: str | None = None
    """When the questions last changed in what they ask (YYYY-MM-DD)."""


@dataclass
class Content:
    """A validated content folder: the only input the engine and the renderer need."""

    root: Path
    questions: tuple[Question, ...]
    rules: tuple[Rule, ...]
    advice: dict[str, AdviceItem]
    sources: dict[str, Source]
    outcomes: Outcomes
    about: About = About()
    question_by_id: dict[str, Question] = field(default_factory=dict)
    cache_key: str | None = field(init=False, default=None, compare=False, repr=False)
    """This content's key in the cache (`triage.contentcache`), for values derived from it; None uncached."""
    fingerprint: str = field(init=False, default="", compare=False, repr=False)
    """A short digest of the content files (`content.fingerprint`): the rules version a result names."""
    stages: int = field(init=False, default=1)
    """How many stages the rules run in (flags set in one stage are read in later ones)."""
    question_order: tuple[str, ...] = field(init=False, default=())
    """The question ids in the order they are asked."""

    def __post_init__(self) -> None:
        self.question_by_id = {q.id: q for q in self.questions}
        self.question_order = tuple(q.id for q in self.questions)
        self.stages = 1 + max((r.stage for r in self.rules), default=0)

    @property
    def template_dir(self) -> Path:
        return self.root / "templates"



def default_rules_dir() -> Path:
    """The content shipped in the wheel, or the repository's `rules/` in a development checkout."""
    package = Path(__file__).resolve().parent  # importlib.resources would add 5 ms to start-up
    if (package / "rules" / "questionnaire.yaml").is_file():
        return package / "rules"
    return package.parent / "rules"
