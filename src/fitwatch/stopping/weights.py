"""A model's weights, whatever its framework: copy them, put them back, write them to a file atomically.

Early stopping keeps the best epoch's weights with these helpers. A model is recognised by its
class hierarchy (a Keras layer or model, else a ``torch.nn.Module``), so nothing is imported to
find out: torch or Keras is imported only to save a checkpoint, by the model that needs it.

- torch: the copy is the ``state_dict()`` on the CPU (tensors detached and copied; other entries,
  such as a module's extra state, deep-copied), put back with ``load_state_dict``; a checkpoint is
  ``torch.save(state_dict)``, loaded back with ``model.load_state_dict(torch.load(path))``.
- Keras: the copy is ``model.get_weights()`` (numpy arrays, copied), put back with
  ``set_weights``; a checkpoint is ``model.save_weights(path)``, which needs a ``.weights.h5``
  name, loaded back with ``model.load_weights(path)``.

A checkpoint is written to a temporary file in the same folder, flushed to disk, then renamed
over the previous one (``os.replace``): a reader, or a crash, sees the old file or the new one,
never half of one; a write that fails removes its temporary file and leaves the old one as it was.

Example:
    >>> import torch
    >>> from fitwatch.integrations import weights
    >>> model = torch.nn.Linear(2, 1)
    >>> kept = weights.snapshot(model)
    >>> with torch.no_grad():
    ...     _ = model.weight.fill_(7.0)
    >>> weights.restore(model, kept)
    >>> bool(torch.equal(model.weight, kept["weight"]))
    True
"""

from __future__ import annotations

import copy
import glob
import os
import tempfile
from pathlib import Path

from fitwatch.store.status import hostname, writer_gone

KERAS_SUFFIX = ".weights.h5"


def framework_of(model, what: str = "restore") -> str:
    """``"keras"`` or ``"torch"``, read from the model's class hierarchy (nothing imported).

    Raises:
        TypeError: neither a Keras model nor a ``torch.nn.Module`` (the message names ``what``,
            the argument it was given to).
    """
    kinds = [(c.__module__ or "").split(".")[0] + ":" + c.__name__ for c in type(model).__mro__]
    # a Keras 3 model on the torch backend is a torch.nn.Module too: Keras first
    if any(k.startswith(("keras:", "tf_keras:")) and k.endswith(":Layer") for k in kinds):
        return "keras"
    if "torch:Module" in kinds:
        return "torch"
    raise TypeError(f"fitwatch: {what}= takes a torch.nn.Module or a Keras model, got "
                    f"{type(model).__module__}.{type(model).__qualname__}; pass the model itself, e.g. {what}=model")


def check_checkpoint(path, framework: str) -> Path:
    """The checkpoint's path, checked before training starts.

    Raises:
        ValueError: a Keras checkpoint whose name does not end in ``.weights.h5``.
    """
    p = Path(os.fspath(path)).expanduser()
    if framework == "keras" and not p.name.endswith(KERAS_SUFFIX):
        raise ValueError(f"fitwatch: checkpoint={os.fspath(path)!r}: Keras writes weights only to a file named "
                         f"*{KERAS_SUFFIX}; use e.g. checkpoint={p.name.split('.')[0] + KERAS_SUFFIX!r}")
    if p.is_dir():
        raise ValueError(f"fitwatch: checkpoint={os.fspath(path)!r} is a folder; name a file in it, "
                         f"e.g. checkpoint={os.fspath(p / ('best' + (KERAS_SUFFIX if framework == 'keras' else '.pt')))!r}")
    return p


def snapshot(model, framework: str | None = None):
    """A copy of the model's weights that later training does not change (on the CPU, for torch)."""
    framework = framework or framework_of(model)
    if framework == "keras":
        import numpy as np

        return [np.array(w, copy=True) for w in model.get_weights()]
    out = {}
    for k, v in model.state_dict().items():
        if hasattr(v, "detach") and hasattr(v, "to"):  # a tensor
            out[k] = v.detach().to("cpu", copy=True)
        else:  # e.g. a module's get_extra_state()
            out[k] = copy.deepcopy(v)
    return out


def restore(model, weights, framework: str | None = None) -> None:
    """Put weights from :func:`snapshot` back into the model (onto its own device, for torch)."""
    framework = framework or framework_of(model)
    if framework == "keras":
        model.set_weights(weights)
    else:
        model.load_state_dict(weights)


def load_checkpoint(model, path, framework: str | None = None) -> None:
    """Put the weights that :func:`save_checkpoint` wrote to ``path`` back into the model.

    torch: ``model.load_state_dict(torch.load(path))``, unpickled in full (a module's extra state
    too): load only a file that this process, or your own training, wrote. Keras: ``load_weights``.

    Example:
        >>> import os, tempfile, torch
        >>> model = torch.nn.Linear(2, 1)
        >>> path = os.path.join(tempfile.mkdtemp(), "best.pt")
        >>> save_checkpoint(model, path)
        >>> other = torch.nn.Linear(2, 1)
        >>> load_checkpoint(other, path)
        >>> bool(torch.equal(other.weight, model.weight))
        True
    """
    framework = framework or framework_of(model)
    if framework == "keras":
        model.load_weights(os.fspath(path))
    else:
        import torch

        model.load_state_dict(torch.load(path, map_location="cpu", weights_only=False))


def save_checkpoint(model, path, weights=None, framework: str | None = None) -> None:
    """Write the model's weights (or ``weights``, a torch snapshot) to ``path`` atomically.

    The folder is created when missing. When writing fails, the exception propagates, the
    temporary file is removed and a checkpoint already at ``path`` is left as it was.
    """
    framework = framework or framework_of(model)
    path = check_checkpoint(path, framework)
    path.parent.mkdir(parents=True, exist_ok=True)
    # the temporary name keeps the suffix (Keras checks it) and names its writer, so that one left
    # by a killed process (up to a model's size) is found and removed by the next save
    suffix = KERAS_SUFFIX if framework == "keras" else ".tmp"
    _remove_stale(path, suffix)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{hostname()}.{os.getpid()}.", suffix=suffix)
    try:
        if framework == "keras":
            os.close(fd)
            fd = -1
            model.save_weights(tmp)
            fd = os.open(tmp, os.O_RDONLY)
            os.fsync(fd)
        else:
            import torch

            with os.fdopen(fd, "wb") as f:
                fd = -1
                torch.save(weights if weights is not None else snapshot(model, "torch"), f)
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    finally:
        if fd >= 0:
            os.close(fd)
    _fsync_dir(path.parent)


def _remove_stale(path: Path, suffix: str) -> None:
    """Delete the temporary files of ``path`` that a process killed while saving left behind
    (``.<name>.<host>.<pid>.<random><suffix>``, the pid gone on this host)."""
    head = f".{path.name}."
    for f in path.parent.glob(glob.escape(head) + "*" + glob.escape(suffix)):
        writer, _, _random = f.name[len(head):-len(suffix)].rpartition(".")
        if writer_gone(writer):
            f.unlink(missing_ok=True)


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)
