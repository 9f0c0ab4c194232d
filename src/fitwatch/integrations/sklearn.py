"""scikit-learn integration: train an estimator epoch by epoch with ``partial_fit`` into a fitwatch run,
stopped early by :class:`fitwatch.EarlyStopping` with the best epoch's estimator put back.

A fitted ``MLPClassifier`` or ``MLPRegressor`` keeps its own curve: ``fitwatch.diagnose(mlp)`` reads
it without this module (:mod:`fitwatch.diagnosis.readers.sklearn_estimator`). Every other estimator
with ``partial_fit`` (``SGDClassifier``, ``SGDRegressor``, ``Perceptron``, the passive-aggressive
ones, the MLPs...) keeps no curve: :func:`fit` records one. This is the only fitwatch module that
imports scikit-learn; ``fitwatch.sklearn`` is this module.
"""

from __future__ import annotations

import copy
import inspect
import numbers

import numpy as np

try:
    import sklearn
    from sklearn.base import is_classifier, is_regressor
    from sklearn.metrics import accuracy_score, hinge_loss, log_loss, mean_squared_error, r2_score
except ModuleNotFoundError as e:  # pragma: no cover - scikit-learn is installed in tests
    raise ImportError("fitwatch.sklearn needs scikit-learn: pip install 'scikit-learn>=1.2'") from e

from fitwatch.record.run import Run
from fitwatch.stopping.keeper import BestKeeper

__all__ = ["fit", "epoch_metrics"]

_WHERE = "fitwatch.sklearn.fit"


def fit(estimator, X, y, *, validation_data=None, epochs=10, name=None, dir=None, config=None, stop=None,
        restore=True, classes=None, sample_weight=None, batch_size=None, shuffle=True, random_state=0,
        diagnose=True, progress=False):
    """Train ``estimator`` epoch by epoch with ``partial_fit``, recording every epoch into a fitwatch run.

    Each epoch shuffles the training rows (a ``numpy`` generator seeded with ``random_state``), hands
    them to ``partial_fit`` (all at once, or ``batch_size`` rows a call), then measures the
    estimator as it stands at the end of the epoch on the whole training set and on
    ``validation_data`` (see :func:`epoch_metrics`):

    ==============================================  ==========================  ====================
    estimator                                       ``loss`` / ``val_loss``     score
    ==============================================  ==========================  ====================
    classifier with ``predict_proba`` (MLP,         log loss                    ``accuracy``
    ``SGDClassifier(loss="log_loss")``...)
    classifier without it (``SGDClassifier()``,     hinge loss of               ``accuracy``
    ``Perceptron``, passive-aggressive)             ``decision_function``
    regressor (``SGDRegressor``, ``MLPRegressor``)  mean squared error          ``r2``
    ==============================================  ==========================  ====================

    (``val_`` before the key for the validation set; sample-weighted when ``sample_weight`` is
    given). The loss is the data's, without the estimator's penalty (``alpha``): not the
    estimator's own ``loss_curve_``. A NaN or infinite prediction records a NaN loss (the run
    diverged; ``stop`` stops at once).

    With ``stop``, the rule judges each epoch's values (``val_loss`` by default); a copy of the
    estimator (``copy.deepcopy``) is taken at every new best epoch and, when training ends, stopped
    or not, put back into ``estimator`` (its ``__dict__`` replaced: the same object, in the state of
    the best epoch). The run's info says so under ``"early_stopping"``.

    Args:
        estimator: a scikit-learn estimator with ``partial_fit``; trained in place (a fitted one
            goes on from where it is).
        X: the training inputs (array-like or sparse matrix, indexable by rows).
        y: the training targets.
        validation_data: ``(X_val, y_val)`` measured every epoch. Defaults to `None` (training
            values only).
        epochs: the number of passes over the training data. Defaults to `10`.
        name: the run's name. Defaults to ``run-YYYYmmdd-HHMMSS``.
        dir: the store's folder. Defaults to `$FITWATCH_DIR`, else `./fitwatch`.
        config: hyperparameters to store with the run; the estimator's ``get_params()`` (numbers,
            strings, booleans, None) are stored first. Defaults to `None`.
        stop: a :class:`fitwatch.EarlyStopping` that ends training when it says so; to behave as
            scikit-learn's own ``n_iter_no_change=k, tol=t`` on a validation score, pass
            ``EarlyStopping(monitor="val_accuracy", patience=k + 1, min_delta=t)``. Defaults to `None`.
        restore: with ``stop``, put the best epoch's estimator back at the end. Defaults to `True`.
        classes: a classifier's classes, which ``partial_fit`` needs at its first call. Defaults
            to `None`: those in ``y`` and the validation targets.
        sample_weight: a weight per training row, given to ``partial_fit`` and the training
            metrics (only for estimators whose ``partial_fit`` takes it). Defaults to `None`.
        batch_size: rows per ``partial_fit`` call. Defaults to `None`: one call per epoch with
            every row (an MLP then batches them itself, by its own ``batch_size``).
        shuffle: shuffle the rows every epoch. Defaults to `True`.
        random_state: the seed of the shuffling. Defaults to `0`.
        diagnose: at the end, diagnose the curves, store the diagnosis with the run and print it
            (``"quiet"``: store only; `False`: neither). Defaults to `True`.
        progress: show fitwatch's epoch progress bar. Defaults to `False`.

    Returns:
        ``estimator``, fitted, as scikit-learn's ``fit`` returns it, with the finished
        :class:`fitwatch.Run` as ``estimator.fitwatch_run_`` (``history``, ``info``,
        ``diagnosis_``). The run holds the store's connection and does not pickle: delete the
        attribute before ``pickle``/``joblib.dump`` (the run stays in the store).

    Raises:
        TypeError: an estimator without ``partial_fit``, or an argument of the wrong type.
        ValueError: an argument out of range (the message names it, the value and the fix).

    Example:
        >>> import tempfile, fitwatch
        >>> from sklearn.datasets import load_breast_cancer
        >>> from sklearn.linear_model import SGDClassifier
        >>> from sklearn.preprocessing import scale
        >>> X, y = load_breast_cancer(return_X_y=True)
        >>> X = scale(X)
        >>> clf = fitwatch.sklearn.fit(SGDClassifier(loss="log_loss", random_state=0), X[:400], y[:400],
        ...                            validation_data=(X[400:], y[400:]), epochs=5, name="doc-sgd",
        ...                            dir=tempfile.mkdtemp(), diagnose=False)
        >>> run = clf.fitwatch_run_
        >>> run.status, sorted(run.history), len(run.history["val_loss"])
        ('finished', ['accuracy', 'loss', 'val_accuracy', 'val_loss'], 5)
    """
    _check(estimator, X, y, validation_data, epochs, name, config, stop, classes, sample_weight, batch_size,
           shuffle, random_state, diagnose)
    X, y, weights = _rows(X), np.asarray(y), None if sample_weight is None else np.asarray(sample_weight)
    if is_classifier(estimator) and classes is None:
        classes = np.unique(y if validation_data is None else np.concatenate([y, np.asarray(validation_data[1])]))
    keeper = None
    if stop is not None:
        if callable(getattr(stop, "reset", None)):
            stop.reset()  # each fit starts afresh
        keeper = BestKeeper(stop, None, where=_WHERE)  # the estimator's copies kept here; run.begin_epoch plans it
    settings = {k: v for k, v in estimator.get_params(deep=False).items()
                if isinstance(v, (numbers.Number, str, bool, type(None))) and not isinstance(v, np.generic)}
    run = Run(name, {**settings, "epochs": int(epochs), "batch_size": batch_size, **(config or {})}, dir=dir,
              info={"framework": "sklearn", "sklearn_version": sklearn.__version__,
                    "estimator": type(estimator).__name__, "losses": _loss_names(estimator),
                    **({} if is_classifier(estimator) else {"loss_metric": "mse"})},  # a regression: no ln k
              diagnose=diagnose)
    run.begin_fit(int(epochs), keeper=keeper, call=f"{_WHERE}()", progress=bool(progress))
    rng = np.random.default_rng(random_state)
    best, best_epoch, stopped_at = None, None, None
    try:
        for epoch in range(int(epochs)):
            stored = run.begin_epoch(epoch)
            order = rng.permutation(len(y)) if shuffle else np.arange(len(y))
            step = len(y) if batch_size is None else int(batch_size)
            for at in range(0, len(y), step):
                rows = order[at:at + step]
                kw = {} if classes is None else {"classes": classes}
                if weights is not None:
                    kw["sample_weight"] = weights[rows]
                estimator.partial_fit(X[rows], y[rows], **kw)
            logs = epoch_metrics(estimator, X, y, validation_data, sample_weight=weights)
            run.log_epoch(logs, epoch=stored)
            if keeper is not None:
                halt = run.check_stop(logs, epoch=stored)
                if keeper.stop.improved and restore:
                    best, best_epoch = copy.deepcopy(estimator), stored
                if halt:
                    stopped_at = epoch if epoch < int(epochs) - 1 else None
                    break
    except BaseException as e:
        run.abort_fit(e)
        raise
    if best is not None:
        vars(estimator).clear()
        vars(estimator).update(vars(best))  # the same object, in the best epoch's state
        keeper.restored, keeper.kept_epoch = True, best_epoch  # what the stop record says
    run.end_fit(stopped_at=stopped_at)
    estimator.fitwatch_run_ = run
    return estimator


def epoch_metrics(estimator, X, y, validation_data=None, *, sample_weight=None) -> dict:
    """The values :func:`fit` records for one epoch: the loss and score of the estimator as it stands,
    on ``(X, y)`` and, under ``val_`` keys, on ``validation_data`` (the table in :func:`fit`).

    Example:
        >>> from sklearn.datasets import load_diabetes
        >>> from sklearn.linear_model import SGDRegressor
        >>> X, y = load_diabetes(return_X_y=True)
        >>> reg = SGDRegressor(random_state=0).partial_fit(X, y)
        >>> sorted(epoch_metrics(reg, X, y, (X[:50], y[:50])))
        ['loss', 'r2', 'val_loss', 'val_r2']
    """
    logs = _split_metrics(estimator, X, np.asarray(y), sample_weight, "")
    if validation_data is not None:
        Xv, yv = validation_data
        logs.update(_split_metrics(estimator, _rows(Xv), np.asarray(yv), None, "val_"))
    return logs


def _split_metrics(est, X, y, w, prefix: str) -> dict:
    if is_classifier(est):
        pred = est.predict(X)
        acc = float(accuracy_score(y, pred, sample_weight=w))
        if hasattr(est, "predict_proba"):
            p = est.predict_proba(X)
            loss = float(log_loss(y, p, labels=est.classes_, sample_weight=w)) if np.isfinite(p).all() else np.nan
        else:
            d = est.decision_function(X)
            loss = float(hinge_loss(y, d, labels=est.classes_, sample_weight=w)) if np.isfinite(d).all() else np.nan
        return {f"{prefix}loss": loss, f"{prefix}accuracy": acc}
    pred = np.asarray(est.predict(X), dtype=np.float64)
    if not np.isfinite(pred).all():  # diverged: sklearn.metrics refuses NaN
        return {f"{prefix}loss": float("nan"), f"{prefix}r2": float("nan")}
    return {f"{prefix}loss": float(mean_squared_error(y, pred, sample_weight=w)),
            f"{prefix}r2": float(r2_score(y, pred, sample_weight=w))}


def _loss_names(est) -> str:
    """What ``loss`` is, for the run's info."""
    if is_classifier(est):
        return "log loss (predict_proba)" if hasattr(est, "predict_proba") else "hinge loss (decision_function)"
    return "mean squared error"


def _rows(X):
    """Row-indexable inputs: arrays and sparse matrices as they are, lists and DataFrames as arrays."""
    if hasattr(X, "tocsr"):
        return X.tocsr()
    return np.asarray(X)


def _length(X) -> int:
    shape = getattr(X, "shape", None)
    return int(shape[0]) if shape is not None else len(X)


def _check(est, X, y, validation_data, epochs, name, config, stop, classes, sample_weight, batch_size,
           shuffle, random_state, diagnose) -> None:
    """Every argument, before a run is created: one line naming it, its value and the fix."""
    kind = type(est).__name__
    if not callable(getattr(est, "partial_fit", None)):
        raise TypeError(f"{_WHERE}: {kind} has no partial_fit, so it cannot be trained epoch by epoch; use one that "
                        f"has (SGDClassifier, SGDRegressor, MLPClassifier, MLPRegressor, Perceptron...), or fit it "
                        f"yourself (a fitted MLP's curve: fitwatch.diagnose(mlp))")
    if not (is_classifier(est) or is_regressor(est)):
        raise TypeError(f"{_WHERE}: {kind} is neither a classifier nor a regressor, so there is no loss to record; "
                        f"pass a classifier or a regressor with partial_fit")
    if not isinstance(epochs, numbers.Integral) or isinstance(epochs, bool) or epochs < 1:
        raise ValueError(f"{_WHERE}: epochs={epochs!r}; pass a whole number >= 1, e.g. epochs=20")
    if batch_size is not None and (not isinstance(batch_size, numbers.Integral) or isinstance(batch_size, bool)
                                   or batch_size < 1):
        raise ValueError(f"{_WHERE}: batch_size={batch_size!r}; pass a whole number >= 1, or None for one "
                         f"partial_fit call per epoch")
    if name is not None and not isinstance(name, str):
        raise TypeError(f"{_WHERE}: name must be a string or None, got {name!r}")
    if config is not None and not isinstance(config, dict):
        raise TypeError(f"{_WHERE}: config must be a dict, got {type(config).__name__}; e.g. config={{'lr': 0.01}}")
    if not isinstance(shuffle, (bool, np.bool_)):
        raise TypeError(f"{_WHERE}: shuffle must be True or False, got {shuffle!r}")
    if random_state is not None and (not isinstance(random_state, numbers.Integral) or isinstance(random_state, bool)):
        raise TypeError(f"{_WHERE}: random_state={random_state!r}; pass a whole number (the shuffling's seed) or None")
    if diagnose not in (True, False, "quiet") or isinstance(diagnose, (int, float)) and not isinstance(diagnose, bool):
        raise ValueError(f"{_WHERE}: diagnose={diagnose!r}; pass True, False or 'quiet'")
    n = _length(X)
    if n != _length(y) or n == 0:
        raise ValueError(f"{_WHERE}: X has {n} rows and y {_length(y)}; pass as many targets as rows (at least one)")
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise TypeError(f"{_WHERE}: validation_data must be (X_val, y_val), got {type(validation_data).__name__}"
                            f"{'' if not hasattr(validation_data, '__len__') else f' of {len(validation_data)}'}")
        if _length(validation_data[0]) != _length(validation_data[1]) or _length(validation_data[1]) == 0:
            raise ValueError(f"{_WHERE}: validation_data has {_length(validation_data[0])} rows and "
                             f"{_length(validation_data[1])} targets; pass (X_val, y_val) of one length, at least one")
    if sample_weight is not None:
        if _length(sample_weight) != n:
            raise ValueError(f"{_WHERE}: sample_weight has {_length(sample_weight)} values for {n} rows; pass one "
                             f"weight per row of X")
        if "sample_weight" not in inspect.signature(est.partial_fit).parameters:
            raise TypeError(f"{_WHERE}: {kind}.partial_fit takes no sample_weight; leave it out, or use an "
                            f"estimator whose partial_fit takes it (SGDClassifier, SGDRegressor, MLPClassifier)")
    if classes is not None and not is_classifier(est):
        raise ValueError(f"{_WHERE}: classes= is for classifiers, and {kind} is a regressor; leave it out")
    if stop is not None:
        if not all(callable(getattr(stop, a, None)) for a in ("update", "to_dict")):
            raise TypeError(f"{_WHERE}: stop takes a fitwatch.EarlyStopping, got {type(stop).__name__}; "
                            f"e.g. stop=fitwatch.EarlyStopping(patience=5)")
        monitor = str(getattr(stop, "monitor", ""))
        if monitor.startswith("val_") and validation_data is None:
            raise ValueError(f"{_WHERE}: stop watches {monitor!r} but there is no validation_data; pass "
                             f"validation_data=(X_val, y_val), or stop=fitwatch.EarlyStopping(monitor='loss')")
