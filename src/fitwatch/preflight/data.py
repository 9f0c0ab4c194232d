"""The data side of the pre-flight checks: samples read from the loaders, and what is checked on
them (inputs' scale, classes per split, labels in range, duplicates between training and validation,
labels in sorted order)."""

from __future__ import annotations

import hashlib
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


def input_scale(tr: Samples) -> object | None:
    """``unnormalised_input``: a feature whose root mean square exceeds 10 (the probes' threshold)."""
    x = tr.x.astype(np.float64, copy=False)
    if x.ndim < 2 or not np.issubdtype(x.dtype, np.floating):
        return None
    feats = np.moveaxis(x, 1, -1).reshape(-1, x.shape[1]) if x.ndim > 2 else x  # channels as features
    mean, std = feats.mean(0), feats.std(0)
    rms = np.sqrt(mean ** 2 + std ** 2)
    worst = int(np.argmax(rms))
    if rms[worst] <= L.INPUT_SCALE:
        return None
    live = std > 0
    ev = {"largest_feature_rms": float(rms[worst]), "feature": worst, "mean": float(mean[worst]),
          "std": float(std[worst]), "features_above_10": int((rms > L.INPUT_SCALE).sum()),
          "smallest_feature_rms": float(rms[live].min()) if live.any() else None}
    return finding("unnormalised_input", "warning", ev,
                   f"The inputs are not normalised: feature {worst} has a root mean square of {rms[worst]:.3g} "
                   f"(mean {mean[worst]:.3g}, spread {std[worst]:.3g}) where about 1 is expected, and "
                   f"{ev['features_above_10']} features are above 10.", ["normalise_inputs", "batch_norm"])


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
            return finding("label_out_of_range", "critical", ev, msg, ["labels_range", "check_data"])
        if task.kind == "binary" and (y.min() < 0 or y.max() > 1):
            ev = {"split": name, "target_min": float(y.min()), "target_max": float(y.max())}
            return finding("label_out_of_range", "critical", ev,
                           f"The {name} set's targets run from {y.min():.3g} to {y.max():.3g}, but {task.loss} "
                           "expects targets in [0, 1].", ["check_data", "loss_fit"])
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
    if labels is None or labels.size < 20 or task.kind not in ("classification", "binary") \
            or sampler == "RandomSampler":
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
