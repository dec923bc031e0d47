"""The shared core of the CNN classroom app: data, models, kernels, augmentation, training, plots.

Nothing here imports gradio, and TensorFlow is imported lazily inside the functions that need it.
"""

import os

# TensorFlow turns oneDNN on by itself only on some Intel CPUs; on this project's 2-core AMD machines
# it makes a training step 2-2.5x faster (measured: the tutorial's CNN at 180 px, 0.71 s -> 0.29 s per
# batch). Set before TensorFlow is first imported; an explicit setting in the environment wins.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # hide the CUDA-not-found noise on CPU machines
