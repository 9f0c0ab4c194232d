"""The data side of the pre-flight checks: samples read from the loaders, and what is checked on
them (inputs' scale, classes per split, labels in range, duplicates between training and validation,
labels in sorted order)."""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass

import numpy as np

from fitwatch.diagnosis.causes import limits as L
from fitwatch.preflight.findings import finding
from fitwatch.preflight.state import split_batch
from fitwatch.preflight.task import Task

#: a share of the validation samples that are exact copies of training samples worth a warning, and
#: how many at least: a data set's own repeated rows (iris has 3 pairs of identical flowers) put a
#: copy or two on both sides of any split; a split bug or a leak copies many
LEAK_SHARE = 0.01
LEAK_MIN = 5
#: labels in the loader's order changing class this share as often as shuffled labels would, or less:
#: sorted (or grouped) labels
SORTED_CHANGES = 0.25


@dataclass
class Samples:
    """Inputs and targets of one split, as numpy arrays (samples first); ``complete`` when every
    sample of the loader was read (else the first ``len(y)``)."""

    x: np.ndarray
    y: np.ndarray
    complete: bool


def _tensor_dataset(loader):
    """The (inputs, targets) tensors behind a DataLoader over a TensorDataset (or a Subset of one)."""
    ds, idx = getattr(loader, "dataset", None), None
    if type(ds).__name__ == "Subset":
        ds, idx = ds.dataset, np.asarray(ds.indices)
    tensors = getattr(ds, "tensors", None)
    if type(ds).__name__ != "TensorDataset" or tensors is None or len(tensors) < 2:
        return None
    x, y = tensors[0].detach().cpu().numpy(), tensors[1].detach().cpu().numpy()
    return (x, y) if idx is None else (x[idx], y[idx])


def collect(loader, max_samples: int) -> Samples | None:
    """Up to ``max_samples`` samples of a loader (the whole of a TensorDataset at once)."""
    if loader is None:
        return None
    direct = _tensor_dataset(loader)
    if direct is not None:
        x, y = direct
        if not len(y):
            return None
        return Samples(x[:max_samples], y[:max_samples], len(y) <= max_samples)
    xs, ys, n, complete = [], [], 0, True
    for batch in loader:
        x, y = split_batch(batch, "cpu")
        if isinstance(x, (tuple, list)):
            x = x[0]
        xs.append(x.detach().numpy())
        ys.append(y.detach().numpy())
        n += len(ys[-1])
        if n >= max_samples:
            complete = False
            break
    if not xs:
        return None
    return Samples(np.concatenate(xs), np.concatenate(ys), complete)


def first_labels(loader, batches: int = 8) -> np.ndarray | None:
    """The labels of the loader's first batches, in the order it gives them."""
    ys = []
    for i, batch in enumerate(loader):
        if i >= batches:
            break
        ys.append(split_batch(batch, "cpu")[1].detach().numpy().reshape(-1))
    return np.concatenate(ys) if ys else None


def _feature_scale(x: np.ndarray):
    """Per feature (channels of images and sequences): mean, spread and root mean square of the finite
    values; None for inputs that are not features (integer ids for an embedding, a single column)."""
    if x.ndim < 2 or (np.issubdtype(x.dtype, np.integer) and x.dtype != np.uint8) or x.dtype == bool:
        return None  # long or int inputs are token or category ids: nn.Embedding takes them as they are
    x = x.astype(np.float64, copy=False)
    feats = np.moveaxis(x, 1, -1).reshape(-1, x.shape[1]) if x.ndim > 2 else x  # channels as features
    feats = np.where(np.isfinite(feats), feats, np.nan)  # NaN and inf: nonfinite_data says so
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN feature
        mean, std = np.nanmean(feats, 0), np.nanstd(feats, 0)
    mean, std = np.nan_to_num(mean), np.nan_to_num(std)
    return mean, std, np.sqrt(mean ** 2 + std ** 2)


def input_scale(tr: Samples, va: Samples | None = None) -> object | None:
    """``unnormalised_input``: a training feature whose root mean square exceeds 10 (the probes'
    threshold), or a validation feature above 10 and 10 times its training scale (the scaler fitted
    and applied to the training set only)."""
    got = _feature_scale(tr.x)
    if got is None:
        return None
    mean, std, rms = got
    worst = int(np.argmax(rms))
    if rms[worst] <= L.INPUT_SCALE:
        return _val_scale(rms, va)
    live = std > 0
    ev = {"largest_feature_rms": float(rms[worst]), "feature": worst, "mean": float(mean[worst]),
          "std": float(std[worst]), "features_above_10": int((rms > L.INPUT_SCALE).sum()),
          "smallest_feature_rms": float(rms[live].min()) if live.any() else None}
    return finding("unnormalised_input", "warning", ev,
                   f"The inputs are not normalised: feature {worst} has a root mean square of {rms[worst]:.3g} "
                   f"(mean {mean[worst]:.3g}, spread {std[worst]:.3g}) where about 1 is expected, and "
                   f"{ev['features_above_10']} features are above 10.", ["normalise_inputs", "batch_norm"])


def _val_scale(train_rms: np.ndarray, va: Samples | None) -> object | None:
    got = _feature_scale(va.x) if va is not None else None
    if got is None or got[2].shape != train_rms.shape:
        return None
    rms = got[2]
    ratio = rms / np.maximum(train_rms, 1e-12)
    off = (rms > L.INPUT_SCALE) & (ratio > L.INPUT_SCALE)
    if not off.any():
        return None
    f = int(np.argmax(np.where(off, ratio, 0)))
    ev = {"split": "validation", "feature": f, "validation_rms": float(rms[f]), "training_rms": float(train_rms[f]),
          "features_off": int(off.sum())}
    return finding("unnormalised_input", "warning", ev,
                   f"The validation inputs are not scaled as the training inputs: feature {f} has a root mean "
                   f"square of {rms[f]:.3g} in validation against {train_rms[f]:.3g} in training ({int(off.sum())} "
                   "features so): the validation set was not normalised, or not with the training set's "
                   "statistics.", ["normalise_val"])


def nonfinite(splits: dict) -> object | None:
    """``nonfinite_data``: NaN or infinite values in a split's inputs or targets."""
    for name, s in splits.items():
        if s is None:
            continue
        for part, a in (("inputs", s.x), ("targets", s.y)):
            if not np.issubdtype(a.dtype, np.floating):
                continue
            bad = ~np.isfinite(a.reshape(len(a), -1))
            if bad.any():
                rows = int(bad.any(1).sum())
                ev = {"split": name, "part": part, "samples": rows, "values": int(bad.sum()), "of_samples": len(a),
                      "first_sample": int(np.argmax(bad.any(1)))}
                return finding("nonfinite_data", "critical", ev,
                               f"The {name} set's {part} hold NaN or infinite values: {int(bad.sum())} values in "
                               f"{rows} of {len(a)} samples (the first: sample {ev['first_sample']}). Every loss "
                               "and gradient they touch becomes NaN.", ["finite_data"])
    return None


def _class_ids(y: np.ndarray, task: Task) -> np.ndarray | None:
    if task.kind == "classification":
        if y.ndim >= 2 and task.classes and y.shape[1] == task.classes:
            return y.argmax(1).reshape(-1)
        return y.reshape(-1).astype(np.int64)
    if task.kind == "binary":
        return (y.reshape(-1) >= 0.5).astype(np.int64)
    return None


def class_balance(splits: dict, task: Task) -> object | None:
    """``class_imbalance``: in a split, the largest class outnumbers the smallest tenfold (SageMaker
    Debugger's ClassImbalance), or a class the model outputs is missing from the training labels."""
    rows = {}
    for name, s in splits.items():
        ids = _class_ids(s.y, task) if s is not None else None
        if ids is None or ids.size == 0:
            continue
        ids = ids[ids >= 0]
        k = max(int(ids.max()) + 1, task.classes if task.kind == "classification" else 2)
        rows[name] = np.bincount(ids, minlength=k)
    missing = _missing_classes(rows, task)
    if missing is not None:
        return missing
    worst = None
    for name, counts in rows.items():
        present = counts[counts > 0]
        if present.size >= 2:
            ratio = float(present.max() / present.min())
            if ratio > L.IMBALANCE and (worst is None or ratio > worst[1]):
                worst = (name, ratio, counts)
    if worst is None:
        return None
    name, ratio, counts = worst
    small, big = int(np.argmin(np.where(counts > 0, counts, counts.max() + 1))), int(np.argmax(counts))
    ev = {"split": name, "ratio": ratio, "largest_class": big, "smallest_class": small,
          **{f"{n}_counts": c.tolist() for n, c in rows.items()}}
    return finding("class_imbalance", "warning", ev,
                   f"The classes are imbalanced: in the {name} set class {big} has {ratio:.3g} times as many "
                   f"samples as class {small} ({int(counts[big])} against {int(counts[small])}); a model can "
                   f"score well by never predicting the rare class.", ["class_weights"])


#: a split of at least this many samples per class is expected to hold every class
MISSING_PER_CLASS = 5


def _missing_classes(rows: dict, task: Task) -> object | None:
    """``class_imbalance``: a class the model outputs that a split of 5 samples a class or more lacks."""
    if task.kind != "classification" or not task.classes:
        return None
    for name, counts in rows.items():
        absent = [c for c in range(task.classes) if c >= len(counts) or counts[c] == 0]
        if absent and counts.sum() >= MISSING_PER_CLASS * task.classes:
            shown = ", ".join(map(str, absent[:12])) + (", ..." if len(absent) > 12 else "")
            ev = {"split": name, "missing_classes": absent, "classes": task.classes, f"{name}_counts": counts.tolist()}
            return finding("class_imbalance", "warning", ev,
                           f"The {name} set has no sample of {len(absent)} of the model's {task.classes} classes "
                           f"({shown}), among {int(counts.sum())} samples: "
                           + ("its loss and accuracy say nothing about them (split with stratification)."
                              if name == "validation" else "the model never learns them."), ["stratify"])
    return None


def labels_in_range(splits: dict, task: Task) -> object | None:
    """``label_out_of_range``: class ids outside the model's outputs, or binary targets outside [0, 1]."""
    for name, s in splits.items():
        if s is None or s.y.size == 0:
            continue
        y = s.y
        if task.kind == "classification" and task.classes and not (y.ndim >= 2 and y.shape[1] == task.classes):
            ids = y.reshape(-1)
            if not np.all(ids == np.round(ids)):
                bad = f"targets that are not whole numbers (e.g. {float(ids[ids != np.round(ids)][0]):.3g})"
            elif ids.min() < 0 and ids.min() != -100:  # -100: CrossEntropyLoss's ignore_index
                bad = f"a label of {int(ids.min())}"
            elif ids.max() >= task.classes:
                bad = f"labels up to {int(ids.max())}"
            else:
                continue
            msg = (f"The {name} set has {bad}, but the model outputs {task.classes} classes (ids 0 to "
                   f"{task.classes - 1}): {task.loss} will fail or learn the wrong thing.")
            ev = {"split": name, "label_min": float(ids.min()), "label_max": float(ids.max()), "classes": task.classes}
            return finding("label_out_of_range", "critical", ev, msg, ["labels_range"])
        if task.kind == "binary" and (y.min() < 0 or y.max() > 1):
            ev = {"split": name, "target_min": float(y.min()), "target_max": float(y.max())}
            return finding("label_out_of_range", "critical", ev,
                           f"The {name} set's targets run from {y.min():.3g} to {y.max():.3g}, but {task.loss} "
                           "expects targets in [0, 1].", ["binary_targets", "loss_fit"])
    return None


def _hashes(x: np.ndarray) -> list[bytes]:
    rows = np.ascontiguousarray(x.reshape(len(x), -1))
    return [hashlib.blake2b(r.tobytes(), digest_size=16).digest() for r in rows]


def leak(tr: Samples | None, va: Samples | None) -> object | None:
    """``train_val_leak``: validation samples whose inputs are byte-for-byte training inputs."""
    if tr is None or va is None or tr.x.dtype != va.x.dtype or tr.x.shape[1:] != va.x.shape[1:]:
        return None
    seen = set(_hashes(tr.x))
    hv = _hashes(va.x)
    dup = sum(h in seen for h in hv)
    share = dup / max(1, len(hv))
    if share < LEAK_SHARE or dup < LEAK_MIN:
        return None
    ev = {"duplicates": dup, "val_samples": len(hv), "share": share, "train_samples_checked": len(tr.x),
          "train_complete": tr.complete}
    return finding("train_val_leak", "warning", ev,
                   f"{dup} of {len(hv)} validation samples ({100 * share:.3g}%) are also in the training set (the "
                   "same inputs byte for byte): the validation loss overstates how well the model generalises.",
                   ["leakage"])


def unshuffled(loader, labels: np.ndarray | None, task: Task, everything: Samples | None = None) -> object | None:
    """``unshuffled_data``: a training loader that is not shuffled and gives its labels sorted or
    grouped: over its first batches they change class far less often than shuffled labels would,
    with the classes' shares of the whole training set (``everything``; else of those batches)."""
    sampler = type(getattr(loader, "sampler", None)).__name__
    if labels is None or labels.size < 20 or sampler == "RandomSampler":
        return None
    if task.kind == "regression":
        return _sorted_targets(labels, sampler)
    if task.kind not in ("classification", "binary"):
        return None
    ids = _class_ids(labels.reshape(len(labels), -1) if labels.ndim > 1 else labels, task)
    pool = _class_ids(everything.y, task) if everything is not None else None
    if ids is None:
        return None
    pool = ids if pool is None or pool.size == 0 else pool
    p = np.bincount(pool[pool >= 0]) / max(1, (pool >= 0).sum())
    expected = (ids.size - 1) * (1 - float((p ** 2).sum()))
    changes = int((np.diff(ids) != 0).sum())
    if expected <= 0 or changes > SORTED_CHANGES * expected:
        return None
    ev = {"sampler": sampler, "label_changes": changes, "expected_if_shuffled": expected, "labels_read": int(ids.size)}
    return finding("unshuffled_data", "warning", ev,
                   f"The training loader is not shuffled ({sampler}) and its labels come grouped: in its first "
                   f"{ids.size} labels the class changes {changes} times where shuffled data would change about "
                   f"{expected:.0f} times; each batch then pulls the model towards one class.", ["shuffle"])


#: regression targets whose rank correlation with their position in the loader is this high (or
#: below minus it) come sorted
SORTED_RANK = 0.95


def _sorted_targets(labels: np.ndarray, sampler: str) -> object | None:
    """``unshuffled_data`` for a regression: the first batches' targets rise (or fall) with their
    position in the loader (a Spearman rank correlation of 0.95 or more)."""
    y = labels.reshape(-1).astype(np.float64)
    y = y[np.isfinite(y)]
    if y.size < 64 or np.ptp(y) == 0:
        return None
    rho = float(np.corrcoef(np.argsort(np.argsort(y, kind="stable")), np.arange(y.size))[0, 1])
    if abs(rho) < SORTED_RANK:
        return None
    ev = {"sampler": sampler, "rank_correlation": rho, "targets_read": int(y.size)}
    return finding("unshuffled_data", "warning", ev,
                   f"The training loader is not shuffled ({sampler}) and its targets come sorted: over its first "
                   f"{y.size} targets their rank follows their position (rank correlation {rho:.2f}); each batch "
                   "then covers a narrow range of targets and pulls the model there.", ["shuffle"])
