"""Evaluating a brought model whose input size no preset trains at (issue 33): only the photos it scores
are decoded, a batch at a time, nothing is cached for that size, and the answer is the cached path's."""

from __future__ import annotations

import numpy as np
import pytest

from flower_demo import config, recipes
from flower_demo.data import images, photo_cache
from flower_demo.look import evaluation
from flower_demo.model import model_cost, serving
from tests.test_results import tiny_network

ODD_SIZE = 40  # no preset trains at it


def test_the_cached_sizes_are_the_presets_and_the_tutorials():
    assert evaluation.cached_sizes() == {config.TUTORIAL_IMAGE_SIZE,
                                         *(preset.image_size for preset in recipes.PRESETS.values())}
    assert ODD_SIZE not in evaluation.cached_sizes()


@pytest.mark.parametrize("subset, max_photos", [("validation", None), ("validation", 5), ("training", 7),
                                                ("all", None)])
def test_an_odd_size_gives_the_cached_paths_answer_without_caching_that_size(
        make_flower_folder, monkeypatch, tmp_path, subset, max_photos):
    folder = make_flower_folder("photos", per_class=8)  # with roses/broken.jpg, which neither path can read
    monkeypatch.setenv(config.CACHE_ENV, str(tmp_path / "cache"))
    network = tiny_network(ODD_SIZE)
    with monkeypatch.context() as patch:  # neither a memory nor a disk cache entry: load_photos is not called
        patch.setattr(photo_cache, "load_photos", lambda *args, **kwargs: pytest.fail("decoded the whole folder"))
        as_decoded = evaluation.evaluate_folder(network, folder, subset, max_photos=max_photos, batch_size=4)
    assert not list(config.cache_dir().glob(f"photos-*-{ODD_SIZE}px.npz"))

    monkeypatch.setattr(evaluation, "cached_sizes", lambda: frozenset({ODD_SIZE}))
    cached = evaluation.evaluate_folder(network, folder, subset, max_photos=max_photos, batch_size=4)
    assert list(config.cache_dir().glob(f"photos-*-{ODD_SIZE}px.npz"))  # the cached path did cache it
    assert as_decoded.files == cached.files and as_decoded.photos == (max_photos or cached.available)
    np.testing.assert_array_equal(as_decoded.labels, cached.labels)
    np.testing.assert_allclose(as_decoded.probabilities, cached.probabilities, rtol=1e-6, atol=1e-7)
    assert (as_decoded.available, as_decoded.skipped, as_decoded.class_names, as_decoded.root) == (
        cached.available, cached.skipped, cached.class_names, cached.root)
    assert cached.skipped == ("roses/broken.jpg",)


def test_an_odd_size_decodes_only_the_photos_it_scores_once_the_folder_is_known(make_flower_folder, monkeypatch):
    folder = make_flower_folder("photos", per_class=8)
    network = tiny_network(ODD_SIZE)
    evaluation.evaluate_folder(network, folder, max_photos=3)  # learns which of the 41 files decode
    opened = []
    original = images.load_image
    monkeypatch.setattr(images, "load_image", lambda source: opened.append(source) or original(source))
    monkeypatch.setattr(photo_cache, "load_photos", lambda *args, **kwargs: pytest.fail("decoded the whole folder"))
    result = evaluation.evaluate_folder(network, folder, max_photos=3)
    assert result.photos == 3 and len(opened) == 3


def test_scoring_batches_hold_at_most_the_evaluation_activation_budget(make_flower_folder, monkeypatch):
    folder = make_flower_folder("photos", per_class=8, broken=False)
    batches = []
    original = serving.batch_probabilities
    monkeypatch.setattr(serving, "batch_probabilities",
                        lambda network, pixels: batches.append(len(pixels)) or original(network, pixels))
    network = tiny_network(ODD_SIZE)
    monkeypatch.setattr(config, "EVALUATION_BATCH_ACTIVATION_BYTES", 3 * model_cost.measure(network).activation_bytes)
    result = evaluation.evaluate_folder(network, folder, "all", batch_size=64)
    assert max(batches) == 3 and sum(batches) == result.photos == 40
    batches.clear()
    monkeypatch.setattr(evaluation, "cached_sizes", lambda: frozenset({ODD_SIZE}))
    evaluation.evaluate_folder(network, folder, "all", batch_size=64)
    assert max(batches) == 3  # the cached path too
    batches.clear()
    monkeypatch.setattr(config, "EVALUATION_BATCH_PIXELS", 5 * ODD_SIZE * ODD_SIZE)  # the pixels' cap binds
    monkeypatch.setattr(config, "EVALUATION_BATCH_ACTIVATION_BYTES", 10**12)
    evaluation.evaluate_folder(network, folder, "all", batch_size=64)
    assert max(batches) == 5


def test_a_folder_where_nothing_decodes_is_refused_as_the_cached_path_refuses_it(tmp_path):
    from flower_demo.errors import DatasetError

    for name in config.CLASS_NAMES:
        (tmp_path / "photos" / name).mkdir(parents=True)
        (tmp_path / "photos" / name / "broken.jpg").write_bytes(b"not a picture")
    with pytest.raises(DatasetError) as raised:
        evaluation.evaluate_folder(tiny_network(ODD_SIZE), tmp_path / "photos")
    assert raised.value.key == "error_no_photos"
