"""Knowledge distillation: networks trained before teach a new one with their averaged answers.

Two networks trained alike are wrong on different photos, and the average of their answers is right
more often than either (model card: two runs, 88.2 and 88.4 %, averaged 90.1 %). Shipping several
networks would not fit the shipped model's 10 MB, so their average is taught to one network instead:
each training photo's target becomes a mix of its true label and the teachers' averaged class
probabilities, which also say how much a rose looks like a tulip.

The teachers answer once per photo, before training, on the photo as the model is served (not on
each augmented view): a few seconds a network on 2 cores, where answering every batch would double
the cost of each training step.
"""

from __future__ import annotations

import numpy as np


def teacher_answers(paths, pixels: np.ndarray) -> np.ndarray:
    """The teachers' averaged class probabilities for `pixels` ((N, size, size, 3) uint8, at the
    teachers' input size), as an (N, classes) float32 array."""
    from flower_demo import evaluation, serving

    answers = [evaluation.score(serving.load_model(path), pixels) for path in paths]
    return np.mean(answers, axis=0).astype(np.float32)


def soft_targets(labels: np.ndarray, answers: np.ndarray, teacher_weight: float) -> np.ndarray:
    """Each photo's target: (1 - teacher_weight) of its one-hot true label plus teacher_weight of the
    teachers' answers. Rows sum to 1."""
    one_hot = np.eye(answers.shape[1], dtype=np.float32)[labels]
    return ((1 - teacher_weight) * one_hot + teacher_weight * answers).astype(np.float32)
