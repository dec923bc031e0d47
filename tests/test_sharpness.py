"""flower_demo.sharpness: SAM's step against a NumPy reference, batch norm's running averages, and a
run with it that saves an ordinary file."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from flower_demo import config, networks, serving, sharpness
from flower_demo.training import TrainingRun


def _linear_gradients(x, y, weights, bias):
    """Mean squared error of x @ weights + bias, and its gradients, by hand."""
    residual = x @ weights + bias - y
    scale = 2 / residual.size
    return scale * x.T @ residual, scale * residual.sum(axis=0)


def _fit_one_step(model, x, y, rate):
    import keras

    model.compile(optimizer=keras.optimizers.SGD(rate), loss="mse")
    model.fit(x, y, batch_size=len(x), epochs=1, shuffle=False, verbose=0)


@pytest.mark.parametrize("radius", [0.0, 0.5])
def test_a_step_descends_the_gradient_taken_uphill_by_the_radius(radius):
    import keras

    rng = np.random.RandomState(0)
    x, y = rng.randn(8, 4).astype(np.float32), rng.randn(8, 3).astype(np.float32)
    weights, bias = rng.randn(4, 3).astype(np.float32), rng.randn(3).astype(np.float32)
    inputs = keras.Input((4,))
    dense = keras.layers.Dense(3)
    model = sharpness.sharpness_aware_model(inputs, dense(inputs), radius, name="linear")
    dense.set_weights([weights, bias])

    _fit_one_step(model, x, y, rate=0.1)

    # Foret et al.'s step: the gradient at w + radius * g / |g| (one norm over every weight), applied at w.
    g_weights, g_bias = _linear_gradients(x, y, weights, bias)
    norm = np.sqrt((g_weights ** 2).sum() + (g_bias ** 2).sum())
    uphill = _linear_gradients(x, y, weights + radius * g_weights / norm, bias + radius * g_bias / norm)
    expected = [weights - 0.1 * uphill[0], bias - 0.1 * uphill[1]]
    for got, want in zip(dense.get_weights(), expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    if radius:  # not the ordinary step
        assert not np.allclose(dense.get_weights()[0], weights - 0.1 * g_weights, atol=1e-3)


def test_batch_norm_keeps_the_running_averages_of_the_weights_it_keeps():
    import keras

    rng = np.random.RandomState(1)
    x, y = rng.randn(16, 4).astype(np.float32), rng.randn(16, 2).astype(np.float32)
    inputs = keras.Input((4,))
    first = keras.layers.Dense(3)
    norm = keras.layers.BatchNormalization(momentum=0.9)
    model = sharpness.sharpness_aware_model(inputs, keras.layers.Dense(2)(norm(first(inputs))), 0.5, name="bn")
    features = x @ first.get_weights()[0] + first.get_weights()[1]  # before the step, as the first pass sees them

    _fit_one_step(model, x, y, rate=0.1)

    # One update from the first pass only (a second one, at the perturbed weights, would move them again).
    np.testing.assert_allclose(norm.moving_mean.numpy(), 0.1 * features.mean(axis=0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(norm.moving_variance.numpy(), 0.9 + 0.1 * features.var(axis=0), rtol=1e-5, atol=1e-6)


def test_a_run_with_it_saves_an_ordinary_file(flower_folder, tmp_path):
    import keras

    train_config = dataclasses.replace(config.PRESETS["flower_cnn"], image_size=40, progressive_sizes=(32,), epochs=2,
                                       batch_size=8, validation_split=0.2, sam_radius=0.05)
    state = TrainingRun(train_config, data_dir=flower_folder).run()
    assert state.phase == "finished", (state.error_key, state.error_detail)
    assert all(np.isfinite(row["loss"]) and 0 <= row["accuracy"] <= 1 for row in state.history)

    assert type(networks.unwrap(state.model)).__name__ == "Functional"  # the training step stays behind
    path = tmp_path / "sam.keras"
    serving.save_model(state.model, path)
    loaded = keras.models.load_model(path, safe_mode=True)  # plain Keras, nothing of this project's
    pixels = np.random.RandomState(2).randint(0, 256, (3, 40, 40, 3)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(loaded(pixels)), np.asarray(state.model(pixels)), rtol=1e-5, atol=1e-5)

