"""Every extension point is one registry, its names are one Literal type, and an unknown name raises."""

from __future__ import annotations

from typing import get_args

import pytest

from triage.engines import ENGINES, EngineName, make_engine
from triage.errors import TriageError
from triage.model import BATCH_FORMATS, FORMATS, TEMPLATES, OperatorName, QuestionTypeName
from triage.operators import OPERATORS, operator
from triage.questiontypes import QUESTION_TYPES, question_type
from triage.render import Renderer
from triage.reports import WRITERS, make_writer


def test_registries_and_their_literal_types_name_the_same_things():
    assert list(OPERATORS) == list(get_args(OperatorName))
    assert list(QUESTION_TYPES) == list(get_args(QuestionTypeName))
    assert list(ENGINES) == list(get_args(EngineName))
    assert list(WRITERS) == list(BATCH_FORMATS)
    assert set(TEMPLATES) < set(FORMATS) and set(FORMATS) - set(TEMPLATES) == {"json"}


def test_every_operator_fits_a_known_question_type_and_every_type_has_operators():
    for op in OPERATORS.values():
        assert op.types and op.types <= set(QUESTION_TYPES), op.name
    for name in QUESTION_TYPES:
        assert any(name in op.types for op in OPERATORS.values()), name


def test_an_unknown_name_raises_instead_of_falling_back(mini, tmp_path):
    with pytest.raises(KeyError, match="unknown comparison 'between'"):
        operator("between")
    with pytest.raises(KeyError, match="unknown question type 'scale'"):
        question_type("scale")
    with pytest.raises(TriageError, match="unknown engine 'clips'"):
        make_engine(mini, "clips")
    with pytest.raises(TriageError, match="unknown format 'pdf'"):
        Renderer(mini).render(None, "pdf")  # type: ignore[arg-type]
    with (tmp_path / "out").open("w") as out, pytest.raises(ValueError, match="unknown batch format 'xml'"):
        make_writer("xml", out)
    assert set(WRITERS) == {"jsonl", "csv", "report", "html", "text"}
