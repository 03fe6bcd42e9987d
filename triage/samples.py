"""Random answer sets the questionnaire allows: for benchmarks, load tests and examples."""

from __future__ import annotations

import random

from .model import NOT_SURE, Content


def random_answers(content: Content, rng: random.Random, skip: float = 0.4) -> dict:
    """One valid answer set; each question is left out with probability `skip`."""
    answers: dict = {}
    for q in content.questions:
        if rng.random() < skip:
            continue
        if q.not_sure and rng.random() < 0.1:
            answers[q.id] = NOT_SURE
        elif q.type == "choice":
            answers[q.id] = rng.choice(q.options).id
        elif q.type == "multi":
            answers[q.id] = [o.id for o in q.options if not o.exclusive and rng.random() < 0.2]
        elif q.type == "yesno":
            answers[q.id] = rng.random() < 0.5
        elif q.integer:
            answers[q.id] = rng.randint(int(q.min), int(q.max))
        else:
            answers[q.id] = float(rng.randint(int(q.min), int(q.max)))
    return answers
