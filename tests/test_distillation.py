"""flower_demo.distillation: teachers' averaged answers as training targets."""

from __future__ import annotations

import dataclasses

import numpy as np

from flower_demo import config, distillation, networks, photo_cache, serving
from flower_demo.pipeline import make_datasets
from flower_demo.training import TrainingRun


def _teacher(tmp_path, seed: int) -> str:
    import keras

    keras.utils.set_random_seed(seed)
    train_config = dataclasses.replace(config.PRESETS["live"], image_size=32, progressive_sizes=())
    path = tmp_path / f"teacher{seed}.keras"
    serving.save_model(networks.build_model(train_config), path)
    return str(path)


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def test_teacher_answers_average_each_teachers_probabilities(tmp_path):
    paths = [_teacher(tmp_path, 1), _teacher(tmp_path, 2)]
    pixels = np.random.RandomState(0).randint(0, 256, (70, 32, 32, 3)).astype(np.uint8)  # more than one batch
    expected = np.mean([_softmax(np.asarray(serving.load_model(path).predict(pixels.astype(np.float32), verbose=0)))
                        for path in paths], axis=0)
    answers = distillation.teacher_answers(paths, pixels)
    assert answers.shape == (70, 5) and answers.dtype == np.float32
    np.testing.assert_allclose(answers, expected, atol=1e-5)


def test_soft_targets_mix_the_label_and_the_answers():
    answers = np.array([[0.5, 0.5, 0, 0, 0], [0, 0, 0, 0.2, 0.8]], np.float32)
    targets = distillation.soft_targets(np.array([0, 4]), answers, teacher_weight=0.7)
    np.testing.assert_allclose(targets, [[0.65, 0.35, 0, 0, 0], [0, 0, 0, 0.14, 0.86]], atol=1e-6)


def test_a_taught_run_trains_on_the_teachers_answers(tmp_path, flower_folder):
    teachers = (_teacher(tmp_path, 1), _teacher(tmp_path, 2))
    train_config = dataclasses.replace(config.PRESETS["live"], image_size=32, progressive_sizes=(), epochs=1,
                                       batch_size=8, teachers=teachers, teacher_weight=1.0)
    photos = photo_cache.load_photos(flower_folder, 32)
    train, _, _, _ = make_datasets(photos, train_config)
    (x_train, _), _ = photo_cache.split(photos, train_config.validation_split, train_config.split_seed)
    expected = distillation.teacher_answers(teachers, x_train)
    targets = np.concatenate([np.asarray(y) for _, y in train])
    # The same rows in the shuffled order: compare them as sorted lists of rows.
    def rows(array):
        return sorted(map(tuple, np.round(array, 4)))
    assert rows(targets) == rows(expected)

    state = TrainingRun(train_config, data_dir=flower_folder).run()
    assert state.phase == "finished" and np.isfinite(state.history[0]["loss"])
