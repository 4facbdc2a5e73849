"""Personal data is masked on the way out of the database unless a permitted role asks.

Free text is masked by pattern families, not one regex (issue #14): digits may be full-width
(１３８…), phones may carry +86 / 86 / 0086 and be spaced or dashed (139 1234 5672,
139-1234-5673), ID numbers may be 18 or 15 digits, spaced, with a full-width Ｘ. A pattern
matches digits with at most one separator between them, and the masked digits become "*"
where they stand (the separators stay, so the text reads as before).
"""
from __future__ import annotations

import re
import unicodedata


def mask_name(name: str | None) -> str | None:
    if not name:
        return name
    return name[0] + "*" * max(1, len(name) - 1)


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return phone
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "*" * len(phone)


def mask_id_number(value: str | None) -> str | None:
    if not value:
        return value
    return value[:6] + "*" * max(0, len(value) - 10) + value[-4:] if len(value) > 10 else "*" * len(value)


_D = "[0-9\uff10-\uff19]"  # ASCII and full-width digits
_SEP = "[ \u00a0\u3000\t\\-\u2010-\u2015\u2212\uff0d.\uff0e]"  # spaces, dashes, dots
_X = "[0-9\uff10-\uff19Xx\uff38\uff58]"
_NOT_D = f"(?<!{_D})"
_NOT_D_AFTER = f"(?!{_D})"


def _spaced(count: int, digit: str = _D) -> str:
    return f"{digit}(?:{_SEP}?{digit}){{{count - 1}}}"


# The country code of a phone, when present, is kept as written.
_ID18 = re.compile(f"{_NOT_D}({_spaced(17)}{_SEP}?{_X}){_NOT_D_AFTER}")
_ID15 = re.compile(f"{_NOT_D}({_spaced(15)}){_NOT_D_AFTER}")
_PHONE = re.compile(
    f"(?:(?<![0-9\uff10-\uff19+\uff0b])"
    f"(?:[+\uff0b]{_SEP}?|[(]\\s?[+\uff0b]?|\uff08\\s?[+\uff0b]?)?"
    f"(?:(?:0{_SEP}?0{_SEP}?)?[8\uff18]{_SEP}?[6\uff16][)\uff09]?{_SEP}?)?|{_NOT_D})"
    f"([1\uff11]{_SEP}?[3-9\uff13-\uff19](?:{_SEP}?{_D}){{9}}){_NOT_D_AFTER}")


def _star(span: str, keep_head: int, keep_tail: int) -> str:
    """Replace the digits of `span` with * except the first `keep_head` and last `keep_tail`."""
    positions = [i for i, ch in enumerate(span) if ch.isdigit() or ch in "Xx\uff38\uff58"]
    hide = set(positions[keep_head:len(positions) - keep_tail])
    return "".join("*" if i in hide else ch for i, ch in enumerate(span))


def _sub(pattern: re.Pattern, text: str, head: int, tail: int) -> str:
    return pattern.sub(lambda m: m.group(0)[:m.start(1) - m.start(0)] + _star(m.group(1), head, tail), text)


def mask_text(text: str | None) -> str | None:
    """Free text from citizens can carry phone or ID numbers: mask them where they stand."""
    if not text:
        return text
    text = _sub(_ID18, text, 6, 4)
    text = _sub(_PHONE, text, 3, 4)  # before the 15-digit IDs: "0086 139…" is a phone
    return _sub(_ID15, text, 6, 3)


_INVISIBLE = {"Cc", "Cf", "Zl", "Zp"}  # control and format characters (NUL, zero-width, bidi marks)


def clean_reason(text) -> str:
    """A typed reason as a person wrote it: invisible characters dropped, white space folded,
    so a reason of zero-width spaces or NULs is an empty one."""
    if not isinstance(text, str):
        return ""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(" " if ch.isspace() else ch for ch in text if unicodedata.category(ch) not in _INVISIBLE
                   or ch.isspace())
    return " ".join(text.split())[:200]
