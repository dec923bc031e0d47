"""flower_demo.i18n: two complete dictionaries, and every key the code uses exists in them."""

from __future__ import annotations

import io
import re
import string
import tokenize
from pathlib import Path

import pytest

from flower_demo import config, recipes
from flower_demo.look import kernels
from flower_demo.i18n import DEFAULT_LANGUAGE, LANGUAGES, TEXTS, class_label, language_from_header, translate

PACKAGE = Path(__file__).resolve().parent.parent / "flower_demo"


def without_comments(source: str) -> str:
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return tokenize.untokenize((kind, text) for kind, text, *_ in tokens if kind != tokenize.COMMENT)


SOURCES = {path: without_comments(path.read_text()) for path in sorted(PACKAGE.rglob("*.py"))}
CORE_SOURCES = {path: text for path, text in SOURCES.items() if "tabs" not in path.parts}

# ui.t("key"), t("key"), translate("key", ...), ui.error("key", ...): plain string literals only (not f-strings).
USED_KEY = re.compile(r"\b(?:t|translate|error)\s*\(\s*(?<![fF])[\"']([A-Za-z0-9_]+)[\"']")
RAISED_KEY = re.compile(
    r"\b(?:ImageError|KernelError|DatasetError|InspectError|EvaluationError|ModelFileError|OwnPhotosError)\s*\(\s*[\"']([A-Za-z0-9_]+)[\"']")


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_languages_have_the_same_keys_and_placeholders():
    assert set(TEXTS) == set(LANGUAGES) == {"es", "en"}
    assert set(TEXTS["es"]) == set(TEXTS["en"])
    for key in TEXTS["en"]:
        assert placeholders(TEXTS["es"][key]) == placeholders(TEXTS["en"][key]), key
        assert TEXTS["es"][key].strip() and TEXTS["en"][key].strip(), key


@pytest.mark.parametrize("header,expected", [
    ("en-US,en;q=0.9", "en"),
    ("fr, es;q=0.5", "es"),
    (None, "es"),
    ("", "es"),
    ("fr-FR,fr;q=0.9", "en"),  # nothing we speak: English, as Gradio's own texts
    ("ca-ES,es;q=0.9", "es"),  # a language of Spain reads the Spanish page
    ("eu", "es"),
    ("gl-ES,en;q=0.5", "es"),
    ("pt-BR,en;q=0", "en"),
    ("es;q=0.8,en;q=0.9", "en"),
    ("es-ES,es;q=0.8,en;q=0.9", "es"),
    ("EN-gb", "en"),
    ("en;q=abc, es;q=0.1", "es"),
])
def test_language_from_header(header, expected):
    assert language_from_header(header) == expected


def test_translate_fills_values_and_falls_back():
    assert translate("status_loading", "en", done=3, total=7) == "Preparing the photos: 3 of 7."
    assert translate("status_loading", "es", done=3, total=7) == "Preparando las fotos: 3 de 7."
    assert translate("train_button", "en") == "Train"
    assert translate("train_button", "de") == TEXTS[DEFAULT_LANGUAGE]["train_button"]
    assert translate("no_such_key", "en") == "no_such_key"
    assert class_label("roses", "es") == "rosas"
    assert class_label("roses", "en") == "roses"
    assert class_label("lilies", "es") == "lilies"


def test_every_literal_key_in_the_source_exists():
    used = {}
    for path, text in SOURCES.items():
        for key in USED_KEY.findall(text):
            used.setdefault(key, path.name)
    assert len(used) > 40  # the regex does find the UI's keys
    missing = {key: where for key, where in used.items() if key not in TEXTS["en"]}
    assert not missing


def test_keys_built_from_names_exist():
    built = ([f"kernel_{name}" for name in kernels.KERNEL_CHOICES]
             + [f"preset_{name}" for name in recipes.PRESETS]
             + [f"class_{name}" for name in config.CLASS_NAMES]
             + [f"display_{mapping}" for mapping in (kernels.DISPLAY_CLIP, kernels.DISPLAY_ABS)]
             + [f"status_{phase}" for phase in ("waiting", "loading", "training", "finished", "stopped", "failed")])
    assert [key for key in built if key not in TEXTS["en"]] == []


def test_every_error_key_raised_in_the_core_exists():
    raised = set()
    for text in CORE_SOURCES.values():
        raised.update(RAISED_KEY.findall(text))
    assert {"error_empty", "error_not_image", "error_kernel_value", "error_no_photos", "error_download",
            "error_model_contract", "error_evaluation_classes"} <= raised
    assert sorted(key for key in raised if key not in TEXTS["en"]) == []


# Error texts that quote values besides the detail, and the values (a KeyedError's `values`).
ERROR_VALUES = {"error_time_limit": {"seconds"}, "error_model_costly": {"flops", "memory", "max_flops", "max_memory"},
                "error_model_not_kept": {"name", "kept"},
                # issue 36: your photos (flower_demo/data/own_photos.py)
                "error_own_class_name": {"max_chars"}, "error_own_too_many_classes": {"classes", "limit"},
                "error_own_class_full": {"name", "photos", "limit"}, "error_own_session_photos": {"photos", "limit"},
                "error_own_session_bytes": {"megabytes", "limit"}, "error_own_server_full": {"megabytes", "limit"},
                "error_own_zip_too_large": {"megabytes", "limit"}, "error_own_zip_entries": {"entries", "limit"},
                "error_own_zip_path": {"name"}, "error_own_zip_link": {"name"},
                "error_own_zip_member_too_large": {"name", "limit"}, "error_own_zip_unpacked": {"megabytes", "limit"},
                "error_own_too_few_classes": {"classes", "minimum"}, "error_own_empty_class": {"name"},
                "error_own_unknown_class": {"name"}, "error_own_photos_expired": {"minutes"}}


def test_error_texts_format_with_a_detail():
    """Handlers pass `detail=` to every error text; only those above need other values."""
    for language in LANGUAGES:
        for key, text in TEXTS[language].items():
            if key.startswith("error_"):
                assert placeholders(text) <= {"detail"} | ERROR_VALUES.get(key, set()), key
                translate(key, language, detail="x", **dict.fromkeys(ERROR_VALUES.get(key, ()), 1.5))


def test_the_flower_names_are_the_datasets_and_only_they_are_translated():
    from flower_demo import config
    from flower_demo.i18n import FLOWER_CLASSES, class_labels

    assert FLOWER_CLASSES == config.CLASS_NAMES
    assert class_labels(config.CLASS_NAMES, "es") == ["margaritas", "dientes de león", "rosas", "girasoles", "tulipanes"]
    assert class_labels(("roses", "mug", "pen"), "es") == ["roses", "mug", "pen"]  # a class's own words
