"""Sharpness-aware minimisation (SAM; Foret et al., 2021): each step's gradient is taken where the
loss is highest within a small ball around the weights, so training prefers a wide, flat valley to a
narrow one, and a flat valley tends to hold for photos the network never saw.

One step is two forward and backward passes: the gradient g at the weights w, then the gradient at
w + radius * g / |g|, which the optimizer applies to w. Batch norm's running averages keep the first
pass's update only (the second pass looks at weights that are never kept), as the reference code does.
Training only: `plain` hands the trained network back as an ordinary functional model, so the saved
file is the same kind of file as any other run's and loads with safe_mode=True.
"""

from __future__ import annotations

import functools


def sharpness_aware_model(inputs, outputs, radius: float, name: str):
    """A functional model of `inputs` to `outputs` whose `fit` takes SAM steps of `radius`."""
    model = _sharpness_aware()(inputs, outputs, name=name)
    model.radius = float(radius)
    return model


def plain(model):
    """`model` as an ordinary functional model (the same layers and weights): a SAM model's training
    step is not part of the network, and a saved file must not need this module to load."""
    import keras

    if not isinstance(model, _sharpness_aware()):
        return model
    return keras.Model(model.input, model.output, name=model.name)


@functools.cache  # one class, defined when first used: importing this module needs no Keras
def _sharpness_aware():
    import keras
    import tensorflow as tf

    class SharpnessAware(keras.Model):
        def train_step(self, data):
            x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
            weights = self.trainable_weights
            with tf.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=True)
            gradients = tape.gradient(loss, weights)
            scale = self.radius / (tf.linalg.global_norm(gradients) + 1e-12)
            steps = [gradient * scale for gradient in gradients]
            running = [variable for layer in self.layers if isinstance(layer, keras.layers.BatchNormalization)
                       for variable in (layer.moving_mean, layer.moving_variance)]
            kept = [tf.identity(variable.value) for variable in running]
            for variable, step in zip(weights, steps):
                variable.assign_add(step)
            with tf.GradientTape() as tape:
                perturbed = self.compute_loss(x=x, y=y, y_pred=self(x, training=True), sample_weight=sample_weight,
                                              training=True)
            gradients = tape.gradient(perturbed, weights)
            for variable, step in zip(weights, steps):
                variable.assign_sub(step)
            for variable, value in zip(running, kept):
                variable.assign(value)
            self.optimizer.apply(gradients, weights)
            for metric in self.metrics:  # the loss and accuracy of the weights as they were, as fit reports them
                if metric.name == "loss":
                    metric.update_state(loss)
            return self.compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    return SharpnessAware
