"""The one shape of error the core raises for things a student did or a folder lacks: a message key.

`key` names the message in flower_demo.i18n, so the app can show it in the student's language;
`detail` is the untranslated particular (a file name, a value) that the message may quote.
"""

from __future__ import annotations


class KeyedError(Exception):
    def __init__(self, key: str, detail: str = "", **values):
        super().__init__(f"{key}: {detail}" if detail else key)
        self.key = key
        self.detail = detail
        self.values = values  # what the message quotes besides the detail (a measured cost and its limit)


class DatasetError(KeyedError, RuntimeError):
    """The photos cannot be had: `error_no_photos` (a folder without photos), `error_download`,
    `error_class_count` (not 2-10 class folders) or `error_class_names` (a folder name no class can have)."""
