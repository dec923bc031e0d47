"""Measuring a model on labelled photos: accuracy, per class, the confusion matrix, and its mistakes.

An `Evaluation` keeps every photo's scores, so the matrix, any of its cells and the mistakes the
model was surest about all come from one pass over the photos.

Any 2-10 classes: the folder's class names must be the model's (serving.class_names), in its order.

Example:
    result = evaluate_folder(model, "flower_photos", subset="validation")
    result.confusion                   # K x K; rows: true class, columns: predicted, in class_names order
    result.cell(2, 4)                  # the roses taken for tulips, surest first
    result.confident_mistakes(12)      # the twelve photos it was surest about and wrong
"""

from __future__ import annotations

import dataclasses
import threading
import weakref
from pathlib import Path
from typing import Callable

import numpy as np

from flower_demo import config, errors, recipes
from flower_demo.data import classes, photo_cache, photo_index
from flower_demo.model import model_classes, model_cost, networks, serving

SUBSETS = ("all", "training", "validation")
Progress = Callable[[str, int, int], None]  # (stage: "loading" or "scoring", done, total)


class EvaluationError(errors.KeyedError, ValueError):
    """A model that cannot be scored on a folder; `key` names the message in flower_demo.i18n."""


@dataclasses.dataclass(frozen=True)
class Evaluation:
    """One model's scores on a set of labelled photos, photo by photo. Read-only: shared by sessions."""

    subset: str  # all, training or validation (the split training uses, seed 123 unless told)
    validation_split: float
    class_names: tuple[str, ...]
    labels: np.ndarray  # (n,) true class of each photo
    probabilities: np.ndarray  # (n, classes) the model's softmax for each photo
    files: tuple[str, ...]  # each photo's path relative to `root`
    root: str
    available: int  # photos in the subset; more than n when a cap left some out
    skipped: tuple[str, ...]  # files of the folder that could not be decoded
    # Each photo's row in the DecodedPhotos it was scored from (evaluate_photos: photos held in memory,
    # with no file to open again); None for an evaluation of a folder's files.
    rows: np.ndarray | None = None

    @property
    def photos(self) -> int:
        return len(self.labels)

    @property
    def predicted(self) -> np.ndarray:
        return self.probabilities.argmax(axis=1)

    @property
    def confidence(self) -> np.ndarray:
        """The probability of the predicted class, per photo."""
        return self.probabilities.max(axis=1)

    @property
    def confusion(self) -> np.ndarray:
        classes = len(self.class_names)
        matrix = np.zeros((classes, classes), np.int64)
        np.add.at(matrix, (self.labels, self.predicted), 1)
        return matrix

    @property
    def accuracy(self) -> float:
        return float((self.predicted == self.labels).mean()) if self.photos else 0.0

    @property
    def per_class_accuracy(self) -> np.ndarray:
        matrix = self.confusion
        return matrix.diagonal() / np.maximum(matrix.sum(axis=1), 1)

    def cell(self, true_class: int | None, predicted_class: int | None) -> np.ndarray:
        """Rows of the photos of `true_class` predicted as `predicted_class` (None: any), surest first.

        With either class None only mistakes are listed (a photo predicted as its own class is not
        one); with both given the cell is listed as it is, the diagonal's right answers included.
        """
        chosen = np.ones(self.photos, bool)
        if true_class is not None:
            chosen &= self.labels == true_class
        if predicted_class is not None:
            chosen &= self.predicted == predicted_class
        if true_class is None or predicted_class is None:
            chosen &= self.predicted != self.labels
        rows = np.flatnonzero(chosen)
        # Surest first; ties in file order, so a listing never changes between two calls.
        return rows[np.argsort(-self.confidence[rows], kind="stable")]

    def confident_mistakes(self, count: int) -> np.ndarray:
        """The `count` wrong photos the model was surest about, surest first."""
        return self.cell(None, None)[:count]

    def to_json(self) -> dict:
        """What the command line prints: photos, accuracy, per class, the matrix, skipped files."""
        return {
            "subset": self.subset,
            "photos": self.photos,
            "accuracy": round(self.accuracy, 4),
            "class_names": list(self.class_names),
            "per_class_accuracy": {name: round(float(value), 4)
                                   for name, value in zip(self.class_names, self.per_class_accuracy)},
            "confusion_matrix": self.confusion.tolist(),
            "skipped": list(self.skipped),
        }


def score(network, pixels: np.ndarray, batch_size: int = 64,
          before_batch: Callable[[], object] | None = None,
          progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """The network's class probabilities for decoded photos at its input size, batch by batch.

    `before_batch` runs before each batch (the app passes priority.PRIORITY.yield_to_requests, so
    a class's clicks are served first, as during training).
    """
    batch_size = max(1, int(batch_size))
    parts = []
    for start in range(0, len(pixels), batch_size):
        if before_batch:
            before_batch()
        parts.append(serving.batch_probabilities(network, pixels[start : start + batch_size]))
        if progress:
            progress(min(start + batch_size, len(pixels)), len(pixels))
    if not parts:
        return np.zeros((0, int(network.output_shape[-1])), np.float32)
    return np.concatenate(parts)


def evaluate_folder(network, data_dir, subset: str = "validation",
                    validation_split: float = config.VALIDATION_SPLIT, max_photos: int | None = None,
                    batch_size: int = 64, progress: Progress | None = None,
                    before_batch: Callable[[], object] | None = None,
                    split_seed: int = config.SPLIT_SEED) -> Evaluation:
    """Scores the decodable photos under `data_dir` (class folders) with `network`.

    Args:
        subset: `all`, or the `training` or `validation` side of the split training uses (split_seed),
            so a model is scored on exactly the photos it was validated on.
        validation_split: the split the model was trained with.
        split_seed: the seed of that split (TrainConfig.split_seed; the tutorial's 123 by default).
        max_photos: at most this many photos of the subset, taken in the split's shuffled order (a
            fair sample of every class); None for all.
        batch_size: photos scored at once; fewer when their activations or pixels would add up to
            more than config.EVALUATION_BATCH_ACTIVATION_BYTES or EVALUATION_BATCH_PIXELS.

    At the sizes in `cached_sizes()` the photos come from photo_cache; at any other size only the
    photos scored are decoded, a batch at a time, and the answer is the same.

    Raises:
        errors.DatasetError: no photos in the folder (or not 2-10 class folders).
        EvaluationError: `error_evaluation_classes` when the folder's classes are not the model's.
    """
    if subset not in SUBSETS:
        raise ValueError(f"Expected subset in {SUBSETS}. Received: {subset!r}")
    index = photo_index.index_photos(data_dir)
    check_classes(network, index.class_names)
    size = networks.input_size(network)
    batch_size = _batch_size(network, batch_size)
    loading = (lambda done, total: progress("loading", done, total)) if progress else None
    scoring = (lambda done, total: progress("scoring", done, total)) if progress else None
    if size not in cached_sizes():
        return _evaluate_as_decoded(network, index, size, subset, validation_split, split_seed, max_photos,
                                    batch_size, loading, scoring, before_batch)
    photos = photo_cache.load_photos(index.root, size, progress=loading, before_batch=before_batch)
    result = _evaluate_decoded(network, photos, subset, validation_split, split_seed, max_photos, batch_size,
                               scoring, before_batch)
    return dataclasses.replace(
        result, class_names=index.class_names, rows=None, root=str(index.root),
        files=tuple(str(index.paths[position].relative_to(index.root)) for position in photos.file_positions[result.rows]))


def check_classes(network, folder_names) -> None:
    """Refuses photos whose classes are not the model's: as many, and (when the model has names,
    model_classes.known) the same names in the same order. A photo of class 2 scored against a model
    whose output 2 is another class would make every number of the report wrong without a sign.

    Raises:
        EvaluationError: `error_evaluation_classes`, naming both lists.
    """
    folder_names = tuple(folder_names)
    count = model_classes.output_count(network)
    names = model_classes.known(network)
    if len(folder_names) != count or (names is not None and not classes.same(names, folder_names)):
        model_side = f"{count} classes" + (f" ({', '.join(names)})" if names is not None else "")
        raise EvaluationError("error_evaluation_classes",
                              f"Expected the model's {model_side}. "
                              f"Received: {len(folder_names)} ({', '.join(folder_names)})")


def _batch_size(network, asked: int) -> int:
    """`asked`, fewer when the batch's activations or pixels would pass the configured bounds."""
    size = networks.input_size(network)
    per_photo = model_cost.measure(network).activation_bytes
    return max(1, min(int(asked), config.EVALUATION_BATCH_ACTIVATION_BYTES // max(1, per_photo),
                      config.EVALUATION_BATCH_PIXELS // (size * size)))


def evaluate_photos(network, photos: photo_cache.DecodedPhotos, subset: str = "validation",
                    validation_split: float = config.VALIDATION_SPLIT, max_photos: int | None = None,
                    batch_size: int = 64, progress: Progress | None = None,
                    before_batch: Callable[[], object] | None = None,
                    split_seed: int = config.SPLIT_SEED) -> Evaluation:
    """`evaluate_folder` for photos already decoded at the model's input size (a session's own photos,
    held in memory only): the same split, checks and report. Each photo is known by its row in
    `photos` (Evaluation.rows; `files` names them "class/row"), as there is no file to open again.

    Raises:
        EvaluationError: `error_evaluation_classes` (not the model's classes), `error_setting` (photos
            of another size than the model's input).
    """
    if subset not in SUBSETS:
        raise ValueError(f"Expected subset in {SUBSETS}. Received: {subset!r}")
    check_classes(network, photos.class_names)
    size = networks.input_size(network)
    if photos.images.shape[1:3] != (size, size):
        raise EvaluationError("error_setting", f"Expected photos of {size}x{size} px, the model's input. "
                                               f"Received: {photos.images.shape[1]}x{photos.images.shape[2]} px")
    scoring = (lambda done, total: progress("scoring", done, total)) if progress else None
    result = _evaluate_decoded(network, photos, subset, validation_split, split_seed, max_photos,
                               _batch_size(network, batch_size), scoring, before_batch)
    return dataclasses.replace(result, files=tuple(f"{photos.class_names[photos.labels[row]]}/{row}"
                                                   for row in result.rows))


def _evaluate_decoded(network, photos: photo_cache.DecodedPhotos, subset: str, validation_split: float,
                      split_seed: int, max_photos: int | None, batch_size: int, scoring,
                      before_batch) -> Evaluation:
    """Scores the rows of `photos` that `subset` names (the split's shuffled order, capped); `files`
    and `root` are left for the caller to name."""
    if subset == "all":
        rows = np.arange(len(photos.labels))
    else:
        train_rows, val_rows = photo_cache.split_rows(photos, validation_split, split_seed)
        rows = val_rows if subset == "validation" else train_rows
    available = len(rows)
    if max_photos is not None:
        rows = rows[: max(0, int(max_photos))]
    probabilities = score(network, photos.images[rows], batch_size, before_batch, scoring)
    return Evaluation(
        subset=subset,
        validation_split=float(validation_split),
        class_names=tuple(photos.class_names),
        labels=photos.labels[rows],
        probabilities=probabilities,
        files=(),
        root="",
        available=available,
        skipped=photos.skipped,
        rows=np.asarray(rows, np.int64),
    )


def cached_sizes() -> frozenset[int]:
    """Input sizes scored from photo_cache: those the app's presets train at (so the whole folder is
    decoded at them anyway) and the tutorial's 180. A brought model of any other size would add a
    whole decoded copy of the folder (2.3 GB on disk and in memory at 512 px) for one evaluation."""
    return frozenset({config.TUTORIAL_IMAGE_SIZE, *(preset.image_size for preset in recipes.PRESETS.values())})


def _evaluate_as_decoded(network, index: photo_index.PhotoIndex, size: int, subset: str, validation_split: float,
                         split_seed: int, max_photos: int | None, batch_size: int, loading, scoring,
                         before_batch) -> Evaluation:
    """evaluate_folder's answer for a size the cache does not hold: only the photos scored are decoded
    at `size`, a batch at a time, and none is kept, so the peak is one batch whatever the folder.

    Which files decode is learnt once per folder (photo_cache.readable_files), so the rows, `available`
    and `skipped` are exactly those of the cached path.
    """
    readable = photo_cache.readable_files(index, loading, before_batch)
    if not readable.any():
        raise errors.DatasetError("error_no_photos", str(index.root))
    if subset == "all":
        positions = np.arange(len(index.paths))
    else:
        train_files, val_files = photo_index.split_positions(len(index.paths), validation_split, split_seed)
        positions = val_files if subset == "validation" else train_files
    positions = positions[readable[positions]]  # each side in the split's order, as split_rows gives it
    available = len(positions)
    if max_photos is not None:
        positions = positions[: max(0, int(max_photos))]
    scored, parts = [], []
    for start in range(0, len(positions), batch_size):
        batch = positions[start : start + batch_size]
        decoded = photo_cache.decode_files(index, batch, size, before_batch)
        # A file edited since readable_files looked may no longer decode: it is left out, not scored.
        kept = [(position, pixels) for position, pixels in zip(batch, decoded) if pixels is not None]
        if kept:
            scored.extend(position for position, _ in kept)
            parts.append(score(network, np.stack([pixels for _, pixels in kept]), batch_size, before_batch))
        if scoring:
            scoring(start + len(batch), len(positions))
    scored = np.asarray(scored, np.int64)
    return Evaluation(
        subset=subset,
        validation_split=float(validation_split),
        class_names=index.class_names,
        labels=index.labels[scored],
        probabilities=np.concatenate(parts) if parts else np.zeros((0, int(network.output_shape[-1])), np.float32),
        files=tuple(str(index.paths[position].relative_to(index.root)) for position in scored),
        root=str(index.root),
        available=available,
        skipped=tuple(str(path.relative_to(index.root)) for path, ok in zip(index.paths, readable) if not ok),
    )


def evaluate(network, data_dir, batch_size: int = 64, subset: str = "all",
             validation_split: float = config.VALIDATION_SPLIT, split_seed: int = config.SPLIT_SEED) -> dict:
    """The command line's evaluation: `evaluate_folder` as a JSON-ready dict (see Evaluation.to_json)."""
    return evaluate_folder(network, data_dir, subset, validation_split, batch_size=batch_size,
                           split_seed=split_seed).to_json()


# --- one evaluation per model and photo folder ----------------------------------------------------

_evaluations: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # model -> {folder key: Evaluation}
_evaluations_lock = threading.Lock()  # guards the dictionary
_scoring_lock = threading.Lock()  # one evaluation at a time: on 2 cores two would only halve each other's speed


def cached_evaluation(network, data_dir, validation_split: float = config.VALIDATION_SPLIT,
                      max_photos: int | None = config.MAX_EVALUATION_PHOTOS, **options) -> Evaluation:
    """`evaluate_folder` on the validation side, computed once per (model, folder as it is now, split).

    Kept as long as the model is (weak keys): the shipped model's evaluation is computed once for
    the whole class; a student's model's goes with their session. Any photo added, removed or edited
    in the folder changes its fingerprint, and the model is evaluated again.
    """
    index = photo_index.index_photos(data_dir)
    key = (str(Path(index.root).resolve()), index.fingerprint(), float(validation_split), max_photos)
    with _scoring_lock:
        with _evaluations_lock:
            known = _evaluations.get(network, {}).get(key)
        if known is not None:
            return known
        result = evaluate_folder(network, index.root, "validation", validation_split, max_photos, **options)
        with _evaluations_lock:
            _evaluations.setdefault(network, {})[key] = result
        return result
