"""A fitted scikit-learn estimator that keeps its training curve: ``MLPClassifier``, ``MLPRegressor``.

By duck typing: scikit-learn is never imported. What is read:

* ``loss_curve_``: the training loss of each epoch (iteration), as ``loss``. It is the
  estimator's own objective: log loss for ``MLPClassifier``, half the squared error for
  ``MLPRegressor``, each with its L2 penalty (``alpha``) added;
* ``validation_scores_`` (``early_stopping=True``): the score on the held-out
  ``validation_fraction`` after each epoch, higher is better and not a loss: ``val_accuracy``
  for a classifier, ``val_r2`` for a regressor. The diagnosis judges it (the curve sklearn's early
  stopping watched, as an error: ``1 - accuracy``), the training loss beside it; without
  ``early_stopping`` it judges the training loss;
* sklearn's own early stop, as the run's stop record: the best epoch (the highest validation
  score, whose weights sklearn puts back at the end), and whether it stopped before ``max_iter``;
  without early stopping, its convergence test on the training loss (``converged``: stopped before
  ``max_iter`` because the loss improved by less than ``tol``, or cut short by ``max_iter``);
* the number of classes (``classes_``), the no-skill level of a classifier's log loss (ln C).

A ``Pipeline`` is read through its last step. Any other estimator raises a one-line
:class:`ReadError` that names the estimators that keep curves and ``fitwatch.sklearn.fit``.

Example:
    >>> class MLPClassifier:                   # what a fitted one holds, enough for the reader
    ...     __module__ = "sklearn.neural_network._multilayer_perceptron"
    ...     early_stopping, max_iter, n_iter_no_change, tol = True, 200, 2, 1e-4
    ...     loss_curve_ = [1.2, 0.8, 0.6, 0.5, 0.45]
    ...     validation_scores_ = [0.6, 0.75, 0.8, 0.78, 0.79]
    ...     best_validation_score_, n_iter_, classes_ = 0.8, 5, [0, 1, 2]
    ...     def get_params(self): return {}
    ...     def fit(self, X, y): return self
    >>> [c] = from_estimator(MLPClassifier())
    >>> c.name, c.series["val_accuracy"].tolist(), c.context, c.stop["best_epoch"], c.stop["stopped_epoch"]
    ('MLPClassifier', [0.6, 0.75, 0.8, 0.78, 0.79], {'model': 'sklearn_mlp', 'classes': 3}, 2, 4)
"""

from __future__ import annotations

import math

import numpy as np

from fitwatch.diagnosis.curves import Curves
from fitwatch.diagnosis.readers.columns import ReadError

#: the estimators whose fitted state holds a training curve
WITH_CURVES = "MLPClassifier and MLPRegressor (solver 'adam' or 'sgd')"


def is_estimator(x) -> bool:
    """A scikit-learn estimator (not XGBoost's or LightGBM's wrappers, which have readers of their own):
    one with a training curve, or of a class defined in scikit-learn."""
    if isinstance(x, type) or not (callable(getattr(x, "get_params", None)) and callable(getattr(x, "fit", None))):
        return False
    if hasattr(x, "loss_curve_"):
        return True
    return any((c.__module__ or "").startswith("sklearn.") and not c.__module__.startswith("sklearn.base")
               for c in type(x).__mro__)


def from_estimator(est) -> list[Curves]:
    """The curves of a fitted ``MLPClassifier`` or ``MLPRegressor`` (a ``Pipeline``: of its last step).

    Raises:
        ReadError: an estimator without a training curve, or not fitted.
    """
    steps = getattr(est, "steps", None)
    if isinstance(steps, list) and steps and isinstance(steps[-1], tuple) and len(steps[-1]) == 2:
        est = steps[-1][1]  # a Pipeline: its final estimator
    kind = type(est).__name__
    loss = getattr(est, "loss_curve_", None)
    if loss is None:
        if kind.startswith("MLP") and getattr(est, "solver", None) == "lbfgs":
            raise ReadError(f"a {kind} fitted with solver='lbfgs' keeps no loss_curve_; fit it with solver='adam' "
                            f"or 'sgd', or record it with fitwatch.sklearn.fit(estimator, X, y, validation_data=...)")
        if kind.startswith("MLP"):
            raise ReadError(f"this {kind} is not fitted: it has no loss_curve_ yet; call fit(X, y) first")
        raise ReadError(f"a fitted {kind} keeps no training curve (only {WITH_CURVES} keep one); record its "
                        f"epochs with fitwatch.sklearn.fit(estimator, X, y, validation_data=(X_val, y_val))")
    loss = np.asarray(loss, dtype=np.float64).ravel()
    if not loss.size:
        raise ReadError(f"this {kind} has an empty loss_curve_; call fit(X, y) first")
    series, missing, notes = {"loss": loss}, {}, []
    classifier = hasattr(est, "classes_") or kind.endswith("Classifier")
    val_key = "val_accuracy" if classifier else "val_r2"
    scores = getattr(est, "validation_scores_", None)
    if scores is not None and len(scores):
        v = np.asarray(scores, dtype=np.float64).ravel()
        if v.size != loss.size:  # partial_fit() calls after a fit(): their epochs have no validation score
            notes.append(f"validation_scores_ has {v.size} values for {loss.size} epochs: the last "
                         f"{max(loss.size - v.size, 0)} marked missing")
            v = np.concatenate([v[:loss.size], np.full(max(loss.size - v.size, 0), np.nan)])
            missing[val_key] = np.arange(loss.size) >= min(len(scores), loss.size)
        series[val_key] = v
        notes.append(f"{val_key} is {kind}'s validation score (validation_scores_), higher is better and not a loss")
    context = {"model": "sklearn_mlp"}  # its remedies: alpha, not dropout (docs/diagnosis.md)
    classes = getattr(est, "classes_", None)
    if classes is not None and len(classes) >= 2:
        context["classes"] = int(len(classes))
    if _penalty_at_start(est) >= 0.05 * abs(float(loss[0])):
        context["loss_penalty"] = True  # its first epoch far above ln k is alpha's penalty, not a blow-up
    c = Curves(epochs=np.arange(loss.size), series=series, name=kind, source=kind, notes=notes,
               missing=missing, context=context, stop=_stop_record(est, series.get(val_key), val_key, loss))
    return [c]


def _penalty_at_start(est) -> float:
    """About the L2 penalty ``loss_curve_``'s first epoch holds: scikit-learn adds ``alpha / 2 * ||W||^2 /
    batch_size`` to each batch's loss, and Glorot's initial weights hold ``2 fan_in fan_out / (fan_in + fan_out)``
    of ``||W||^2`` per layer (a fifth trial: alpha=30 on a 64-unit digits MLP, 8.23 at its first epoch against
    ln 10 = 2.30, was told to lower its learning rate first). 0 when the estimator does not say."""
    alpha, coefs, n = getattr(est, "alpha", 0), getattr(est, "coefs_", None), getattr(est, "t_", 0)
    if not isinstance(alpha, (int, float)) or alpha <= 0 or not coefs or not n:
        return 0.0
    batch = getattr(est, "batch_size", "auto")
    n = n / max(getattr(est, "n_iter_", 1) or 1, 1)  # t_: the samples seen over all epochs
    batch = min(200, n) if not isinstance(batch, (int, float)) else min(batch, n)
    weights = sum(2.0 * w.shape[0] * w.shape[1] / (w.shape[0] + w.shape[1]) for w in coefs if np.ndim(w) == 2)
    return 0.5 * float(alpha) * weights / max(batch, 1)


def _stop_record(est, scores, key: str, loss: np.ndarray | None = None) -> dict | None:
    """sklearn's early stopping (``early_stopping=True``) as a stop record: its best epoch, whose weights
    it put back, and where it stopped (before ``max_iter``). Without early stopping, its convergence
    test on the training loss (:func:`_convergence`)."""
    if scores is None or not getattr(est, "early_stopping", False) or not np.isfinite(scores).any():
        return _convergence(est, loss)
    best = int(np.nanargmax(scores))
    n = int(getattr(est, "n_iter_", scores.size))
    planned = getattr(est, "max_iter", None)
    k, tol = getattr(est, "n_iter_no_change", None), getattr(est, "tol", None)
    stopped = isinstance(planned, int) and n < planned
    best_value = getattr(est, "best_validation_score_", None)
    best_value = float(best_value) if isinstance(best_value, (int, float)) and math.isfinite(best_value) \
        else float(scores[best])
    return {"monitor": key, "mode": "max", "criterion": f"sklearn n_iter_no_change={k}", "patience": k,
            "min_delta": tol, "best_epoch": best, "best_value": best_value,
            "stopped": stopped, "stopped_epoch": n - 1 if stopped else None,
            "reason": (f"{key} did not improve by more than tol={tol} for {k} consecutive epochs (scikit-learn's "
                       f"early stopping)") if stopped else None,
            "restored": True, "restored_epoch": best, "last_epoch": n - 1, "epochs_planned": planned}


def _convergence(est, loss: np.ndarray | None) -> dict | None:
    """sklearn's convergence test on the training loss (no ``early_stopping``) as a stop record with
    ``converged``: True when it ended training before ``max_iter`` (the loss improved by less than
    ``tol`` for ``n_iter_no_change`` epochs), False when ``max_iter`` cut it short (sklearn's
    ``ConvergenceWarning``); None when the estimator does not say (a ``partial_fit`` run)."""
    n, planned = getattr(est, "n_iter_", None), getattr(est, "max_iter", None)
    k, tol = getattr(est, "n_iter_no_change", None), getattr(est, "tol", None)
    if loss is None or not isinstance(n, (int, np.integer)) or not isinstance(planned, (int, np.integer)) \
            or not isinstance(k, (int, np.integer)) or not isinstance(tol, (int, float)) or not np.isfinite(loss).any():
        return None
    n, planned = int(n), int(planned)
    converged = n < planned
    best = int(np.nanargmin(loss))
    return {"monitor": "loss", "mode": "min", "criterion": f"scikit-learn's convergence test (tol={tol:g}, "
            f"n_iter_no_change={k})", "patience": int(k), "min_delta": tol, "best_epoch": best,
            "best_value": float(loss[best]), "stopped": False, "stopped_epoch": None, "converged": converged,
            "reason": (f"the training loss improved by less than tol={tol:g} for {k} consecutive epochs"
                       if converged else f"max_iter={planned} was reached before the training loss converged "
                       f"(it still improved by more than tol={tol:g} within its last {k} epochs)"),
            "restored": None, "last_epoch": n - 1, "epochs_planned": planned}
