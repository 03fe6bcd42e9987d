"""The interactive questionnaire, independent of any terminal library.

The caller supplies a `Prompter` (the CLI uses click prompts on stderr). Answers are typed
or given by number, which works with screen readers and with piped input. `back` returns
to the previous question, `?` shows the help, and "not sure" is offered where allowed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, assert_never

from .answers import Answers, visible, visible_answers
from .evaluate import Triage
from .model import NOT_SURE, Content, Question
from .quantities import examples as unit_examples
from .questiontypes import coerce_answer

BACK = "back"
HELP = "?"


class Prompter(Protocol):
    def ask(self, prompt: str, default: str | None) -> str:
        """One line of input; raises EOFError or KeyboardInterrupt when the user stops."""

    def say(self, text: str) -> None:
        """Show a message (not part of the result)."""


def prompt_for(question: Question, number: int, total: int | None = None) -> str:
    """The question as shown: "Question N of about M" (when known), the text, and the choices."""
    lines = [f"Question {number} of about {max(total, number)}"] if total else []
    lines.append(f"{number}. {question.text}")
    if question.type in ("choice", "multi"):
        for i, option in enumerate(question.options, 1):
            lines.append(f"   {i}) {option.label}")
    match question.type:
        case "multi":
            lines.append("   Type the numbers of all that fit, with commas (for example 1,3).")
        case "choice":
            lines.append("   Type a number.")
        case "yesno":
            lines.append("   Type yes or no.")
        case "number":
            phrases = unit_examples(question.unit)
            example = f" You can also type, for example, {phrases}." if phrases else ""
            lines.append(f"   Type a number of {question.unit} ({question.min:g} to {question.max:g}).{example}")
        case _:
            assert_never(question.type)
    extras = ["not sure"] if question.not_sure else []
    extras += ["? for help"] if question.help else []
    extras += ["back"] if number > 1 else []
    if extras:
        lines.append("   You can also type: " + ", ".join(extras) + ".")
    return "\n".join(lines)


def parse_reply(question: Question, reply: str) -> object:
    """The typed reply as a coerced answer; ValueError with a short hint when it does not fit."""
    text = reply.strip().replace("\u2019", "'")
    if " ".join(text.lower().split()) in ("not sure", "not_sure", "notsure", "unsure", "dont know", "don't know", "i don't know"):
        return coerce_answer(question, NOT_SURE)
    if question.type in ("choice", "multi"):
        parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
        if question.type == "multi" and len(parts) == 1 and all(p.isascii() and p.isdigit() for p in parts[0].split()):
            parts = parts[0].split()  # "1 3" means 1 and 3; "None of these" stays one label
        if not parts:
            raise ValueError("please type a number")
        picked = [_option_id(question, p) for p in parts]
        if question.type == "choice":
            if len(picked) != 1:
                raise ValueError("please pick just one number")
            return coerce_answer(question, picked[0])
        return coerce_answer(question, picked)
    if question.type == "yesno" and not text:
        raise ValueError("please type yes or no")
    return coerce_answer(question, text)


def _option_id(question: Question, typed: str) -> str:
    if typed.isascii() and typed.isdigit():
        index = int(typed)
        if 1 <= index <= len(question.options):
            return question.options[index - 1].id
        raise ValueError(f"please use numbers from 1 to {len(question.options)}")
    lowered = typed.lower()
    for option in question.options:
        if lowered in (option.id, option.label.lower()):
            return option.id
    raise ValueError(f"{typed[:30]!r} is not one of the choices; please type its number")


def default_reply(question: Question, value: Any) -> str:
    """How a previous answer is offered as the default when a question is asked again."""
    if value == NOT_SURE:
        return "not sure"
    ids = [o.id for o in question.options]
    match question.type:
        case "choice":
            return str(ids.index(value) + 1)
        case "multi":
            return ",".join(str(ids.index(v) + 1) for v in value)
        case "yesno":
            return "yes" if value else "no"
        case "number":
            if isinstance(value, float):
                short = f"{value:g}"
                return short if float(short) == value else repr(value)  # never round what was typed
            return str(value)
        case _:
            assert_never(question.type)


STOP_OR_GO_ON = (
    "Type stop (or just press Enter) to see what to do now. Type go on to answer the other "
    "questions too, for a summary to show the doctor."
)


def run_questionnaire(
    content: Content,
    prompter: Prompter,
    answers: Answers | None = None,
    on_change: Callable[[Answers], None] | None = None,
    emergency_check: Callable[[Answers], str | None] | None = None,
) -> Answers:
    """Ask every visible question in order and return the answers.

    With earlier `answers` (a resumed session) it starts at the first visible question not yet
    answered. EOFError and KeyboardInterrupt propagate to the caller, after `on_change` has
    already saved every answer given so far.

    `emergency_check` is called on a resumed session and after each answer. When it returns a
    message (the answers so far make it an emergency) and did not for the answers before, the
    message is shown at once and the person chooses to stop there (the default: the answers so
    far are returned) or to go on. Changing an answer so that it is no longer an emergency, and
    a later answer that makes it one again, shows the message again.
    """
    answers = dict(answers or {})
    questions = content.questions
    position = next_unanswered(content, answers, 0)
    asked: list[int] = [i for i in range(position) if visible(questions[i], answers)]
    warned = False  # the call-now message is showing for the current answers

    def stop_for_emergency() -> bool:
        """Show the call-now message when the answers newly make it an emergency; True to stop."""
        nonlocal warned
        if emergency_check is None or position >= len(questions):
            return False
        message = emergency_check(visible_answers(content, answers)[0])
        newly, warned = bool(message) and not warned, bool(message)
        if not newly or message is None:
            return False
        prompter.say(message)
        return not prompter.ask(STOP_OR_GO_ON, "stop").strip().lower().startswith("go")

    if answers and stop_for_emergency():  # a resumed session that is already an emergency
        return visible_answers(content, answers)[0]
    while position < len(questions):
        question = questions[position]
        if not visible(question, answers):
            answers.pop(question.id, None)
            position += 1
            continue
        number = question_number(content, answers, position)
        total = estimated_total(content, answers, number - 1, position)
        default = default_reply(question, answers[question.id]) if question.id in answers else None
        reply = prompter.ask(prompt_for(question, number, total), default)
        command = reply.strip().lower()
        if command == BACK:
            if asked:
                position = asked.pop()
            else:
                prompter.say("This is the first question.")
            continue
        if command in (HELP, "help"):
            prompter.say(question.help or "There is no extra help for this question.")
            continue
        try:
            answers[question.id] = parse_reply(question, reply)
        except ValueError as exc:
            options = (["? for help"] if question.help else []) + ([BACK + " to go back"] if asked else [])
            prompter.say(f"Sorry: {exc}." + (f" You can also type {' or '.join(options)}." if options else ""))
            continue
        if on_change is not None:
            on_change(answers)
        asked.append(position)
        position = next_unanswered(content, answers, position + 1)
        if stop_for_emergency():
            break
    return visible_answers(content, answers)[0]


def emergency_message(triage: Triage, answers: Answers) -> str | None:
    """The call-now message when the answers so far already make it an emergency, else None."""
    decision = triage.decide(answers)
    if decision.urgency != "emergency":
        return None
    reasons = [r.reason for r in decision.urgency_rules if r.urgency == "emergency"]
    return "\n".join(["", "EMERGENCY: " + triage.outcomes.urgency_actions["emergency"], *reasons])


def estimated_total(content: Content, answers: Answers, asked: int, position: int) -> int:
    """"of about M": the questions asked so far and those still shown from `position` on, for
    the answers so far (skipped questions drop out; an answer that shows more adds them)."""
    return asked + sum(1 for q in content.questions[position:] if visible(q, answers))


def question_number(content: Content, answers: Answers, position: int) -> int:
    """"Question N": 1 + the questions shown before this one, for the answers so far. It stays
    the same for a question however it was reached (in order, after `back`, after a resume)."""
    return 1 + sum(1 for q in content.questions[:position] if visible(q, answers))


def next_unanswered(content: Content, answers: Answers, start: int) -> int:
    """The next question to ask: visible and not answered yet (`back` revisits answered ones)."""
    for index in range(start, len(content.questions)):
        question = content.questions[index]
        if question.id not in answers and visible(question, answers):
            return index
    return len(content.questions)
