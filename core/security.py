"""Sensitive data: encryption at rest, keyed blind indexes, masking and identity-number checks."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app

_fernets: dict[str, Fernet] = {}


def _fernet() -> Fernet:
    key = current_app.config["ENCRYPTION_KEY"]
    if key not in _fernets:
        _fernets[key] = Fernet(key.encode())
    return _fernets[key]


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:  # a wrong key must be loud, never silently blank
        raise RuntimeError("cannot decrypt a sensitive field: wrong JIAYUAN_ENCRYPTION_KEY?") from exc


def blind_index(value: str, purpose: str = "default") -> str:
    """Keyed HMAC of a normalised value: lets us find a record by an exact value without storing it.

    A plain hash would not do: an 18-digit ID number has few enough candidates to brute-force.
    ``purpose`` separates indexes so equal values in different tables do not correlate.
    """
    key = current_app.config["BLIND_INDEX_KEY"].encode()
    normalised = re.sub(r"\s+", "", value).upper()
    return hmac.new(key, f"{purpose}:{normalised}".encode(), hashlib.sha256).hexdigest()


def mask(value: str | None, keep_start: int = 3, keep_end: int = 4) -> str:
    """``110101********1234``: enough to recognise, too little to use."""
    if not value:
        return ""
    if len(value) <= keep_start + keep_end:
        return value[0] + "*" * (len(value) - 1)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[-keep_end:]


def mask_phone(value: str | None) -> str:
    return mask(value, 3, 4)


def mask_name(value: str | None) -> str:
    if not value:
        return ""
    return value[0] + "*" * (len(value) - 1)


_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_CHECK = "10X98765432"


def resident_id_problem(number: str, today: dt.date | None = None) -> str | None:
    """Why an 18-digit resident ID number (GB 11643-1999) is invalid, or None when it is valid."""
    number = number.strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", number):
        return "format"
    try:
        born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return "birth_date"
    if born > (today or dt.date.today()) or born.year < 1900:
        return "birth_date"
    total = sum(int(d) * w for d, w in zip(number[:17], _WEIGHTS, strict=True))
    if _CHECK[total % 11] != number[17]:
        return "check_digit"
    return None


def resident_id_with_check_digit(first17: str) -> str:
    """Complete 17 digits with their check digit (demo data, tests)."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return first17 + _CHECK[total % 11]
