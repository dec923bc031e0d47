"""The shared core of the CNN classroom app: data, models, kernels, augmentation, training, plots.

Nothing here imports gradio, and TensorFlow is imported lazily inside the functions that need it.
"""

import os

from flower_demo import workarounds

workarounds.turn_on_onednn()  # before TensorFlow is first imported, wherever the core is used from
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # hide the CUDA-not-found noise on CPU machines
