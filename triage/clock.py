"""The time an output is stamped with. A result's date is today, or the day of
SOURCE_DATE_EPOCH when it is set (the reproducible-builds convention), so a result can be made
again byte for byte; a saved response's time is always the real time. Kept apart from
render.py, so reading and writing answers does not load Jinja2."""

from __future__ import annotations

import contextlib
import datetime
import os


def _epoch() -> datetime.datetime | None:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.isdigit():
        with contextlib.suppress(OverflowError, ValueError, OSError):  # a year past 9999 is not a date
            return datetime.datetime.fromtimestamp(int(epoch), datetime.UTC)
    return None


def today() -> datetime.date:
    """Today (on this computer's calendar), or the day of SOURCE_DATE_EPOCH."""
    fixed = _epoch()
    return fixed.date() if fixed is not None else datetime.date.today()


def now_utc() -> str:
    """The real time now in UTC to the second, as FHIR writes a dateTime ("2026-11-26T01:02:03Z").
    Never SOURCE_DATE_EPOCH: a saved answer set's time says when it was answered, and a record
    picks the newest by it."""
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
