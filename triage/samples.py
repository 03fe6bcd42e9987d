"""Random answer sets the questionnaire allows: for benchmarks, load tests and examples."""

from __future__ import annotations

import random
from typing import Any, assert_never

from .model import NOT_SURE, Content, Question


def random_answers(content: Content, rng: random.Random, skip: float = 0.4) -> dict:
    """One valid answer set; each question is left out with probability `skip`."""
    answers: dict = {}
    for q in content.questions:
        if rng.random() < skip:
            continue
        if q.not_sure and rng.random() < 0.1:
            answers[q.id] = NOT_SURE
        else:
            answers[q.id] = _sample(q, rng)
    return answers


def _sample(q: Question, rng: random.Random) -> Any:
    match q.type:
        case "choice":
            return rng.choice(q.options).id
        case "multi":
            return [o.id for o in q.options if not o.exclusive and rng.random() < 0.2]
        case "yesno":
            return rng.random() < 0.5
        case "number":
            whole = rng.randint(int(q.min), int(q.max))
            return whole if q.integer else float(whole)
        case _:
            assert_never(q.type)
