"""The one rule for class names, whoever gives them: a dataset's folders, a model's file, a student.

Between config.MIN_CLASSES and MAX_CLASSES classes; each name 1 to config.MAX_CLASS_NAME_CHARS
characters once trimmed, in any script, without control characters, and no two alike once case is
ignored. Names are compared and kept in Unicode's composed form (NFC): macOS writes folder names
decomposed ("rosa" + a combining accent), a zip made on Windows composed, and both must be one class.

Example:
    names = clean(index.class_names)   # ("cat", "dog"), or ValueError("Expected ... Received: ...")
"""

from __future__ import annotations

import unicodedata
from typing import Iterable

from flower_demo import config


def check_count(count: int) -> None:
    """Raises ValueError unless MIN_CLASSES <= count <= MAX_CLASSES."""
    if not config.MIN_CLASSES <= count <= config.MAX_CLASSES:
        raise ValueError(f"Expected {config.MIN_CLASSES} to {config.MAX_CLASSES} classes. Received: {count}")


def clean_name(name) -> str:
    """One name as kept: composed (NFC) and trimmed. Raises ValueError if it breaks the rule."""
    if not isinstance(name, str):
        raise ValueError(f"Expected a class name as text. Received: {type(name).__name__}")
    cleaned = unicodedata.normalize("NFC", name).strip()
    if not 1 <= len(cleaned) <= config.MAX_CLASS_NAME_CHARS:
        raise ValueError(f"Expected a class name of 1 to {config.MAX_CLASS_NAME_CHARS} characters once trimmed. "
                         f"Received: {_quoted(cleaned)} ({len(cleaned)} characters)")
    # Control characters (a newline, a tab, an escape) would break a figure's row or a Markdown line;
    # format characters stay (the zero-width joiner and non-joiner are part of Persian and emoji spelling).
    if any(unicodedata.category(character) == "Cc" for character in cleaned):
        raise ValueError(f"Expected a class name without control characters. Received: {_quoted(cleaned)}")
    return cleaned


def clean(names: Iterable) -> tuple[str, ...]:
    """The names as kept (see `clean_name`), after checking their count and that no two are alike.

    Raises:
        ValueError: "Expected ... Received: ..." for the first thing that breaks the rule.
    """
    names = list(names)
    check_count(len(names))
    cleaned = tuple(clean_name(name) for name in names)
    seen: dict[str, str] = {}
    for name in cleaned:
        # Alike once case is ignored: "Cat" and "cat" read as one class, and a zip of both folders
        # cannot be unpacked on a Mac or Windows machine.
        key = name.casefold()
        if key in seen:
            raise ValueError(f"Expected different class names. Received: {_quoted(seen[key])} and {_quoted(name)}")
        seen[key] = name
    return cleaned


def same(first: Iterable[str], second: Iterable[str]) -> bool:
    """Whether two lists name the same classes in the same order (as kept: composed and trimmed)."""
    first, second = list(first), list(second)
    return len(first) == len(second) and all(
        unicodedata.normalize("NFC", a).strip() == unicodedata.normalize("NFC", b).strip()
        for a, b in zip(first, second))


def _quoted(name: str) -> str:
    """A name as an error quotes it: in quotes, cut short (a message quotes a name, not a page)."""
    return repr(name if len(name) <= 40 else name[:39] + "…")
