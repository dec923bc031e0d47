"""The server's settings: where things are, and every limit the app and the command line enforce, each
with the reason it has that value. The training recipes (the presets) are in flower_demo/recipes.py.
"""

from __future__ import annotations

import os
from pathlib import Path

# The tutorial's dataset: folder names in alphabetical order are the class indices, exactly as
# `image_dataset_from_directory` assigns them, so saved models output scores in this order.
CLASS_NAMES = ("daisy", "dandelion", "roses", "sunflowers", "tulips")
# Any other dataset (a class's own photos, a teacher's folder): its class folders' names, in the same
# sorted order. Two is the least a classifier needs; ten keeps a 10x10 confusion matrix readable on a
# phone and a class's webcam session short (10 classes x ~30 photos). A model's names travel inside its
# .keras file (flower_demo/model/model_classes.py); a five-output file without them is a flower model.
MIN_CLASSES, MAX_CLASSES = 2, 10
# A class name, once trimmed: at least one character, at most what a confusion matrix's row and a
# Classify label show whole at 12 px on a phone ("Hojas de roble (Quercus)" is 24). Any script.
MAX_CLASS_NAME_CHARS = 30
DATASET_URL = "https://storage.googleapis.com/download.tensorflow.org/example_images/flower_photos.tgz"
DATA_DIR_ENV = "FLOWER_DATA_DIR"
WEBCAM_ENV = "FLOWER_WEBCAM"  # "0": a teacher turns every tab's webcam capture off (students' faces)
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif")  # what image_dataset_from_directory reads

# The tutorial's loader settings: 80/20 split with seed 123, 180x180, batches of 32.
TUTORIAL_IMAGE_SIZE = 180
TUTORIAL_BATCH_SIZE = 32
SPLIT_SEED = 123
VALIDATION_SPLIT = 0.2

ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets"
SHIPPED_MODEL_PATH = ASSETS_DIR / "flower_cnn.keras"
# The Classify tab's default model is the shipped one unless this names another .keras file (a
# teacher's own `train --out` file, or a recipe's validation-split model to measure serving with).
CLASSIFIER_ENV = "FLOWER_MODEL_PATH"


def classifier_path() -> Path:
    """Read when used (the shipped model loads on its first use), so a test can set it in-process."""
    return Path(os.environ.get(CLASSIFIER_ENV) or SHIPPED_MODEL_PATH)


# A Ray cluster to train on (flower_demo/train/cluster.py), e.g. "ray://head:10001"; unset, the app trains
# in its own process. Read when used, so a test or a teacher can change it without a restart.
RAY_ADDRESS_ENV = "FLOWER_RAY_ADDRESS"


def ray_address() -> str | None:
    return os.environ.get(RAY_ADDRESS_ENV) or None


# Decoded, resized photos (one .npz per folder fingerprint and size) and the downloaded archive are kept
# here between runs. Read when used, like the two above.
CACHE_ENV = "FLOWER_CACHE_DIR"


def cache_dir() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "flower_demo")


# The decoded photos kept between runs (uint8, 2,934 photos x size² x 3 bytes: 36 MB at 64 px, 285 MB at
# 180 px, 381 MB at 208 px, 2.3 GB at 512 px). On disk: every size the presets train at (32-208 px,
# 1.18 GB together) and one more of up to ~190 px; a further size evicts the least recently used file,
# and a size larger than the whole budget is decoded each time rather than written.
PHOTO_CACHE_DISK_BYTES = 1_500_000_000
# In memory, shared by every student: the live preset's three sizes (65 MB), the shipped model's 208 px
# (381 MB) and the tutorial's 180 px (285 MB) fit together; a brought model's own size replaces the least
# recently used instead of adding up to 2.3 GB to a server that must stay under 3 GB.
PHOTO_CACHE_MEMORY_BYTES = 800_000_000
PHOTO_CACHE_MEMORY_ENTRIES = 8  # the eight sizes the presets train at; a small folder's sizes cost little
# A temporary file named as before writers put their process id in it is left by a crash once it is this
# old: a cache write takes seconds, a dataset download a few minutes.
STALE_TEMPORARY_SECONDS = 3600

# A session's own photos (flower_demo/data/own_photos.py): kept in memory only, never on disk or in the
# caches above. Each photo is kept fitted within this many pixels a side, aspect kept: a 640x480 webcam
# photo becomes 256x192 (147 KB as uint8 RGB), so 300 of them take 44 MB, under the 60 MB a session may
# cost; 256 is also the largest input a model may take (MAX_MODEL_INPUT), so nothing is ever upscaled.
OWN_PHOTO_SIDE = 256
# About 30 webcam photos a class is the lesson's size; 300 a class and 1,000 a session leave room for a
# teacher's prepared set (10 classes x 100) and keep a training run on 2 cores within seconds an epoch.
OWN_MAX_PER_CLASS = 300
OWN_MAX_PER_SESSION = 1000
# The stored arrays of one session: 1,000 photos of 4:3 (147 KB each) take 141 MiB; square ones (196 KB)
# stop at ~800 photos. Counted as the arrays' bytes, which is what the server holds.
OWN_MAX_SESSION_BYTES = 150 * 1024 * 1024
# All sessions' own photos together. The server's 4 GB: the flowers kept decoded (0.8 GB,
# PHOTO_CACHE_MEMORY_BYTES), the sessions' models (1 GB, SESSION_MODELS_BUDGET_BYTES), TensorFlow and the
# app (~0.7 GB) leave ~1.5 GB: 30 students with 300 webcam photos each (30 x 44 MB = 1.3 GB) fit without
# anyone's photos dropped; a class with teachers' larger sets drops the least recently used first.
OWN_PHOTOS_SERVER_BYTES = 1536 * 1024 * 1024
# A session's photos untouched this long are dropped: the app's gr.State values live as long (3600 s).
OWN_PHOTOS_IDLE_S = 3600
# Fewer photos than this in a class and the summary warns: with a validation fifth of 10 photos, two
# photos decide the class's validation accuracy, and the network learns little from the eight others.
OWN_FEW_PHOTOS = 10
# The summary warns when the largest class has more than this many times the smallest's photos: the
# network then scores well by answering the large class, and the accuracy curve hides it.
OWN_UNBALANCED_RATIO = 3
# A zip of class folders (a teacher's prepared set): JPEGs barely compress, so 100 MB holds ~1,000 phone
# photos scaled for the web or ~3,000 webcam ones; more entries than 1,500 (the session's 1,000 photos and
# some other files) cannot be stored anyway. Counted: the files in class folders, not macOS's "__MACOSX"
# copies or dotfiles (a Mac's zip of 700 photos has ~1,400 entries with them).
OWN_ZIP_MAX_BYTES = 100 * 1024 * 1024
OWN_ZIP_MAX_ENTRIES = 1500
# What the members read from a zip may inflate to, counted by their declared sizes before any is read
# (a member never gives more than it declares): photos compress little (JPEG 1:1, PNG 1-2:1, BMP 2-4:1),
# so 4x the zip's limit takes any real set, and inflating it costs ~1 s; a zip bomb of 1,500 members of
# 10 MB of zeros (15 GB from a 15 MB file) is refused before a byte is inflated.
OWN_ZIP_MAX_UNPACKED_BYTES = 4 * OWN_ZIP_MAX_BYTES
# A student's file is deleted from Gradio's upload folder this long after it is read, not at once:
# Gradio keeps identical uploads (a teacher's zip sent by the whole class) at one path, and a queued
# handler of another student may still have to read it (flower_demo/server/uploads.py).
OWN_UPLOAD_GRACE_S = 300

# Server-side limits: a slider's range is only a hint, these are enforced on every call.
MAX_EPOCHS_APP = 30  # ~30 live epochs is minutes on 2 cores; more would hold the training slot too long
MAX_TRAIN_SECONDS_APP = 600  # one student may hold the (single) training slot for at most 10 minutes
MIN_IMAGE_SIZE, MAX_IMAGE_SIZE = 32, 224  # below 32 three poolings leave nothing; above 224 is slow
MIN_BATCH_SIZE, MAX_BATCH_SIZE = 4, 128
MIN_LEARNING_RATE, MAX_LEARNING_RATE = 1e-5, 0.1
MIN_VALIDATION_SPLIT, MAX_VALIDATION_SPLIT = 0.05, 0.5
MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # a phone photo is 2-6 MB; Gradio refuses bigger uploads itself
MAX_KERNEL_SIDE = 1024  # the Kernels tab convolves photos up to this many pixels a side at full size
MAX_DECODED_PIXELS = 40_000_000  # larger claims are decompression bombs, refused before decoding
# Nothing larger is decoded at full size: a 77 KB 16-bit PNG of 39.7 MP cost ~1 GB a request (issue 33).
# 16 MP still takes a phone's 12 MP photo whole; every tab shrinks a picture to 1024 px a side anyway.
# A larger JPEG is decoded at 1/2, 1/4 or 1/8 scale (libjpeg's DCT scaling, cheaper than a full decode);
# a larger picture of another format is refused (PNG, GIF and BMP have no reduced decode).
MAX_FULL_DECODE_PIXELS = 16_000_000
# `python app.py` opens its port once TensorFlow, the shipped model and their graphs are loaded
# (~3-4 s more on 2 cores), so the first answers of a class that clicks the moment the page appears
# are as fast as the later ones (benchmarks/startup.py). A machine slower than this opens the page
# anyway, and the Classify and Augmentation buttons say that the model is still loading.
READY_BEFORE_PAGE_S = 60
CURVE_UPDATE_SECONDS = 0.5  # the live plots refresh about twice a second, whatever the batch rate

# The live app's policy for the Training and Compare tabs (the command line trains what it is told).
TRAINING_WAITING = 40  # runs at once in the training event: those with a slot train, the rest see their place
COMPARISONS_WAITING = 40  # comparisons in the event at once: those with a training slot train, others wait
LINE_STATUS_SECONDS = 1.0  # a student waiting in line sees their place and wait refreshed this often
COMPARISON_CHART_SECONDS = 5.0  # a comparison redraws its chart at most this often (and at each epoch's end)
COMPARISON_RUNS_SHOWN = 4  # runs overlaid when the history changes: more lines than that blur on a projector

# Evaluation, comparing runs, models in and out.
MAX_EVALUATION_PHOTOS = 1000  # the tutorial's validation side is 586 photos; a bigger folder is sampled
# What one evaluation batch's activations may add up to (every operation's output, as model_cost.measure
# counts them): 32 photos of the shipped model (37.8 MB each), 16 of the costliest brought model allowed,
# whatever its picture size. Scoring the shipped model's 586 validation photos then peaks ~280 MB above
# its decoded photos, against ~490 MB at 64 a batch, and is no slower on 2 cores.
EVALUATION_BATCH_ACTIVATION_BYTES = 32 * 37_801_976
# ... and the pixels it may hold: 64 photos at the tutorial's 180 px, 7 at 512 px. A thin network's
# activations are small, but its input is copied several times over (uint8, float32, oneDNN's layout):
# 64 photos at 512 px peaked at 1.25 GB for a 137-weight model, 7 at 181 MB.
EVALUATION_BATCH_PIXELS = 64 * 180 * 180
MAX_RUNS_KEPT = 20  # runs a session remembers (settings and curves only, a few KB each; never the models)
COMPARISON_EPOCHS = 5  # seed then seed_augmented: ~3 min each at 180 px on 2 cores, gap already visible
COMPARISON_MAX_EPOCHS = 8  # both runs together stay inside MAX_TRAIN_SECONDS_APP (~35 s per seed epoch)
# A model a student brings: the largest the app itself trains (the tutorial's network at 224 px,
# 6.4 M parameters, ~26 MB as .keras) fits; the server refuses anything bigger before reading it.
MAX_MODEL_BYTES = 32 * 1024 * 1024
# A .keras is a zip, and float weights barely compress: MAX_MODEL_PARAMETERS float32 weights (32 MB)
# with HDF5's bookkeeping and a config of at most 1 MB fit in this once unpacked.
MAX_MODEL_UNPACKED_BYTES = 40 * 1024 * 1024
# A brought model's cost, measured before it runs for anyone (flower_demo/model/model_cost.py), is held close
# to the shipped model's, so one student's file cannot slow the class or fill the server. The shipped
# flower_cnn (mirror average at 208 px): 1.35 GFLOP and 37.8 MB of activations a picture, 2.23 M weights;
# the app's own largest networks (the tutorial's at 224 px: 0.29 GFLOP, 6.45 M weights) fit too.
MAX_MODEL_FLOPS = 2 * 1_354_072_948  # per picture: at most twice the shipped model's time per answer
MAX_MODEL_ACTIVATION_BYTES = 2 * 37_801_976  # per picture, every intermediate output added up
MAX_MODEL_PARAMETERS = 8_000_000  # 32 MB of float32 weights: the tutorial's network at 224 px with room
# Square input sides a brought model may have: 256 covers the app's sizes (up to 224) and the usual
# 224/256 of Keras examples; larger ones cost more arithmetic and a decode of every photo at that size.
MIN_MODEL_INPUT, MAX_MODEL_INPUT = 32, 256
# The sessions' own models together (flower_demo/server/session_models.py): past this, the least recently used
# other session's model is freed. Without a cap 229 uploads took the server from 0.8 to 8.4 GB (issue 33).
# 1 GB holds ~28 students' live models or largest brought ones (~36 MB each as counted below), ~12 of the
# tutorial's seed network trained here (~84 MB with Adam's slots). 60 students each bringing a 31.5 MB
# model: the server peaked at 2.7 GB with 30 of them kept, 3.4 GB without a cap (2 cores, AMX/bf16).
SESSION_MODELS_BUDGET_BYTES = 1024 * 1024 * 1024
# Models one session keeps to choose from (its latest and two before it, or a brought one): enough to set
# a run beside the one before; the budget drops older ones (other students' first) before anyone's latest.
SESSION_MODELS_PER_SESSION = 3
# What a model costs beyond its weights, measured as resident memory held per model (8-16 at once, after
# classify, feature maps and Grad-CAM): a brought 0.5 MB model 2.5 MB, a 31.5 MB one 31.5 MB; trained
# here, a live model (0.4 MB of weights) 24 MB and a seed one (16 MB, 32 MB of Adam's slots) 85 MB.
SESSION_MODEL_GRAPH_BYTES = 4 * 1024 * 1024  # its traced serving graphs (counted for every model)
SESSION_MODEL_TRAINING_BYTES = 32 * 1024 * 1024  # its training graphs (a model trained here keeps them)
# A freed model's weights go only with a full garbage collection (a Keras model is a web of cycles),
# which holds every thread (0.1-0.8 s with TensorFlow loaded, ~0 after warm_up's gc.freeze): one a second
# at most, for a burst of drops.
SESSION_MODELS_COLLECT_AFTER_S = 1.0


def webcam_enabled() -> bool:
    """Whether the tabs offer webcam capture (FLOWER_WEBCAM=0, false, no or off turns it off)."""
    return os.environ.get(WEBCAM_ENV, "1").strip().lower() not in ("0", "false", "no", "off")
