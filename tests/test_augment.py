"""flower_demo.augment: the random transforms training uses, previewed deterministically."""

from __future__ import annotations

import numpy as np
import pytest

from tests.fake_flowers import synthetic_photo
from flower_demo import augment, images
from flower_demo.config import Augmentation, TUTORIAL_AUGMENTATION


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    rgb = synthetic_photo("tulips", 0, size=(40, 30))
    rgb[:, :10] = (20, 200, 20)  # an asymmetric band so a mirror image differs from the original
    return rgb


def test_same_seed_same_pictures_other_seed_other_pictures(photo):
    settings = Augmentation(flip=True, rotation=0.1, zoom=0.2, contrast=0.3)
    first = augment.augment_grid(photo, settings, 32, seed=5)
    again = augment.augment_grid(photo, settings, 32, seed=5)
    other = augment.augment_grid(photo, settings, 32, seed=6)

    assert len(first) == 9
    for picture in first:
        assert picture.shape == (32, 32, 3) and picture.dtype == np.uint8
    np.testing.assert_array_equal(np.stack(first), np.stack(again))
    assert not np.array_equal(np.stack(first), np.stack(other))
    assert len({picture.tobytes() for picture in first}) > 1  # nine different variations


def test_disabled_augmentation_returns_the_prepared_photo(photo):
    assert not Augmentation().enabled
    assert augment.build_augmentation(Augmentation()) is None
    pictures = augment.augment_grid(photo, Augmentation(), 24, seed=0)
    expected = images.prepare_for_model(photo, 24)
    assert len(pictures) == 9
    for picture in pictures:
        np.testing.assert_array_equal(picture, expected)


def test_flip_only_gives_the_photo_or_its_mirror(photo):
    base = images.prepare_for_model(photo, 32)
    pictures = augment.augment_grid(photo, Augmentation(flip=True), 32, seed=3)
    kinds = []
    for picture in pictures:
        if np.array_equal(picture, base):
            kinds.append("same")
        else:
            np.testing.assert_array_equal(picture, base[:, ::-1])
            kinds.append("mirror")
    assert set(kinds) == {"same", "mirror"}


def test_count_and_other_inputs(photo):
    grey = photo.mean(axis=2).astype(np.uint8)
    pictures = augment.augment_grid(grey, TUTORIAL_AUGMENTATION, 16, seed=1, count=4)
    assert len(pictures) == 4
    assert all(picture.shape == (16, 16, 3) for picture in pictures)


def test_build_augmentation_layers():
    pipeline = augment.build_augmentation(Augmentation(flip=True, rotation=0.1, zoom=0.2, contrast=0.3), seed=1)
    assert [type(layer).__name__ for layer in pipeline.layers] == [
        "RandomFlip", "RandomRotation", "RandomZoom", "RandomContrast"]
    only_zoom = augment.build_augmentation(Augmentation(zoom=0.1))
    assert [type(layer).__name__ for layer in only_zoom.layers] == ["RandomZoom"]


def test_previews_are_those_of_fresh_layers_with_that_seed(photo):
    """Reused (and, from the second use, traced) layers rewound to each seed, against fresh layers."""
    settings = Augmentation(flip=True, rotation=0.15, zoom=0.1, contrast=0.2)
    batch = np.repeat(images.prepare_for_model(photo, 32)[None].astype(np.float32), 9, axis=0)
    for seed in (11, 12, 11, 13):  # eager, traced, traced again for an earlier seed, another
        expected = np.asarray(augment.build_augmentation(settings, seed=seed)(batch, training=True))
        expected = np.clip(np.round(expected), 0, 255)
        pictures = np.stack(augment.augment_grid(photo, settings, 32, seed=seed)).astype(np.float64)
        np.testing.assert_array_equal(pictures, expected)


def test_tile_lays_pictures_out_in_rows_with_gaps():
    pictures = [np.full((2, 3, 3), value, np.uint8) for value in range(1, 6)]
    sheet = augment.tile(pictures, columns=3, gap=1, fill=0)
    assert sheet.shape == (2 * 2 + 1, 3 * 3 + 2, 3)
    assert sheet[0, 0, 0] == 1 and sheet[0, 4, 0] == 2 and sheet[0, 8, 0] == 3  # first row
    assert sheet[3, 0, 0] == 4 and sheet[3, 4, 0] == 5 and sheet[3, 8, 0] == 0  # second row, one empty slot
    assert not sheet[2].any() and not sheet[:, 3].any()  # the gaps
