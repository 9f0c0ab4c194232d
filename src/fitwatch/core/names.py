"""Map Keras-style metric names to (split, metric) pairs and back.

Keras writes one flat dict per epoch: ``{"loss": .., "accuracy": .., "val_loss": .., "val_accuracy": ..}``.
fitwatch stores every value under a *split* (``train``, ``val``, ``test`` or any other name) and a
*metric* (``loss``, ``accuracy``, ...). These functions translate between the two views. A split
named ``valid`` or ``validation`` is stored as ``val``, ``training`` as ``train`` (in any case), be
it a key's prefix (``valid_loss``) or a name given to ``Run.log`` (:func:`split_name`).

Example:
    >>> split_key("val_loss")
    ('val', 'loss')
    >>> split_key("accuracy")
    ('train', 'accuracy')
    >>> keras_key("val", "accuracy")
    'val_accuracy'
    >>> keras_key("train", "loss")
    'loss'
    >>> split_name("validation"), split_name("training"), split_name("holdout")
    ('val', 'train', 'holdout')
"""

from __future__ import annotations

#: Prefixes that name a split in a flat key, and the split they stand for.
SPLIT_PREFIXES: dict[str, str] = {
    "val": "val",
    "valid": "val",
    "validation": "val",
    "test": "test",
    "train": "train",
    "training": "train",
}

TRAIN = "train"
VAL = "val"


def split_key(key: str) -> tuple[str, str]:
    """Split a Keras-style key into ``(split, metric)``.

    ``val_loss`` -> ``("val", "loss")``, ``test_mae`` -> ``("test", "mae")``, ``train_loss`` and
    ``loss`` -> ``("train", "loss")``. A key without a known prefix belongs to ``train``.
    """
    head, sep, tail = key.partition("_")
    if sep and tail and head.lower() in SPLIT_PREFIXES:
        return SPLIT_PREFIXES[head.lower()], tail
    return TRAIN, key


def split_name(split: str) -> str:
    """The stored name of a split: the prefixes of :data:`SPLIT_PREFIXES`, in any case, by the split
    they stand for (``valid`` and ``validation`` -> ``val``, ``training`` -> ``train``, ``Test`` ->
    ``test``); any other name as it is."""
    return SPLIT_PREFIXES.get(split.lower(), split)


def keras_key(split: str, metric: str) -> str:
    """The Keras-style flat key for ``(split, metric)``: ``loss``, ``val_loss``, ``test_accuracy``."""
    if split == TRAIN:
        return metric
    return f"{split}_{metric}"
