"""Where a run trains: on the Ray cluster when one is configured (FLOWER_RAY_ADDRESS), else in this
process. The Training and Compare tabs ask here; neither knows which it got (both have `stream()`,
`stop()` and `stopping`)."""

from __future__ import annotations

from typing import Callable

from flower_demo import config
from flower_demo.recipes import TrainConfig


def new_run(train_config: TrainConfig, max_seconds: float | None = None, device: str = "cpu",
            before_batch: Callable[[], object] | None = None, photos=None):
    """A run of `train_config` where this app trains.

    `before_batch` goes to a run in this process only: a machine of the cluster serves no requests,
    so there is nothing for its batches to wait for. `photos` (a session's own, already decoded) always
    train here: students' photos never leave the server that holds them.
    """
    if config.ray_address() and photos is None:
        from flower_demo.train.cluster import ClusterRun  # Ray is optional: imported only for a cluster

        return ClusterRun(train_config, max_seconds=max_seconds)
    from flower_demo.train.training import TrainingRun

    return TrainingRun(train_config, device=device, max_seconds=max_seconds, before_batch=before_batch, photos=photos)
