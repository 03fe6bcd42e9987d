"""An offline reading-grade measure (Flesch-Kincaid grade level).

Syllables come from pyphen's hyphenation dictionary, which ships with the package (textstat
downloads data at run time and fails offline). Hyphenation rules never split the first or
last two letters of a word, so they undercount short words like "area"; a vowel-group count
is taken as a floor.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pyphen

_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
_SENTENCE_END = re.compile(r"[.!?]+(?:\s|$)|[;:]\s|\n")
_VOWELS = re.compile(r"[aeiouy]+")
_DICTIONARY = pyphen.Pyphen(lang="en_US")

MIN_WORDS = 8
"""Below this many words the formula says little (a one-word label like "Emergency" scores 20)."""


@lru_cache(maxsize=20000)
def syllables(word: str) -> int:
    word = word.lower()
    by_dictionary = len(_DICTIONARY.positions(word)) + 1
    groups = len(_VOWELS.findall(word))
    if word.endswith("e") and not word.endswith(("le", "ee", "ye")) and groups > 1:
        groups -= 1
    return max(1, by_dictionary, groups)


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def sentence_count(text: str) -> int:
    pieces = [p for p in _SENTENCE_END.split(text) if _WORD.search(p)]
    return max(1, len(pieces))


def grade(text: str) -> float:
    """Flesch-Kincaid grade level of a text (0.0 for a text without words)."""
    found = words(text)
    if not found:
        return 0.0
    per_sentence = len(found) / sentence_count(text)
    per_word = sum(syllables(w) for w in found) / len(found)
    return round(0.39 * per_sentence + 11.8 * per_word - 15.59, 1)


def measurable(text: str) -> bool:
    return len(words(text)) >= MIN_WORDS
