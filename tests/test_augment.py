"""flower_demo.data.augment: the random transforms training uses, previewed deterministically."""

from __future__ import annotations

import numpy as np
import pytest

from tests.fake_flowers import synthetic_photo
from flower_demo.data import augment, images
from flower_demo.recipes import Augmentation, TUTORIAL_AUGMENTATION


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


def _bilinear(picture: np.ndarray, rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """An independent reference: bilinear samples of `picture` at points inside it."""
    top, left = np.floor(rows).astype(int), np.floor(columns).astype(int)
    bottom, right = np.minimum(top + 1, picture.shape[0] - 1), np.minimum(left + 1, picture.shape[1] - 1)
    down, across = (rows - top)[..., None], (columns - left)[..., None]
    upper = picture[top, left] * (1 - across) + picture[top, right] * across
    lower = picture[bottom, left] * (1 - across) + picture[bottom, right] * across
    return upper * (1 - down) + lower * down


def test_affine_transform_against_numpy():
    picture = np.random.RandomState(0).uniform(0, 255, (9, 9, 3)).astype(np.float32)
    batch = np.stack([picture] * 3)
    out = np.asarray(augment.affine_transform(batch, flips=[True, False, False],
                                              angles=np.float32([0, np.pi / 2, 0]), scales=np.float32([1, 1, 0.5])))
    np.testing.assert_allclose(out[0], picture[:, ::-1], atol=1e-3)  # a mirror image
    np.testing.assert_allclose(out[1], np.rot90(picture), atol=1e-3)  # a quarter turn
    rows, columns = np.mgrid[0:9, 0:9].astype(np.float64)
    zoomed_in = _bilinear(picture.astype(np.float64), 4 + 0.5 * (rows - 4), 4 + 0.5 * (columns - 4))
    np.testing.assert_allclose(out[2], zoomed_in, atol=1e-3)  # the middle half, twice as big


def test_output_size_resamples_the_view_as_a_bilinear_resize():
    picture = np.random.RandomState(3).uniform(0, 255, (12, 12, 3)).astype(np.float32)
    out = np.asarray(augment.affine_transform(np.stack([picture] * 2), flips=[False, True],
                                              angles=np.float32([0, 0]), scales=np.float32([1, 1]), output_size=8))
    assert out.shape == (2, 8, 8, 3)
    centres = (np.arange(8) + 0.5) * 12 / 8 - 0.5  # half-pixel centres, as tf.image.resize maps them
    rows, columns = np.meshgrid(centres, centres, indexing="ij")
    resized = _bilinear(picture.astype(np.float64), rows, columns)
    np.testing.assert_allclose(out[0], resized, atol=1e-3)
    np.testing.assert_allclose(out[1], resized[:, ::-1], atol=1e-3)
    drawn = augment.random_augment(np.stack([picture] * 2), TUTORIAL_AUGMENTATION, np.int64([1, 2]), output_size=5)
    assert drawn.shape == (2, 5, 5, 3)


def test_contrast_scales_each_picture_about_its_mean_within_the_range():
    photo = np.random.RandomState(1).uniform(80, 170, (16, 16, 3)).astype(np.uint8)
    pictures = augment.augment_grid(photo, Augmentation(contrast=0.3), 16, seed=2)
    base = images.prepare_for_model(photo, 16).astype(np.float64)
    centred = base - base.mean(axis=(0, 1))
    factors = [float((centred * (picture - picture.mean(axis=(0, 1)))).sum() / (centred**2).sum())
               for picture in np.asarray(pictures, np.float64)]
    assert all(0.7 - 0.01 <= factor <= 1.3 + 0.01 for factor in factors)
    assert max(factors) - min(factors) > 0.1  # drawn, not one fixed factor


def test_preview_shows_what_training_draws(photo):
    """The tab's one traced graph (settings as numbers) against the training pipeline's function."""
    import tensorflow as tf

    batch = np.repeat(images.prepare_for_model(photo, 32)[None].astype(np.float32), 9, axis=0)
    for settings in (Augmentation(flip=True, rotation=0.15, zoom=0.1, contrast=0.2), TUTORIAL_AUGMENTATION,
                     Augmentation(contrast=0.4)):
        for seed in (11, 12):
            drawn = tf.function(lambda x, s: augment.random_augment(x, settings, s))(batch, np.int64([seed, 0]))
            expected = np.clip(np.round(np.asarray(drawn)), 0, 255)
            pictures = np.stack(augment.augment_grid(photo, settings, 32, seed=seed)).astype(np.float64)
            assert np.abs(pictures - expected).max() <= 1  # rounding of the same draws


def test_tile_lays_pictures_out_in_rows_with_gaps():
    pictures = [np.full((2, 3, 3), value, np.uint8) for value in range(1, 6)]
    sheet = augment.tile(pictures, columns=3, gap=1, fill=0)
    assert sheet.shape == (2 * 2 + 1, 3 * 3 + 2, 3)
    assert sheet[0, 0, 0] == 1 and sheet[0, 4, 0] == 2 and sheet[0, 8, 0] == 3  # first row
    assert sheet[3, 0, 0] == 4 and sheet[3, 4, 0] == 5 and sheet[3, 8, 0] == 0  # second row, one empty slot
    assert not sheet[2].any() and not sheet[:, 3].any()  # the gaps


def test_cut_mix_pastes_one_box_of_the_next_picture_and_mixes_labels_by_its_area():
    rng = np.random.RandomState(4)
    batch = rng.uniform(0, 255, (6, 10, 12, 3)).astype(np.float32)
    labels = np.eye(5, dtype=np.float32)[[0, 1, 2, 3, 4, 0]]
    mixed, mixed_labels = (np.asarray(t) for t in augment.cut_mix(batch, labels, np.int64([3, 9]), share=1.0))
    partner, partner_labels = np.roll(batch, 1, axis=0), np.roll(labels, 1, axis=0)
    for picture in range(6):
        from_partner = np.all(mixed[picture] == partner[picture], axis=-1)
        kept = np.all(mixed[picture] == batch[picture], axis=-1)
        assert np.all(from_partner | kept)
        rows, columns = np.nonzero(from_partner & ~kept)
        if len(rows):  # one axis-aligned box: every pixel between its corners comes from the partner
            assert from_partner[rows.min():rows.max() + 1, columns.min():columns.max() + 1].all()
        area = from_partner.mean()
        np.testing.assert_allclose(mixed_labels[picture], (1 - area) * labels[picture] + area * partner_labels[picture],
                                   atol=1e-6)
    assert not np.array_equal(mixed, batch)  # boxes of random size: some pixels were pasted
    again = augment.cut_mix(batch, labels, np.int64([3, 9]), share=1.0)
    np.testing.assert_array_equal(np.asarray(again[0]), mixed)  # a stateless seed: the same boxes


def test_cut_mix_with_share_zero_changes_nothing():
    batch = np.random.RandomState(5).uniform(0, 255, (4, 8, 8, 3)).astype(np.float32)
    labels = np.eye(5, dtype=np.float32)[[0, 1, 2, 3]]
    mixed, mixed_labels = augment.cut_mix(batch, labels, np.int64([1, 1]), share=0.0)
    np.testing.assert_array_equal(np.asarray(mixed), batch)
    np.testing.assert_array_equal(np.asarray(mixed_labels), labels)


def test_cut_mix_takes_the_given_partners_when_there_are_some():
    rng = np.random.RandomState(6)
    batch, partners = (rng.uniform(0, 255, (4, 9, 9, 3)).astype(np.float32) for _ in range(2))
    labels, partner_labels = np.eye(5, dtype=np.float32)[[0, 1, 2, 3]], np.eye(5, dtype=np.float32)[[4, 4, 4, 4]]
    mixed, mixed_labels = (np.asarray(t) for t in augment.cut_mix(batch, labels, np.int64([2, 7]), 1.0,
                                                                   partners, partner_labels))
    from_partner = np.all(mixed == partners, axis=-1).mean(axis=(1, 2))
    assert np.all(np.all(mixed == partners, axis=-1) | np.all(mixed == batch, axis=-1))
    np.testing.assert_allclose(mixed_labels[:, 4], from_partner, atol=1e-6)  # the partners' class, by area
    np.testing.assert_allclose(mixed_labels.sum(axis=1), 1.0, atol=1e-6)


def test_the_cut_mix_preview_pastes_the_second_photo_and_says_how_much_of_it():
    red, blue = np.zeros((30, 40, 3), np.uint8), np.zeros((30, 40, 3), np.uint8)
    red[..., 0], blue[..., 2] = 200, 200
    pictures, shares = augment.cut_mix_grid(red, blue, Augmentation(flip=True), 20, seed=3, share=1.0)
    assert len(pictures) == len(shares) == 9
    for picture, share in zip(pictures, shares):
        assert picture.shape == (20, 20, 3) and picture.dtype == np.uint8
        # A flip keeps a plain colour plain: each pixel is the photo's red or the second photo's blue.
        second = (picture[..., 2] == 200) & (picture[..., 0] == 0)
        assert np.all(second | (picture[..., 0] == 200))
        assert second.mean() == pytest.approx(share, abs=1e-6)
    assert 0 < np.mean(shares) < 1 and len(set(shares)) > 1  # boxes of several sizes
    again, _ = augment.cut_mix_grid(red, blue, Augmentation(flip=True), 20, seed=3, share=1.0)
    np.testing.assert_array_equal(np.stack(pictures), np.stack(again))
    unmixed, none = augment.cut_mix_grid(red, blue, Augmentation(flip=True), 20, seed=3, share=0.0)
    assert none == [0.0] * 9 and all((picture[..., 0] == 200).all() for picture in unmixed)
