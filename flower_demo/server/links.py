"""Links a teacher can share: query parameters that open a tab with chosen settings.

    https://…/?tab=training&preset=seed_augmented&epochs=5&lang=en
    https://…/?tab=kernels&kernel=sobel_x

Every value is checked against what the app offers; anything unknown, malformed or out of range is
ignored (the page opens as usual), never an error.
"""

from __future__ import annotations

import dataclasses
from typing import Mapping

from flower_demo import config, recipes
from flower_demo.i18n import LANGUAGES
from flower_demo.look.kernels import KERNEL_CHOICES

# The tabs' ids (gr.Tab(id=...)), in the order the app shows them.
TAB_IDS = ("kernels", "dataset", "augmentation", "training", "classify", "inside", "compare", "evaluate")


@dataclasses.dataclass(frozen=True)
class Link:
    tab: str | None = None
    preset: str | None = None
    epochs: int | None = None  # 1..MAX_EPOCHS_APP
    kernel: str | None = None
    lang: str | None = None


def _choice(value, allowed) -> str | None:
    return value if isinstance(value, str) and value in allowed else None


def _epochs(value) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 1 <= number <= config.MAX_EPOCHS_APP else None


def parse(query: Mapping | None) -> Link:
    """The link's settings from a page's query parameters; unknown keys and values are left out."""
    query = dict(query or {})
    return Link(
        tab=_choice(query.get("tab"), TAB_IDS),
        preset=_choice(query.get("preset"), recipes.PRESETS),
        epochs=_epochs(query.get("epochs")) if "epochs" in query else None,
        kernel=_choice(query.get("kernel"), KERNEL_CHOICES),
        lang=_choice(query.get("lang"), LANGUAGES),
    )
