"""flower_demo.config: settings read from the environment when used, and with_overrides (the one way a
preset plus a student's or a teacher's settings becomes a clamped run)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from flower_demo import config, recipes
from flower_demo.recipes import PRESETS


def test_the_cache_folder_and_the_served_model_are_read_when_used(tmp_path, monkeypatch):
    monkeypatch.setenv(config.CACHE_ENV, str(tmp_path / "cache"))
    assert config.cache_dir() == tmp_path / "cache"
    monkeypatch.delenv(config.CACHE_ENV)
    assert config.cache_dir() == Path.home() / ".cache" / "flower_demo"

    monkeypatch.delenv(config.CLASSIFIER_ENV, raising=False)
    assert config.classifier_path() == config.SHIPPED_MODEL_PATH
    monkeypatch.setenv(config.CLASSIFIER_ENV, str(tmp_path / "teachers.keras"))
    assert config.classifier_path() == tmp_path / "teachers.keras"
    monkeypatch.setenv(config.CLASSIFIER_ENV, "")  # set but empty: the shipped model, as if unset
    assert config.classifier_path() == config.SHIPPED_MODEL_PATH


def test_with_overrides_ignores_none_and_replaces_the_rest():
    seed = PRESETS["seed"]
    assert recipes.with_overrides(seed) == seed
    assert recipes.with_overrides(seed, epochs=None, batch_size=None, learning_rate=None) == seed
    chosen = recipes.with_overrides(seed, epochs=3, batch_size=16, learning_rate=5e-4)
    assert chosen == dataclasses.replace(seed, epochs=3, batch_size=16, learning_rate=5e-4)


def test_with_overrides_clamps_like_clamp_config():
    seed = PRESETS["seed"]
    wild = {"epochs": 10**6, "image_size": 5000, "batch_size": 1, "learning_rate": 5.0, "validation_split": 0.0}
    assert recipes.with_overrides(seed, max_epochs=7, **wild) == recipes.clamp_config(
        dataclasses.replace(seed, **wild), max_epochs=7)
    assert recipes.with_overrides(seed, max_epochs=7, **wild).epochs == 7
    # Only a final fit (the command line's) keeps a validation split of exactly 0.
    assert recipes.with_overrides(seed, validation_split=0.0).validation_split == config.MIN_VALIDATION_SPLIT
    assert recipes.with_overrides(seed, final_fit=True, validation_split=0.0).validation_split == 0.0
    with pytest.raises(ValueError, match="Expected finite numbers"):
        recipes.with_overrides(seed, learning_rate=float("nan"))
    with pytest.raises(TypeError):
        recipes.with_overrides(seed, epoch=3)  # not a TrainConfig field


def test_the_live_epoch_cap():
    assert recipes.live_epoch_cap("flower_cnn") == recipes.LIVE_EPOCH_CAP["flower_cnn"] < PRESETS["flower_cnn"].epochs
    assert recipes.live_epoch_cap("seed") == config.MAX_EPOCHS_APP
    assert all(cap <= config.MAX_EPOCHS_APP for cap in recipes.LIVE_EPOCH_CAP.values())


def test_the_split_seed_is_the_tutorials_unless_told():
    assert {preset.split_seed for preset in PRESETS.values()} == {config.SPLIT_SEED}
    assert recipes.with_overrides(PRESETS["live"], split_seed=None).split_seed == config.SPLIT_SEED
    assert recipes.with_overrides(PRESETS["live"], split_seed=2).split_seed == 2
