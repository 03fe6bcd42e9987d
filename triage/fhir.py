"""HL7 FHIR R4: the questionnaire as a `Questionnaire`, answers as a `QuestionnaireResponse`,
and responses (alone or in a `Bundle`) read back as raw answers.

Why: clinics and form tools speak FHIR; this lets them show our questions and send answers back
without learning the YAML format. Resources are plain JSON-ready dicts (no FHIR library), and
the reader only *reads*: its raw mapping goes through `check_answers`, so every rule about what
an answer may be stays in answers.py.

Types: choice -> `choice` with one `answerOption.valueCoding` per option (system
`https://muscle-triage.github.io/fhir/CodeSystem/answers-<question id>`, code = option id, display = label); multi -> the same
with `repeats: true` and `questionnaire-optionExclusive` on exclusive options (the answer `[]`,
"answered, nothing picked", is an item without `answer`; an unanswered question has no item);
yesno -> `boolean`, or `choice` coded yes / no / not_sure when not_sure is allowed (a boolean
cannot hold a third value, and a choice lets any form tool offer "Not sure"); number ->
`decimal` (`integer` for whole numbers) with the questionnaire-unit, minValue and maxValue
extensions.

"Not sure" is the code `not_sure` wherever the item is a choice. A number item stays numeric, so
there it is an answer without a value carrying data-absent-reason `asked-unknown` ("asked, but
does not know"; R4 lets `answer.value[x]` be absent). The reader accepts both forms on any item
(and valueBoolean on any yes/no item) and leaves "is not sure allowed" to `check_answers`.

show_if -> enableWhen only where FHIR means the same: equals / not_equals (`=` / `!=`, true when
unanswered, like ours), number comparisons, `answered` (`exists`, but not on multi), one_of /
any_of (several `=`, enableBehavior any), all_of, and `all` / `any` of such parts. For `not`,
flags, mixed nesting, "equals not_sure" on a number and `answered` on a multi (whose "nothing
picked" has no FHIR answer to exist) the item gets no enableWhen (always shown: showing too much is
safer than hiding a question) and `unmapped_show_if` names it. Answers to hidden questions are
exported as given; dropping them is `drop_hidden`'s job.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, assert_never

from . import __version__
from .answers import check_answers, record_id
from .clock import now_utc
from .errors import AnswerError, Problem
from .model import NOT_SURE, All, AnyOf, Compare, Condition, Content, Question
from .operators import operator
from .yamlsafe import is_finite_number

CANONICAL_BASE = "https://muscle-triage.github.io/fhir"
"""Where the project's FHIR names live (canonical URLs need not resolve, but must be ours)."""
QUESTIONNAIRE_URL = CANONICAL_BASE + "/Questionnaire/muscle-triage"
LEGACY_QUESTIONNAIRE_URL = "urn:muscle-triage:questionnaire"
"""The name earlier saves used (not a registered URN namespace); responses that name it are still ours."""
PUBLISHER = "muscle-triage contributors"
SD = "http://hl7.org/fhir/StructureDefinition/"
ABSENT = SD + "data-absent-reason"
NOT_SURE_REASON = "asked-unknown"
NOT_SURE_MARK = {"url": ABSENT, "valueCode": NOT_SURE_REASON}
UCUM = {"seconds": "s", "minutes": "min", "hours": "h", "days": "d", "weeks": "wk", "months": "mo", "years": "a"}
FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


def answer_system(question: Question) -> str:
    """One code system per question: option ids are only unique within their question."""
    return f"{CANONICAL_BASE}/CodeSystem/answers-{question.id}"


def _legacy_answer_system(question: Question) -> str:
    """The code system's name in earlier saves, still read."""
    return f"urn:muscle-triage:answers:{question.id}"


def questionnaire_version(content: Content) -> str:
    """The Questionnaire's version: the program's, and the content's fingerprint after a `+`, so
    an edited or custom content folder is never mistaken for the shipped questions."""
    return f"{__version__}+{content.fingerprint}" if content.fingerprint else __version__


def questionnaire_url(content: Content) -> str:
    """The questions' canonical URL: their own (`about: url`), or the project's."""
    return content.about.url or QUESTIONNAIRE_URL


def accepted_urls(content: Content) -> tuple[str, ...]:
    """The names a response may give these questions by: the canonical URL, and for the
    project's own questions also the name earlier saves used."""
    url = questionnaire_url(content)
    return (url, LEGACY_QUESTIONNAIRE_URL) if url == QUESTIONNAIRE_URL else (url,)


def questionnaire_reference(content: Content) -> str:
    """A response's `questionnaire`: the canonical URL with the version answered (`url|version`)."""
    return f"{questionnaire_url(content)}|{questionnaire_version(content)}"


def is_ours(reference: Any, content: Content) -> bool:
    """Whether a response's `questionnaire` names these questions (any version), or none."""
    if reference is None:
        return True
    return isinstance(reference, str) and reference.split("|", 1)[0] in accepted_urls(content)


def _codes(q: Question) -> list[tuple[str, str, bool]]:
    """(code, display, exclusive) for every coded answer of a choice item; [] for other items."""
    if q.type in ("choice", "multi"):
        codes = [(o.id, o.label, o.exclusive) for o in q.options]
    elif q.type == "yesno" and q.not_sure:
        codes = [("yes", "Yes", False), ("no", "No", False)]
    else:
        return []
    return codes + ([(NOT_SURE, q.option_label(NOT_SURE), True)] if q.not_sure else [])


def _coding(q: Question, code: str) -> dict:
    display = next((d for c, d, _ in _codes(q) if c == code), code)
    return {"system": answer_system(q), "code": code, "display": display}


def _typed(q: Question, value: Any, prefix: str) -> dict | None:
    """`value` as enableWhen's answer[x] or an answer's value[x], in the item's own type (None: cannot)."""
    if _codes(q):
        return {prefix + "Coding": _coding(q, ("yes" if value else "no") if isinstance(value, bool) else value)}
    if value == NOT_SURE:
        return None
    match q.type:
        case "yesno":
            return {prefix + "Boolean": value}
        case "number" if q.integer:
            return {prefix + "Integer": int(value)} if float(value).is_integer() else None
        case "number":
            return {prefix + "Decimal": value}
        case "choice" | "multi":  # coded: handled above
            raise TypeError(f"question {q.id!r} has no codes")
        case _:
            assert_never(q.type)


def _enable_when(content: Content, condition: Condition) -> tuple[list[dict], str] | None:
    """(enableWhen entries, enableBehavior) meaning the same as `condition`, or None."""
    if isinstance(condition, Compare):
        q = content.question_by_id[condition.question]
        fhir_operator = operator(condition.op).fhir
        if fhir_operator is None:
            return None
        if fhir_operator == "exists":  # on multi, "nothing picked" has no FHIR answer to exist
            exists = {"question": q.id, "operator": "exists", "answerBoolean": condition.value}
            return None if q.type == "multi" else ([exists], "all")
        values = condition.value if isinstance(condition.value, tuple) else (condition.value,)
        typed = [_typed(q, v, "answer") for v in values]
        answers = [a for a in typed if a is not None]
        if len(answers) != len(typed):
            return None
        behavior = "all" if condition.op == "all_of" else "any"
        return [{"question": q.id, "operator": fhir_operator, **a} for a in answers], behavior
    if isinstance(condition, (All, AnyOf)):
        behavior = "all" if isinstance(condition, All) else "any"
        entries: list[dict] = []
        for part in condition.parts:
            found = _enable_when(content, part)
            if found is None or (len(found[0]) > 1 and found[1] != behavior):
                return None
            entries += found[0]
        return entries, behavior
    return None  # not, flag


def unmapped_show_if(content: Content) -> list[str]:
    """Ids of questions whose show_if has no enableWhen equivalent (exported as always shown)."""
    return [q.id for q in content.questions if q.show_if is not None and _enable_when(content, q.show_if) is None]


def _item(content: Content, q: Question) -> dict:
    # Required, as in `ask`, which takes no empty answer (where enableWhen hides it, it is not asked).
    item: dict[str, Any] = {"linkId": q.id, "text": q.text, "required": True}
    codes = _codes(q)
    if codes:
        item["type"] = "choice"
        item["answerOption"] = [
            {
                "valueCoding": _coding(q, code),
                **(
                    {"extension": [{"url": SD + "questionnaire-optionExclusive", "valueBoolean": True}]}
                    if excl and q.type == "multi" else {}
                ),
            }
            for code, _, excl in codes
        ]
    else:
        item["type"] = {"yesno": "boolean", "number": "integer" if q.integer else "decimal"}[q.type]
    if q.type == "multi":
        item["repeats"] = True
    if q.type == "number":
        unit = {"system": "http://unitsofmeasure.org", "code": UCUM[q.unit]} if q.unit in UCUM else {}
        bound = "valueInteger" if q.integer else "valueDecimal"
        cast = int if q.integer else float
        item["extension"] = [
            {"url": SD + "questionnaire-unit", "valueCoding": {**unit, "display": q.unit}},
            {"url": SD + "minValue", bound: cast(q.min)},
            {"url": SD + "maxValue", bound: cast(q.max)},
        ]
    found = _enable_when(content, q.show_if) if q.show_if is not None else None
    if found:
        item["enableWhen"] = found[0]
        if len(found[0]) > 1:
            item["enableBehavior"] = found[1]
    if q.help:
        control = {"coding": [{"system": "http://hl7.org/fhir/questionnaire-item-control", "code": "help"}]}
        item["item"] = [{"linkId": f"{q.id}.help", "text": q.help, "type": "display",
                         "extension": [{"url": SD + "questionnaire-itemControl", "valueCodeableConcept": control}]}]
    return item


def questionnaire_to_fhir(content: Content) -> dict:
    """The questionnaire as a FHIR R4 Questionnaire resource, items in the order asked. Its
    `date` is the day the questions last changed (`about: date`), left out when not given."""
    about = content.about
    head = {"resourceType": "Questionnaire", "id": "muscle-triage", "url": questionnaire_url(content),
            "version": questionnaire_version(content)}
    names = {"name": about.name or "MuscleTriage", "title": about.title or "Muscle twitch, cramp or spasm: questions",
             "status": "active", **({"date": about.date} if about.date else {}),
             "publisher": about.publisher or PUBLISHER, "subjectType": ["Patient"]}
    return {**head, **names, "item": [_item(content, q) for q in content.questions]}


def answers_to_response(content: Content, answers: dict, complete: bool = True) -> dict:
    """Answers (raw or checked; checked here, so AnswerError on bad ones) as a QuestionnaireResponse
    (status "in-progress" while questions remain: `complete=False`)."""
    checked = check_answers(content, answers, "<answers>")
    items = []
    for q in content.questions:
        if q.id in checked:
            value = checked[q.id]
            item: dict[str, Any] = {"linkId": q.id, "text": q.text}
            values = value if isinstance(value, list) else [value]
            if values:
                item["answer"] = [_typed(q, v, "value") or {"extension": [NOT_SURE_MARK]} for v in values]
            items.append(item)
    rid = record_id(answers)
    named = {"id": rid} if rid is not None and FHIR_ID.fullmatch(rid) else {}
    reference = questionnaire_reference(content)
    resource = {"resourceType": "QuestionnaireResponse", **named, "questionnaire": reference,
                "status": "completed" if complete else "in-progress", "authored": now_utc()}
    return {**resource, "item": items} if items else resource


def _error(path: str, message: str) -> AnswerError:
    return AnswerError([Problem(path, 1, 1, message)])


def _flatten(content: Content, items: Any, where: str, path: str) -> Iterator[dict]:
    """Question items at any depth: groups and answers' nested items are walked through."""
    if not isinstance(items, list):
        raise _error(path, f"{where}: 'item' must be a list")
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("linkId"), str):
            raise _error(path, f"{where}: every item needs a text linkId")
        answers = item.get("answer", [])
        if not isinstance(answers, list) or not all(isinstance(a, dict) for a in answers):
            raise _error(path, f"{where}: item {str(item['linkId'])[:40]!r}: 'answer' must be a list of objects")
        if not ("item" in item and "answer" not in item and item["linkId"] not in content.question_by_id):
            yield item  # a question; anything else with children is a group
        yield from _flatten(content, item.get("item", []), where, path)
        for answer in answers:
            yield from _flatten(content, answer.get("item", []), where, path)


def _value(q: Question, answer: dict, where: str, path: str) -> Any:
    """One answer as a raw value check_answers understands."""
    keys = [k for k in answer if isinstance(k, str) and k.startswith("value")]  # YAML allows keys such as 1
    if not keys:
        holders = [answer] + [
            v for k, v in answer.items() if isinstance(k, str) and k.startswith("_value") and isinstance(v, dict)
        ]
        marks = [e for h in holders if isinstance(h.get("extension"), list) for e in h["extension"]]
        if any(isinstance(e, dict) and e.get("url") == ABSENT and e.get("valueCode") == NOT_SURE_REASON for e in marks):
            return NOT_SURE
        raise _error(path, f"{where}: item {q.id!r}: an answer has no value")
    if len(keys) > 1:
        raise _error(path, f"{where}: item {q.id!r}: an answer has several values ({', '.join(keys)})")
    key, value = keys[0], answer[keys[0]]
    if key == "valueCoding" and isinstance(value, dict) and isinstance(value.get("code"), str):
        if value.get("system", answer_system(q)) not in (answer_system(q), _legacy_answer_system(q)):
            # the system is not shown: a form tool may have put free text there
            raise _error(path, f"{where}: item {q.id!r}: the answer's code system is not {answer_system(q)!r}")
        code = value["code"]
        if code == NOT_SURE or q.type in ("choice", "multi"):
            return code
        if q.type == "yesno" and code in ("yes", "no"):
            return code == "yes"
    if key == "valueBoolean" and q.type == "yesno" and isinstance(value, bool):
        return value
    if key in ("valueDecimal", "valueInteger") and q.type == "number" and is_finite_number(value):
        return value
    raise _error(path, f"{where}: item {q.id!r}: a {key} answer does not fit a {q.type} question")


UNFINISHED = ("in-progress", "stopped")


def response_note(resource: Any, content: Content) -> str | None:
    """A warning about a response that is still read: its form tool marks it not finished, or
    it was saved for other questions (another version of the questionnaire)."""
    if not isinstance(resource, dict):
        return None
    notes = []
    if resource.get("status") in UNFINISHED:
        notes.append(f"the response is marked {resource['status']} (not finished), so some answers may be missing")
    reference = resource.get("questionnaire")
    if isinstance(reference, str) and "|" in reference:
        saved_for, ours = reference.split("|", 1)[1], questionnaire_version(content)
        if saved_for != ours:
            notes.append(f"it was saved for another version of the questions ({saved_for[:60]}; these are {ours}), "
                         "so check that each answer still fits its question")
    return "; ".join(notes) or None


def response_notes(resource: Any, content: Content) -> list[str | None]:
    """`response_note` for each response in `resource`, in the order response_to_raw_answers reads them."""
    if isinstance(resource, dict) and resource.get("resourceType") == "Bundle" and isinstance(resource.get("entry"), list):
        return [response_note(e.get("resource") if isinstance(e, dict) else None, content) for e in resource["entry"]]
    return [response_note(resource, content)]


def _read_response(content: Content, resource: dict, where: str, path: str) -> dict:
    if resource.get("status") == "entered-in-error":
        raise _error(path, f"{where}: the response is marked entered-in-error")
    if not is_ours(resource.get("questionnaire"), content):
        named = str(resource.get("questionnaire"))[:120]
        raise _error(path, f"{where}: the response answers another questionnaire ({named}), not {questionnaire_url(content)}")
    raw: dict[str, Any] = {}
    if isinstance(resource.get("id"), str):
        raw["id"] = resource["id"][:200]
    for item in _flatten(content, resource.get("item", []), where, path):
        q = content.question_by_id.get(item["linkId"])
        if q is None:
            raise _error(path, f"{where}: item {item['linkId'][:40]!r}: unknown question id (linkId)")
        if q.id in raw:
            raise _error(path, f"{where}: item {q.id!r} appears more than once")
        values = [_value(q, a, where, path) for a in item.get("answer", [])]
        if q.type == "multi":
            raw[q.id] = NOT_SURE if values == [NOT_SURE] else values
        elif len(values) > 1:
            raise _error(path, f"{where}: item {q.id!r}: {len(values)} answers to a one-answer question")
        elif values:
            raw[q.id] = values[0]
    return raw


def response_to_raw_answers(content: Content, resource: Any, path: str) -> list[tuple[str, dict | AnswerError]]:
    """(where, raw answers) per QuestionnaireResponse in `resource` (one, or a Bundle of them).

    A single bad response raises AnswerError. In a Bundle each bad entry gets its AnswerError
    in place of the mapping, so callers can report it and still use the good ones.
    """
    kind = resource.get("resourceType") if isinstance(resource, dict) else None
    if kind == "QuestionnaireResponse":
        rid = resource.get("id")
        where = rid[:80] if isinstance(rid, str) and rid else "the QuestionnaireResponse"
        return [(where, _read_response(content, resource, where, path))]
    if kind != "Bundle":
        got = (
            f"resourceType {str(kind)[:40]!r}" if kind
            else "JSON without a resourceType" if isinstance(resource, dict)
            else f"a JSON {type(resource).__name__}"
        )
        raise _error(path, f"expected a FHIR QuestionnaireResponse or a Bundle of them, got {got}")
    entries = resource.get("entry", [])
    if not isinstance(entries, list) or not entries:
        raise _error(path, "the Bundle has no entries (expected a list under 'entry')")
    results: list[tuple[str, dict | AnswerError]] = []
    for n, entry in enumerate(entries, 1):
        found = entry.get("resource") if isinstance(entry, dict) else None
        rid = found.get("id") if isinstance(found, dict) else None
        where = f"bundle entry {n}" + (f" ({rid[:80]})" if isinstance(rid, str) else "")
        try:
            if not isinstance(found, dict) or found.get("resourceType") != "QuestionnaireResponse":
                what = found.get("resourceType") if isinstance(found, dict) else None
                raise _error(path, f"{where}: expected a QuestionnaireResponse, got {str(what)[:40] if what else 'no resource'}")
            results.append((where, _read_response(content, found, where, path)))
        except AnswerError as exc:
            results.append((where, exc))
    return results
