"""Amounts of time as people type them: "30 seconds", "2 hours", "about 5", "0,5", "a week".

Used where a number answer arrives as text (the terminal questionnaire, a text cell in a CSV
or a saved file). Only a question whose unit is a unit of time takes other units; a phrase
that could mean two things ("5 m": minutes or months?) is refused, never guessed.
"""

from __future__ import annotations

import re

_SECONDS_IN = {
    "second": 1, "minute": 60, "hour": 3600, "day": 86_400, "week": 7 * 86_400,
    "month": 30 * 86_400, "year": 365 * 86_400,
}
"""A month is 30 days and a year 365: close enough for how long something has gone on."""

_UNIT_WORDS = {
    "second": ("s", "sec", "secs", "second", "seconds"),
    "minute": ("min", "mins", "minute", "minutes"),
    "hour": ("h", "hr", "hrs", "hour", "hours"),
    "day": ("d", "day", "days"),
    "week": ("w", "wk", "wks", "week", "weeks"),
    "month": ("mo", "mos", "month", "months"),
    "year": ("y", "yr", "yrs", "year", "years"),
}
_UNIT_OF_WORD = {word: unit for unit, words in _UNIT_WORDS.items() for word in words}

_AMOUNT_WORDS = {"a": 1.0, "an": 1.0, "one": 1.0, "a couple of": 2.0, "a couple": 2.0, "a few": 3.0,
                 "half a": 0.5, "half an": 0.5}
_HEDGES = ("about", "around", "roughly", "approximately", "approx", "maybe", "nearly", "almost", "~")
_NUMBER = r"\d+(?:[.,]\d+)?|\.\d+"
_PHRASE = re.compile(
    rf"^(?P<amount>{_NUMBER}|{'|'.join(re.escape(w) for w in sorted(_AMOUNT_WORDS, key=len, reverse=True))})"
    r"\s*(?P<unit>[a-z]+)?\.?$"
)


def parse_amount(text: str, unit: str) -> float | None:
    """The amount in `unit` (the question's unit), or None when the text is not one we read.

    Raises ValueError with a short message when the text names a unit that does not fit.
    """
    phrase = " ".join(text.strip().lower().split())
    for hedge in _HEDGES:
        if phrase.startswith(hedge + " ") or (hedge == "~" and phrase.startswith("~")):
            phrase = phrase[len(hedge):].strip()
            break
    match = _PHRASE.match(phrase)
    if match is None:
        return None
    amount_text, unit_word = match.group("amount"), match.group("unit")
    if amount_text in _AMOUNT_WORDS:
        if unit_word is None:
            return None  # "a few" of what?
        amount = _AMOUNT_WORDS[amount_text]
    elif re.fullmatch(r"\d{1,3},\d{3}", amount_text):  # 1,000: a thousand, or one? never guessed
        raise ValueError("write the number without a comma (for a part of one, use a point: 1.5)")
    else:
        amount = float(amount_text.replace(",", "."))
    if unit_word is None:
        return amount
    said = _UNIT_OF_WORD.get(unit_word)
    wanted = _UNIT_OF_WORD.get(unit.strip().lower())
    if said is None or wanted is None:  # the word typed is not echoed: answers stay out of messages
        phrases = examples(unit)
        raise ValueError(f"give the number in {unit}" + (f", or with a unit, like {phrases}" if phrases else ""))
    return amount * _SECONDS_IN[said] / _SECONDS_IN[wanted]


def examples(unit: str) -> str | None:
    """Phrases that fit a question in `unit` ("30 seconds or 2 hours"), or None if it takes no units."""
    wanted = _UNIT_OF_WORD.get(unit.strip().lower())
    if wanted is None:
        return None
    return "30 seconds or 2 hours" if _SECONDS_IN[wanted] < _SECONDS_IN["day"] else "3 weeks or 6 months"
