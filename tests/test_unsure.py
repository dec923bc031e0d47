"""Issue 23: Classify calls an answer unsure below serving.UNSURE_BELOW, checked with the shipped model on
pictures that are no flower (generated, and the photos installed packages ship) and, where the dataset
is on this machine, on real flower photos (benchmarks/unsure_threshold.py measures the same at length)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from tests.non_flowers import generated, packaged
from flower_demo import config
from flower_demo.data import images, photo_index
from flower_demo.model import serving

REAL_PHOTOS = Path(os.environ.get("FLOWER_REAL_PHOTOS", Path(__file__).resolve().parent.parent.parent
                                  / "shared" / "flower_photos"))

pytestmark = pytest.mark.skipif(not config.classifier_path().exists(), reason="no shipped model")


def test_the_rule_is_the_top_probability():
    assert serving.is_unsure(np.array([0.59, 0.2, 0.1, 0.06, 0.05]))
    assert not serving.is_unsure(np.array([0.6, 0.2, 0.1, 0.06, 0.04]))
    assert serving.is_unsure(np.full(5, 0.2))  # a shrug: every class equally likely


@pytest.mark.slow
def test_many_pictures_that_are_no_flower_are_called_unsure():
    network = serving.shipped_model()
    unsure = {}
    for kind, name, picture in [*generated(), *packaged()]:
        unsure[name] = serving.is_unsure(serving.predict_probabilities(network, picture))
    share = np.mean(list(unsure.values()))
    # Measured: 37 % of 124 with v12, 38 % with v7 (a grey square stays a confident dandelion: hence the
    # five-class explanation).
    assert 0.3 <= share <= 0.5, share
    assert unsure["grace_hopper.jpg"] and unsure["text 'HOLA'"]
    assert sum(unsure[name] for name in unsure if name.startswith("text")) >= 4  # words: 4 of 8 (v7: 7)


@pytest.mark.slow
@pytest.mark.skipif(not REAL_PHOTOS.is_dir(), reason="the flower photos are not on this machine")
def test_most_real_flower_photos_are_not():
    network = serving.shipped_model()
    index = photo_index.index_photos(REAL_PHOTOS)
    sample = index.paths[::20]  # ~150 photos of every class
    tops = [float(serving.predict_probabilities(network, images.load_image(path)).max()) for path in sample]
    share = np.mean([top < serving.UNSURE_BELOW for top in tops])
    # Measured on every other photo: 1.4 % with v12, 11.7 % with v7 (it trained on them: optimistic).
    assert share <= 0.2, share
