"""FHIR R4 export and import (triage/fhir.py) over the shipped questionnaire.

- the Questionnaire has the right shape, passes a JSON Schema of the R4 subset we use, and its
  enableWhen means exactly what show_if means (checked by a small enableWhen evaluator);
- answers -> QuestionnaireResponse -> raw answers -> check_answers gives the same answers back;
- bad input (unknown linkId, wrong answer type, not FHIR at all) is reported, per Bundle entry.
"""

from __future__ import annotations

import dataclasses
import json
import operator
import shutil

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from triage import __version__, load_content
from triage.answers import check_answers, visible
from triage.errors import AnswerError
from triage.fhir import (
    QUESTIONNAIRE_URL,
    answer_system,
    answers_to_response,
    questionnaire_to_fhir,
    response_to_raw_answers,
    unmapped_show_if,
)
from triage.model import NOT_SURE, All, AnyOf, Compare, Flag, Not
from triage.yamlsafe import load_yaml_file

from . import responses
from .conftest import examples
from .strategies import answer_sets

SETTINGS = examples(ci=75, thorough=300)
SD = "http://hl7.org/fhir/StructureDefinition/"
ABSENT = {"url": SD + "data-absent-reason", "valueCode": "asked-unknown"}
ANSWER_TYPES = {"Coding": "choice", "Boolean": "boolean", "Decimal": "decimal", "Integer": "integer"}

# --- JSON Schemas of the FHIR R4 subset we produce ---------------------------------------------

_STR = {"type": "string", "minLength": 1}
_CODING = {
    "type": "object",
    "properties": {"system": {"type": "string", "pattern": r"^(urn|https?):\S+$"}, "code": _STR, "display": _STR},
    "required": ["code"],
    "additionalProperties": False,
}
_VALUE_X = {
    "valueCoding": {"$ref": "#/$defs/coding"},
    "valueBoolean": {"type": "boolean"},
    "valueDecimal": {"type": "number"},
    "valueInteger": {"type": "integer"},
    "valueCode": _STR,
    "valueCodeableConcept": {
        "type": "object",
        "properties": {"coding": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/coding"}}},
        "required": ["coding"],
        "additionalProperties": False,
    },
}
_DEFS = {
    "coding": _CODING,
    "extension": {
        "type": "object",
        "properties": {
            "url": {"type": "string", "pattern": r"^http://hl7\.org/fhir/StructureDefinition/[A-Za-z-]+$"}, **_VALUE_X
        },
        "required": ["url"],
        "minProperties": 2,
        "maxProperties": 2,  # url and exactly one value[x]
        "additionalProperties": False,
    },
    "extensions": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/extension"}},
}

QUESTIONNAIRE_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["resourceType", "id", "url", "version", "name", "status", "item"],
    "additionalProperties": False,
    "properties": {
        "resourceType": {"const": "Questionnaire"},
        "id": {"type": "string", "pattern": r"^[A-Za-z0-9\-.]{1,64}$"},
        "url": {"type": "string", "pattern": r"^\S+:\S+$"},
        "version": _STR,
        "name": {"type": "string", "pattern": r"^[A-Z][A-Za-z0-9_]{0,254}$"},
        "title": _STR,
        "status": {"enum": ["draft", "active", "retired", "unknown"]},
        "date": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
        "publisher": _STR,
        "subjectType": {"type": "array", "items": {"const": "Patient"}},
        "item": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/item"}},
    },
    "$defs": {
        **_DEFS,
        "enableWhen": {
            "type": "object",
            "properties": {
                "question": _STR,
                "operator": {"enum": ["exists", "=", "!=", ">", "<", ">=", "<="]},
                "answerBoolean": {"type": "boolean"},
                "answerDecimal": {"type": "number"},
                "answerInteger": {"type": "integer"},
                "answerCoding": {"$ref": "#/$defs/coding"},
            },
            "required": ["question", "operator"],
            "oneOf": [{"required": [f"answer{t}"]} for t in ANSWER_TYPES],
            "additionalProperties": False,
        },
        "item": {
            "type": "object",
            "properties": {
                "linkId": {"type": "string", "pattern": r"^[a-z][a-z0-9_.]*$"},
                "text": _STR,
                "type": {"enum": ["group", "display", "boolean", "decimal", "integer", "choice", "open-choice"]},
                "repeats": {"type": "boolean"},
                "required": {"type": "boolean"},
                "extension": {"$ref": "#/$defs/extensions"},
                "enableWhen": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/enableWhen"}},
                "enableBehavior": {"enum": ["all", "any"]},
                "answerOption": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "properties": {"valueCoding": {"$ref": "#/$defs/coding"}, "extension": {"$ref": "#/$defs/extensions"}},
                        "required": ["valueCoding"],
                        "additionalProperties": False,
                    },
                },
                "item": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/item"}},
            },
            "required": ["linkId", "type"],
            "additionalProperties": False,
            "allOf": [
                # que-5: only choice items have answerOption; que-6: display items have no children
                {"if": {"required": ["answerOption"]}, "then": {"properties": {"type": {"enum": ["choice", "open-choice"]}}}},
                {
                    "if": {"properties": {"type": {"const": "display"}}},
                    "then": {"not": {"anyOf": [{"required": ["item"]}, {"required": ["repeats"]}]}},
                },
                # que-12: more than one enableWhen needs enableBehavior
                {
                    "if": {"required": ["enableWhen"], "properties": {"enableWhen": {"minItems": 2}}},
                    "then": {"required": ["enableBehavior"]},
                },
            ],
        },
    },
}

RESPONSE_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["resourceType", "questionnaire", "status", "authored"],
    "additionalProperties": False,
    "properties": {
        "resourceType": {"const": "QuestionnaireResponse"},
        "id": {"type": "string", "pattern": r"^[A-Za-z0-9\-.]{1,64}$"},
        "questionnaire": {"type": "string", "pattern": r"^https://\S+\|\S+$"},
        "status": {"enum": ["in-progress", "completed", "amended", "entered-in-error", "stopped"]},
        "authored": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"},
        "item": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "properties": {
                    "linkId": _STR,
                    "text": _STR,
                    "answer": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "properties": {k: v for k, v in _VALUE_X.items() if k not in ("valueCode", "valueCodeableConcept")}
                            | {"extension": {"$ref": "#/$defs/extensions"}},
                            "minProperties": 1,
                            "maxProperties": 1,
                            "additionalProperties": False,
                        },
                    },
                },
                "required": ["linkId"],
                "additionalProperties": False,
            },
        },
    },
    "$defs": _DEFS,
}


def _items(resource):
    return {item["linkId"]: item for item in resource["item"]}


# --- the Questionnaire ---------------------------------------------------------------------------


def test_schemas_are_valid_draft_2020_12():
    Draft202012Validator.check_schema(QUESTIONNAIRE_SCHEMA)
    Draft202012Validator.check_schema(RESPONSE_SCHEMA)


def test_questionnaire_passes_the_schema_and_is_json(shipped):
    resource = questionnaire_to_fhir(shipped)
    errors = sorted(Draft202012Validator(QUESTIONNAIRE_SCHEMA).iter_errors(resource), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])
    assert json.loads(json.dumps(resource)) == resource


def test_schema_rejects_a_broken_questionnaire(shipped):
    """The schema can fail: a bad operator, an empty option list and a lost type are caught."""
    validator = Draft202012Validator(QUESTIONNAIRE_SCHEMA)
    for breaks in (
        lambda items: items[-1].update(enableWhen=[{"question": "feeling", "operator": "equals", "answerBoolean": True}]),
        lambda items: items[0].update(answerOption=[]),
        lambda items: items[1].pop("type"),
        lambda items: items[-1].update(type="boolean", answerOption=items[0]["answerOption"]),
    ):
        resource = questionnaire_to_fhir(shipped)
        breaks(resource["item"])
        assert not validator.is_valid(resource)


def test_questionnaire_header(shipped):
    resource = questionnaire_to_fhir(shipped)
    assert resource["resourceType"] == "Questionnaire"
    assert resource["id"] == "muscle-triage"
    assert resource["status"] == "active"
    assert resource["version"] == f"{__version__}+{shipped.fingerprint}", "the program's version and the content's"
    assert resource["url"] == QUESTIONNAIRE_URL


def test_every_question_once_in_order_with_the_right_type(shipped):
    items = questionnaire_to_fhir(shipped)["item"]
    assert [i["linkId"] for i in items] == [q.id for q in shipped.questions]
    for item, q in zip(items, shipped.questions, strict=True):
        assert item["text"] == q.text
        expected = {
            "choice": "choice",
            "multi": "choice",
            "yesno": "choice" if q.not_sure else "boolean",
            "number": "integer" if q.integer else "decimal",
        }[q.type]
        assert item["type"] == expected, q.id
        assert item.get("repeats", False) == (q.type == "multi"), q.id


def test_every_option_is_coded(shipped):
    items = _items(questionnaire_to_fhir(shipped))
    for q in shipped.questions:
        item = items[q.id]
        if item["type"] != "choice":
            assert "answerOption" not in item
            continue
        codings = [o["valueCoding"] for o in item["answerOption"]]
        assert {c["system"] for c in codings} == {answer_system(q)} == {f"https://muscle-triage.github.io/fhir/CodeSystem/answers-{q.id}"}
        expected = [o.id for o in q.options] if q.options else ["yes", "no"]
        expected += [NOT_SURE] if q.not_sure else []
        assert [c["code"] for c in codings] == expected, q.id
        labels = {o.id: o.label for o in q.options}
        for c in codings:
            assert c["display"] == labels.get(c["code"], c["display"]) and c["display"].strip()
        exclusive = [o["valueCoding"]["code"] for o in item["answerOption"] if "extension" in o]
        if q.type == "multi":
            assert exclusive == [o.id for o in q.options if o.exclusive] + ([NOT_SURE] if q.not_sure else [])


def test_numbers_carry_unit_and_range(shipped):
    items = _items(questionnaire_to_fhir(shipped))
    numbers = [q for q in shipped.questions if q.type == "number"]
    assert numbers
    for q in numbers:
        ext = {e["url"].rsplit("/", 1)[1]: e for e in items[q.id]["extension"]}
        assert ext["questionnaire-unit"]["valueCoding"]["display"] == q.unit
        key = "valueInteger" if q.integer else "valueDecimal"
        assert (ext["minValue"][key], ext["maxValue"][key]) == (q.min, q.max)


def test_help_text_is_a_help_display_child(shipped):
    items = _items(questionnaire_to_fhir(shipped))
    for q in shipped.questions:
        children = items[q.id].get("item", [])
        if not q.help:
            assert not children
            continue
        (child,) = children
        assert child["type"] == "display" and child["text"] == q.help
        assert child["extension"][0]["valueCodeableConcept"]["coding"][0]["code"] == "help"


def test_enable_when_for_every_show_if(shipped):
    assert unmapped_show_if(shipped) == []
    items = questionnaire_to_fhir(shipped)["item"]
    types = {}
    with_show_if = [q.id for q in shipped.questions if q.show_if is not None]
    assert {"stretch_helps", "medicines"} <= set(with_show_if)
    for item, q in zip(items, shipped.questions, strict=True):
        assert ("enableWhen" in item) == (q.show_if is not None), q.id
        for when in item.get("enableWhen", []):
            assert when["question"] in types, f"{q.id}: enableWhen reads a later or unknown item"
            (answer_key,) = [k for k in when if k.startswith("answer")]
            if when["operator"] == "exists":
                assert answer_key == "answerBoolean"
            else:
                assert ANSWER_TYPES[answer_key[len("answer"):]] == types[when["question"]], q.id
            if answer_key == "answerCoding":
                assert when["answerCoding"]["system"] == answer_system(shipped.question_by_id[when["question"]])
        types[item["linkId"]] = item["type"]
    stretch = _items(questionnaire_to_fhir(shipped))["stretch_helps"]["enableWhen"]
    assert [(w["operator"], w["answerCoding"]["code"]) for w in stretch] == [("!=", "flicker")]
    medicines = _items(questionnaire_to_fhir(shipped))["medicines"]["enableWhen"]
    assert [(w["question"], w["operator"], w["answerCoding"]["code"]) for w in medicines] == [
        ("triggers", "=", "medicine"), ("about_you", "=", "medicine"),
    ]
    assert _items(questionnaire_to_fhir(shipped))["medicines"]["enableBehavior"] == "any"


def _comparable(holder, prefix):
    for kind in ANSWER_TYPES:
        if prefix + kind in holder:
            value = holder[prefix + kind]
            return (value["system"], value["code"]) if kind == "Coding" else value
    return None  # an answer without a value ("not sure" on a number)


def enabled(item, response):
    """FHIR R4 enableWhen semantics (questionnaire-enable-operator), over a response's answers."""
    given = {i["linkId"]: i.get("answer", []) for i in response.get("item", [])}
    ops = {"<": operator.lt, ">": operator.gt, "<=": operator.le, ">=": operator.ge}
    results = []
    for when in item.get("enableWhen", []):
        present = bool(given.get(when["question"]))  # an answer element, with or without a value
        values = [v for v in (_comparable(a, "value") for a in given.get(when["question"], [])) if v is not None]
        target = _comparable(when, "answer")
        if when["operator"] == "exists":
            results.append(present == target)
        elif when["operator"] == "=":
            results.append(target in values)
        elif when["operator"] == "!=":
            results.append(target not in values)
        else:
            results.append(any(ops[when["operator"]](v, target) for v in values))
    if not results:
        return True
    return all(results) if item.get("enableBehavior", "all") == "all" else any(results)


@SETTINGS
@given(data=st.data())
def test_enable_when_means_show_if(shipped, data):
    answers = check_answers(shipped, data.draw(answer_sets(shipped)), "x")
    response = answers_to_response(shipped, answers)
    for item, q in zip(questionnaire_to_fhir(shipped)["item"], shipped.questions, strict=True):
        assert enabled(item, response) == visible(q, answers), (q.id, answers)


def _variant(content, question_id, show_if):
    questions = tuple(dataclasses.replace(q, show_if=show_if) if q.id == question_id else q for q in content.questions)
    return dataclasses.replace(content, questions=questions)


def test_conditions_that_fhir_cannot_say_are_listed_and_left_out(shipped):
    pain_mild = Compare("pain", "equals", "mild")
    cases = {
        "not": Not(pain_mild),
        "flag": Flag("has_alarm_sign"),
        "mixed": All((pain_mild, Compare("where", "any_of", ("calves", "feet")))),
        "number not sure": Compare("episode_minutes", "equals", NOT_SURE),
        "answered multi": Compare("where", "answered", True),
    }
    for name, condition in cases.items():
        content = _variant(shipped, "impact", condition)
        assert unmapped_show_if(content) == ["impact"], name
        assert "enableWhen" not in _items(questionnaire_to_fhir(content))["impact"], name


def test_all_and_any_map_to_enable_behavior(shipped):
    both = All((Compare("pain", "not_equals", "none"), Compare("episode_minutes", "at_least", 2.5)))
    item = _items(questionnaire_to_fhir(_variant(shipped, "impact", both)))["impact"]
    assert item["enableBehavior"] == "all"
    assert [(w["operator"], _comparable(w, "answer")) for w in item["enableWhen"]] == [
        ("!=", (answer_system(shipped.question_by_id["pain"]), "none")),
        (">=", 2.5),
    ]
    either = AnyOf((Compare("stretch_helps", "equals", True), Compare("medicine_new", "answered", False)))
    item = _items(questionnaire_to_fhir(_variant(shipped, "about_you", either)))["about_you"]
    assert item["enableBehavior"] == "any"
    assert [w["operator"] for w in item["enableWhen"]] == ["=", "exists"]
    assert item["enableWhen"][1]["answerBoolean"] is False
    one_of = Compare("pain", "one_of", ("severe", "worst"))
    item = _items(questionnaire_to_fhir(_variant(shipped, "impact", one_of)))["impact"]
    assert item["enableBehavior"] == "any" and len(item["enableWhen"]) == 2


# --- QuestionnaireResponse round trip ---------------------------------------------------------------


@SETTINGS
@given(data=st.data())
def test_round_trip(shipped, data):
    answers = data.draw(answer_sets(shipped))
    response = answers_to_response(shipped, answers)
    assert Draft202012Validator(RESPONSE_SCHEMA).is_valid(response), response
    response = json.loads(json.dumps(response))  # as it travels
    ((where, raw),) = response_to_raw_answers(shipped, response, "x")
    assert isinstance(raw, dict), raw
    assert check_answers(shipped, dict(raw), "x") == check_answers(shipped, answers, "x")


def test_response_shape(shipped):
    answers = {
        "id": "rec-1", "feeling": "locked", "episode_minutes": NOT_SURE, "where": [], "stretch_helps": "yes",
        "about_you": ["fibro", "checked"],
    }
    response = answers_to_response(shipped, answers)
    assert response["resourceType"] == "QuestionnaireResponse"
    expected = ("rec-1", f"{QUESTIONNAIRE_URL}|{__version__}+{shipped.fingerprint}", "completed")
    assert (response["id"], response["questionnaire"], response["status"]) == expected
    items = _items(response)
    assert list(items) == ["feeling", "episode_minutes", "stretch_helps", "about_you"]  # [] is no answer
    assert items["feeling"]["answer"] == [{"valueCoding": {
        "system": answer_system(shipped.question_by_id["feeling"]),
        "code": "locked",
        "display": "The muscle tightens and will not let go",
    }}]
    assert items["episode_minutes"]["answer"] == [{"extension": [ABSENT]}]
    assert items["stretch_helps"]["answer"][0]["valueCoding"]["code"] == "yes"  # yes/no/not sure: a coding
    assert [a["valueCoding"]["code"] for a in items["about_you"]["answer"]] == ["fibro", "checked"]
    ((where, raw),) = response_to_raw_answers(shipped, {**response, "questionnaire": QUESTIONNAIRE_URL}, "x")
    assert where == "rec-1" and raw["id"] == "rec-1"


def test_bad_answers_are_not_exported(shipped):
    with pytest.raises(AnswerError, match="pain"):
        answers_to_response(shipped, {"pain": "unbearable"})


# --- reading responses ---------------------------------------------------------------------------------


def _coded(question, code):
    return {"valueCoding": {"system": f"urn:muscle-triage:answers:{question}", "code": code}}


def test_bundle_with_a_good_and_a_bad_entry(shipped):
    good = answers_to_response(shipped, {"feeling": "flicker", "duration_days": 3})
    bad = {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "item": [{"linkId": "no_such_question", "answer": [{"valueBoolean": True}]}],
    }
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": good}, {"resource": bad}]}
    (first, second) = response_to_raw_answers(shipped, bundle, "in.json")
    assert first[0] == "bundle entry 1" and check_answers(shipped, first[1]) == {"feeling": "flicker", "duration_days": 3}
    where, error = second
    assert where == "bundle entry 2" and isinstance(error, AnswerError)
    (problem,) = error.problems
    assert problem.path == "in.json" and "no_such_question" in problem.message and "bundle entry 2" in problem.message
    assert "\n" not in str(error)


def test_groups_and_other_forms_are_read(shipped):
    response = {
        "resourceType": "QuestionnaireResponse",
        "id": "r7",
        "status": "completed",
        "item": [
            {"linkId": "page-1", "item": [{"linkId": "feeling", "answer": [_coded("feeling", "on_off")]}]},
            {"linkId": "episode_minutes", "answer": [{"_valueDecimal": {"extension": [ABSENT]}}]},
            {"linkId": "stretch_helps", "answer": [{"valueBoolean": True}]},
            {"linkId": "where", "answer": [_coded("where", "calves"), {"valueCoding": {"code": "feet"}}]},
            {"linkId": "duration_days", "answer": [{"valueInteger": 12}]},
            {"linkId": "alarm_now", "answer": [_coded("alarm_now", NOT_SURE)]},
        ],
    }
    ((where, raw),) = response_to_raw_answers(shipped, response, "x")
    assert where == "r7"
    assert check_answers(shipped, raw) == {
        "alarm_now": NOT_SURE,
        "feeling": "on_off",
        "episode_minutes": NOT_SURE,
        "duration_days": 12,
        "where": ["calves", "feet"],
        "stretch_helps": True,
    }


@pytest.mark.parametrize(
    ("item", "words"),
    [
        ({"linkId": "feeling", "answer": [{"valueBoolean": True}]}, ["'feeling'", "valueBoolean", "choice"]),
        ({"linkId": "episode_minutes", "answer": [{"valueString": "ten"}]}, ["'episode_minutes'", "valueString"]),
        ({"linkId": "pain", "answer": [_coded("pain", "mild"), _coded("pain", "severe")]}, ["'pain'", "2 answers"]),
        ({"linkId": "pain", "answer": [_coded("feeling", "mild")]}, ["'pain'", "code system"]),
        ({"linkId": "stretch_helps", "answer": [{}]}, ["'stretch_helps'", "no value"]),
        ({"linkId": "stretch_helps", "answer": {"valueBoolean": True}}, ["'stretch_helps'", "list"]),
        ({"answer": [{"valueBoolean": True}]}, ["linkId"]),
    ],
)
def test_bad_items_name_the_link_id(shipped, item, words):
    response = {"resourceType": "QuestionnaireResponse", "id": "r1", "status": "completed", "item": [item]}
    with pytest.raises(AnswerError) as caught:
        response_to_raw_answers(shipped, response, "in.json")
    message = str(caught.value)
    assert message.startswith("in.json:1:1: r1: ") and "\n" not in message
    for word in words:
        assert word in message


@pytest.mark.parametrize(
    ("resource", "words"),
    [
        ({"feeling": "flicker"}, ["QuestionnaireResponse", "without a resourceType"]),
        ([{"resourceType": "QuestionnaireResponse"}], ["QuestionnaireResponse", "list"]),
        ({"resourceType": "Patient", "id": "p1"}, ["QuestionnaireResponse", "'Patient'"]),
        ({"resourceType": "Bundle", "entry": []}, ["no entries"]),
        ("QuestionnaireResponse", ["QuestionnaireResponse", "str"]),
    ],
)
def test_not_fhir_is_a_clear_error(shipped, resource, words):
    with pytest.raises(AnswerError) as caught:
        response_to_raw_answers(shipped, resource, "in.json")
    (problem,) = caught.value.problems
    assert (problem.path, problem.line, problem.column) == ("in.json", 1, 1)
    for word in words:
        assert word in problem.message


def test_bundle_entries_that_are_not_responses_are_reported(shipped):
    bundle = {"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Patient"}}, {"fullUrl": "x"}]}
    results = response_to_raw_answers(shipped, bundle, "in.json")
    assert [where for where, _ in results] == ["bundle entry 1", "bundle entry 2"]
    assert all(isinstance(error, AnswerError) for _, error in results)
    assert "Patient" in str(results[0][1]) and "no resource" in str(results[1][1])


# --- validated by a real FHIR model, not only our own schema above ------------------------------

def _r4b_errors(resource: dict) -> str | None:
    """What the R4B model of fhir.resources (pydantic, from the official StructureDefinitions)
    finds wrong with `resource`; None when it is valid."""
    from fhir.resources.R4B.questionnaire import Questionnaire  # a test dependency: fail, never skip
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

    model = {"Questionnaire": Questionnaire, "QuestionnaireResponse": QuestionnaireResponse}[resource["resourceType"]]
    try:
        model.model_validate(resource)
    except ValueError as exc:  # pydantic's ValidationError
        return str(exc)
    return None


def test_the_questionnaire_and_saved_responses_are_valid_fhir_r4b(shipped):
    assert _r4b_errors(questionnaire_to_fhir(shipped)) is None
    complete = {q.id: _any_answer(q) for q in shipped.questions}
    interrupted = responses.FEW_ANSWERS
    not_sure = {"alarm_now": ["none"], "feeling": "locked", "pain": NOT_SURE, "episode_minutes": NOT_SURE}
    for answers, done in ((complete, True), (interrupted, False), (not_sure, True)):
        response = answers_to_response(shipped, answers, complete=done)
        assert _r4b_errors(response) is None, response
        assert response["status"] == ("completed" if done else "in-progress")
        assert response["questionnaire"] == f"{QUESTIONNAIRE_URL}|{__version__}+{shipped.fingerprint}"
        assert response["authored"].endswith("Z")


def test_the_real_fhir_model_can_fail(shipped):
    """Negative controls: what the R4B model refuses, so the test above could fail."""
    broken = questionnaire_to_fhir(shipped)
    broken["date"] = "yesterday"  # not a FHIR dateTime
    assert _r4b_errors(broken) is not None
    broken = questionnaire_to_fhir(shipped)
    del broken["item"][0]["linkId"]  # 1..1 in FHIR
    assert _r4b_errors(broken) is not None
    response = answers_to_response(shipped, {"feeling": "flicker"})
    response["item"][0]["answer"] = [{"valueCoding": "flicker"}]
    assert _r4b_errors(response) is not None


def test_every_item_is_required_as_ask_requires_it(shipped):
    items = _items(questionnaire_to_fhir(shipped))
    assert all(items[q.id]["required"] is True for q in shipped.questions)
    assert [q.id for q in shipped.questions if q.alarm], "the alarm items are among them"


def test_a_response_to_another_questionnaire_is_refused(shipped):
    response = answers_to_response(shipped, {"feeling": "flicker"})
    for ours in (QUESTIONNAIRE_URL, f"{QUESTIONNAIRE_URL}|0.0.1", "urn:muscle-triage:questionnaire"):
        ((_, raw),) = response_to_raw_answers(shipped, {**response, "questionnaire": ours}, "x")
        assert raw == {"feeling": "flicker"}, ours
    with pytest.raises(AnswerError, match="answers another questionnaire"):
        response_to_raw_answers(shipped, {**response, "questionnaire": "https://example.org/Questionnaire/phq-9|2"}, "x")


def _forked(shipped, tmp_path):
    """A copy of the shipped content that names itself in its own questionnaire.yaml."""
    folder = tmp_path / "fork"
    shutil.copytree(shipped.root, folder)
    text = (folder / "questionnaire.yaml").read_text()
    start, end = text.index("about:"), text.index("questions:")
    (folder / "questionnaire.yaml").write_text(text[:start] + (
        "about:\n  url: https://example.org/fhir/Questionnaire/cramps\n  name: CrampsClinic\n"
        "  title: \"Cramps: questions\"\n  publisher: Example Clinic\n  date: \"2026-01-02\"\n"
    ) + text[end:])
    return load_content(folder)


def test_the_questionnaire_says_what_its_content_says_about_itself(shipped, mini, tmp_path):
    """`about:` in questionnaire.yaml names the questions: the date is the day they last changed
    (not the day of the export), and a fork with its own url refuses the project's responses."""
    written = load_yaml_file(str(shipped.root / "questionnaire.yaml"))["about"]
    resource = questionnaire_to_fhir(shipped)
    assert (resource["url"], resource["date"], resource["publisher"]) == (written["url"], written["date"], written["publisher"])
    bare = questionnaire_to_fhir(mini)  # no `about:`: the project's names, and no date rather than a wrong one
    assert bare["url"] == QUESTIONNAIRE_URL and "date" not in bare and bare["publisher"]

    fork = _forked(shipped, tmp_path)
    exported = questionnaire_to_fhir(fork)
    assert [exported[key] for key in ("url", "name", "title", "publisher", "date")] == [
        "https://example.org/fhir/Questionnaire/cramps", "CrampsClinic", "Cramps: questions", "Example Clinic", "2026-01-02"]
    saved = answers_to_response(fork, {"feeling": "flicker"})
    assert saved["questionnaire"].startswith("https://example.org/fhir/Questionnaire/cramps|")
    assert response_to_raw_answers(fork, saved, "x")[0][1] == {"feeling": "flicker"}
    for theirs in (QUESTIONNAIRE_URL, "urn:muscle-triage:questionnaire"):  # the project's questions are not the fork's
        with pytest.raises(AnswerError, match="answers another questionnaire .* not https://example.org/fhir/"):
            response_to_raw_answers(fork, {**saved, "questionnaire": theirs}, "x")
    with pytest.raises(AnswerError, match="answers another questionnaire"):
        response_to_raw_answers(shipped, saved, "x")
    assert _r4b_errors(exported) is None


def _any_answer(q):
    return {"choice": lambda: q.options[0].id, "multi": lambda: [q.options[-1].id], "yesno": lambda: True,
            "number": lambda: q.min}[q.type]()


def test_a_form_tool_that_drops_not_sure_numbers_gets_a_result_at_least_as_cautious(shipped):
    """'Not sure' on a number item is an answer without a value (data-absent-reason, R4 only).
    LHC-Forms drops such answers on a round trip, so the question comes back unanswered: that
    must never lower the urgency. Each such answer is dropped alone, and all together, from a
    real QuestionnaireResponse, which is then read back."""
    import random

    from triage import Triage
    from triage.model import URGENCY_LEVELS
    from triage.samples import random_answers

    triage = Triage(shipped, "python")
    numbers = [q.id for q in shipped.questions if q.type == "number" and q.not_sure]
    assert numbers
    rank = URGENCY_LEVELS.index
    for seed in range(150):
        answers = random_answers(shipped, random.Random(seed), skip=0.2)
        answers.update({q: NOT_SURE for q in numbers})
        response = json.loads(json.dumps(answers_to_response(shipped, answers)))
        before = triage.decide(check_answers(shipped, answers, "x")).urgency
        for dropped in [[q] for q in numbers] + [numbers]:
            kept = {**response, "item": [i for i in response["item"] if i["linkId"] not in dropped]}
            ((_, raw),) = response_to_raw_answers(shipped, kept, "x")
            after = triage.decide(check_answers(shipped, raw, "x")).urgency
            assert rank(after) >= rank(before), (seed, dropped, before, after)


def test_an_unfinished_response_is_checked_with_a_warning(shipped, runner, tmp_path):
    """An in-progress or stopped response may lack answers: check says so on stderr, and batch
    adds `notes` to its record; a completed one gets neither."""
    from triage.cli import cli

    path = tmp_path / "unfinished.fhir.json"
    path.write_text(json.dumps(responses.unfinished(shipped)))
    result = runner.invoke(cli, ["check", str(path), "-f", "json"])
    assert result.exit_code == 0
    assert f"triage: note: {path}: the response is marked in-progress (not finished)" in result.stderr
    bundle = tmp_path / "bundle.json"
    bundle.write_text(json.dumps(responses.bundle(
        responses.unfinished(shipped), responses.finished(shipped), responses.stopped(shipped))))
    batch = runner.invoke(cli, ["batch", str(bundle), "-o", "-", "--format", "jsonl"])
    records = [json.loads(line) for line in batch.stdout.splitlines()]
    assert [r.get("notes") for r in records] == [[responses.UNFINISHED_NOTE], None, [responses.STOPPED_NOTE]]
    assert all(r["ok"] for r in records)
    as_csv = runner.invoke(cli, ["batch", str(bundle), "-o", "-", "--format", "csv"]).stdout.splitlines()
    assert as_csv[0].endswith(",notes") and as_csv[1].endswith('(not finished), so some answers may be missing"')
    assert as_csv[2].endswith(",")
    path.write_text(json.dumps(responses.finished(shipped)))
    assert "not finished" not in runner.invoke(cli, ["check", str(path)]).stderr


def test_a_response_saved_for_other_questions_is_read_with_a_warning(shipped, runner, tmp_path):
    """The version after `|` names the questions a response was saved for (the content's
    fingerprint): another version is still read, with a note to check the answers."""
    from triage.cli import cli

    path = tmp_path / "old.fhir.json"
    path.write_text(json.dumps(responses.for_another_version(shipped)))
    result = runner.invoke(cli, ["check", str(path)])
    assert result.exit_code == 0 and "saved for another version of the questions (0.0.9+abcdef012345;" in result.stderr
    path.write_text(json.dumps(responses.finished(shipped)))
    assert "another version" not in runner.invoke(cli, ["check", str(path)]).stderr
