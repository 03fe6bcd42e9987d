"""Where a person is in the web questionnaire, sealed into the page's address.

Every page with answers is reached by GET with one parameter, `s`: the answers so far, the
questions asked in order, whether the call-now page was shown, the question on screen (and,
on the page an uploaded file leads to, the notes about that file), compressed and encrypted
(Fernet from `cryptography`: AES with an HMAC and a timestamp). So the browser's own Back
button works (it fetches the previous address again; a POST page under `no-store` would fail
with "Confirm form resubmission"), the server stores nothing, and the address in a browser's
history or a proxy's log shows nothing readable (the server can open it again until it
expires). A sealed state expires after `TTL_SECONDS` (an answer sent from an older page is
still checked for an emergency), and with the key: `TRIAGE_SECRET_KEY` shared by every
worker, or a random key made when the app is built (a restart then expires every page).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import zlib
from dataclasses import dataclass, field
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from ..errors import TriageError

TTL_SECONDS = 2 * 60 * 60
"""How long a page's answers can be read back: two hours, to finish at one's own pace and print."""

SECRET_KEY_VARIABLE = "TRIAGE_SECRET_KEY"
MIN_SECRET_LENGTH = 32
"""Characters a TRIAGE_SECRET_KEY must have: a short one could be guessed from one sealed page."""

MAX_SEALED = 16 * 1024
"""Characters a sealed state may have; longer is not something our pages made."""

MAX_PLAIN = 256 * 1024
"""Bytes a state may unpack to (an answer set is a few KiB)."""

CALL_NOW = "!call-now"
"""`PageState.showing` for the call-now page (never a question id: those are words)."""


class Unreadable(Exception):
    """A sealed state that was not made with this key, or was changed."""


class Expired(Exception):
    """A sealed state older than TTL_SECONDS."""


@dataclass
class PageState:
    """The questionnaire so far, and the page it is on."""

    answers: dict[str, Any] = field(default_factory=dict)
    """The answers as plain data, as in an answer file."""
    asked: list[str] = field(default_factory=list)
    """Question ids in the order they were answered (the Back button walks it back)."""
    warned: bool = False
    """The call-now page was shown for these answers."""
    showing: str | None = None
    """The question id on screen, CALL_NOW, or None (the result)."""
    error: str = ""
    """What was wrong with the reply just sent (shown with the question)."""
    sent: Any = None
    """That reply, as sent, so the page shows it again as it was."""
    notes: list[str] = field(default_factory=list)
    """Warnings about an uploaded answer file that was still read (an unfinished FHIR response),
    shown on the page the upload leads to; the pages after it do not carry them."""


class Sealer:
    """Seals and opens PageState with one key."""

    def __init__(self, secret: str | None = None) -> None:
        secret = secret if secret is not None else os.environ.get(SECRET_KEY_VARIABLE)
        if secret and len(secret) < MIN_SECRET_LENGTH:
            raise TriageError(f"{SECRET_KEY_VARIABLE} must be at least {MIN_SECRET_LENGTH} characters of random text "
                              "(make one with: python3 -c 'import secrets; print(secrets.token_urlsafe(32))')")
        # Long random text: a Fernet key is derived from it.
        derived = base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest()) if secret else None
        self._fernet = Fernet(derived or Fernet.generate_key())

    def seal(self, state: PageState, made_at: int | None = None) -> str:
        """The state as URL-safe text; `made_at` (seconds since 1970) backdates it, for tests of expiry."""
        fields = [state.answers, state.asked, state.warned, state.showing, state.error, state.sent]
        if state.notes:  # only then: a state without notes is sealed as before, so every version reads it
            fields.append(state.notes)
        plain = zlib.compress(json.dumps(fields).encode(), 9)
        if made_at is None:
            return self._fernet.encrypt(plain).decode("ascii")
        return self._fernet.encrypt_at_time(plain, made_at).decode("ascii")

    def open(self, sealed: str, any_age: bool = False) -> PageState:
        """The state; Expired or Unreadable when it cannot be trusted. `any_age`: however old
        (still only one this key sealed)."""
        if not sealed or len(sealed) > MAX_SEALED or not sealed.isascii():
            raise Unreadable
        token = sealed.encode("ascii")
        try:
            packed = self._fernet.decrypt(token, ttl=None if any_age else TTL_SECONDS)
        except InvalidToken:
            try:
                self._fernet.extract_timestamp(token)  # signed with our key: then it is only too old
            except InvalidToken:
                raise Unreadable from None
            raise Expired from None
        try:
            answers, asked, warned, showing, error, sent, *more = json.loads(zlib.decompressobj().decompress(packed, MAX_PLAIN))
        except (ValueError, TypeError, zlib.error):
            raise Unreadable from None
        notes = more.pop() if len(more) == 1 else []
        if not (isinstance(answers, dict) and isinstance(asked, list) and all(isinstance(q, str) for q in asked)
                and isinstance(warned, bool) and (showing is None or isinstance(showing, str))
                and isinstance(error, str) and not more and isinstance(notes, list)
                and all(isinstance(n, str) for n in notes)):
            raise Unreadable
        return PageState(answers, asked, warned, showing, error, sent, notes)
