"""What PostgreSQL cannot store in `text` / `jsonb`: NUL (U+0000) and unpaired surrogates (they
have no UTF-8 form). Checked where input arrives (HTTP, ingest files), so such input is refused
with a reason instead of failing a query, or a whole batch, with a `DataError`."""

from __future__ import annotations

from typing import Any


def unstorable_reason(text: str) -> str | None:
    """Why PostgreSQL cannot store `text`, or None when it can."""
    if "\x00" in text:
        return "a NUL character (U+0000)"
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return "an unpaired surrogate or undecodable byte"
    return None


def find_unstorable(value: Any) -> tuple[str, bool, str] | None:
    """The first unstorable string in a decoded JSON value, as (JSON pointer, whether it is a
    key, reason); None when everything can be stored. Walks without recursion."""
    pending: list[tuple[Any, str]] = [(value, "")]
    while pending:
        item, pointer = pending.pop()
        if isinstance(item, str):
            reason = unstorable_reason(item)
            if reason is not None:
                return pointer or "/", False, reason
        elif isinstance(item, dict):
            for key, child in item.items():
                child_pointer = f"{pointer}/{key}"
                reason = unstorable_reason(str(key))
                if reason is not None:
                    return child_pointer, True, reason
                pending.append((child, child_pointer))
        elif isinstance(item, list):
            pending.extend((child, f"{pointer}/{index}") for index, child in enumerate(item))
    return None


def printable(text: str) -> str:
    """`text` with NUL and unencodable characters escaped, safe to echo in a message."""
    return text.replace("\x00", "\\u0000").encode("utf-8", "backslashreplace").decode()
