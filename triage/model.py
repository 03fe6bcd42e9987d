"""The content model: typed questions, rules, advice, sources and outcomes.

Everything here is plain data, built once by `triage.content.load_content` and read by the
engine, the renderer and the author tools.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .conditions import NOT_SURE, Condition

URGENCY_LEVELS = ("self_care", "routine", "soon", "urgent", "emergency")
CLASSIFICATIONS = ("twitch", "cramp", "spasm", "unclear")
QUESTION_TYPES = ("choice", "multi", "yesno", "number")
FORMATS = ("text", "markdown", "html", "json")
ANSWER_ID = re.compile(r"^[a-z][a-z0-9_]*$")
ITEM_ID = re.compile(r"^[a-z][a-z0-9_-]*$")
RESERVED_IDS = {"id", "sid", NOT_SURE}  # sid: durable-rules' session field
NUMBER_DECIMALS = 4  # numbers are kept to 4 decimals: durable-rules cannot read 1e-05 style numbers
NUMBER_LIMIT = 1e9


def urgency_rank(level: str) -> int:
    return URGENCY_LEVELS.index(level)


@dataclass(frozen=True)
class Option:
    id: str
    label: str
    exclusive: bool = False


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    type: str
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

    def option(self, option_id: str) -> Option | None:
        for option in self.options:
            if option.id == option_id:
                return option
        return None

    def option_label(self, option_id: str) -> str:
        if option_id == NOT_SURE:
            return "Not sure"
        found = self.option(option_id)
        return found.label if found else option_id


@dataclass(frozen=True)
class Rule:
    id: str
    when: Condition
    sources: tuple[str, ...]
    path: str
    line: int
    title: str = ""
    red_flag: bool = False
    urgency: str | None = None
    classification: str | None = None
    reason: str = ""
    advice: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    stage: int = 0


@dataclass(frozen=True)
class AdviceItem:
    id: str
    title: str
    text: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    file: str = ""
    url: str = ""


@dataclass(frozen=True)
class Outcomes:
    urgency_labels: dict
    urgency_actions: dict
    classification_labels: dict
    classification_explanations: dict
    fallback_urgency: str
    fallback_reason: str
    emergency_signs: tuple[str, ...]
    disclaimer: str
    words_note: str


@dataclass
class Content:
    """A validated content folder: the only input the engine and the renderer need."""

    root: Path
    questions: tuple[Question, ...]
    rules: tuple[Rule, ...]
    advice: dict[str, AdviceItem]
    sources: dict[str, Source]
    outcomes: Outcomes
    question_by_id: dict[str, Question] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.question_by_id = {q.id: q for q in self.questions}

    @property
    def template_dir(self) -> Path:
        return self.root / "templates"

    @property
    def stages(self) -> int:
        return 1 + max((r.stage for r in self.rules), default=0)


def default_rules_dir() -> Path:
    """The content shipped in the wheel, or the repository's `rules/` in a development checkout."""
    package = Path(__file__).resolve().parent  # importlib.resources would add 5 ms to start-up
    if (package / "rules" / "questionnaire.yaml").is_file():
        return package / "rules"
    return package.parent / "rules"
