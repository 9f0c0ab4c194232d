"""What scikit-learn's ``MLPClassifier``/``MLPRegressor(verbose=True)`` printed, saved as a text log.

The file shape: ``Iteration 3, loss = 1.98028554`` per epoch, and with ``early_stopping=True``
``Validation score: 0.605556`` after it (the score on the held-out ``validation_fraction``: an
accuracy for a classifier, R² for a regressor; higher is better). Each iteration is a row: ``loss``
(the estimator's objective, its L2 penalty included), and the score as ``val_accuracy``, or
``val_r2`` when a score is below 0 (R² only goes there). The printout does not say which
estimator printed it: a regressor's R² between 0 and 1 is named ``val_accuracy``, judged the same
way (as 1 - score), and a note says so. The score is what the estimator's early stopping watched:
the diagnosis judges it, as it does a fitted MLP's ``validation_scores_``. Iterations as printed
(from 1).

Example:
    >>> text = ("Iteration 1, loss = 2.34\\nValidation score: 0.14\\nIteration 2, loss = 2.14\\n"
    ...         "Validation score: 0.45\\nIteration 3, loss = 1.98\\nValidation score: 0.61\\n")
    >>> is_sklearn_verbose(text)
    True
    >>> [(key, c)] = parse_sklearn_verbose(text, "mlp.log", "mlp.log")
    >>> c.epochs.tolist(), c.loss.tolist(), c.series["val_accuracy"].tolist()
    ([1, 2, 3], [2.34, 2.14, 1.98], [0.14, 0.45, 0.61])
"""

from __future__ import annotations

import re

import numpy as np

from fitwatch.diagnosis.readers.columns import ReadError
from fitwatch.diagnosis.readers.runs import rows_table

_NUM = r"[-+]?(?:\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|nan|inf)"
_ITER = re.compile(rf"^Iteration (\d+), loss = ({_NUM})[ \t]*$", re.M)
_SCORE = re.compile(rf"^Validation score: ({_NUM})[ \t]*$", re.M)


def is_sklearn_verbose(text: str) -> bool:
    """Two or more ``Iteration N, loss = x`` lines at the start of a line."""
    return len(_ITER.findall(text[:200_000])) >= 2


def parse_sklearn_verbose(text: str, label: str, source: str) -> list[tuple]:
    """The rows of the printout: one per iteration, its validation score when one follows it."""
    events = sorted([(m.start(), m) for m in _ITER.finditer(text)] + [(m.start(), m) for m in _SCORE.finditer(text)],
                    key=lambda e: e[0])
    rows, lines = [], []
    for at, m in events:
        if m.re is _ITER:
            rows.append({"epoch": int(m.group(1)), "loss": float(m.group(2))})
            lines.append(text.count("\n", 0, at) + 1)
        elif rows:
            rows[-1]["val_score"] = float(m.group(1))
    if not rows:
        raise ReadError(f"{label}: no 'Iteration N, loss = x' lines")
    scores = [r["val_score"] for r in rows if "val_score" in r]
    name = "val_r2" if any(s < 0 for s in scores) else "val_accuracy"
    for r in rows:
        if "val_score" in r:
            r[name] = r.pop("val_score")
    notes = ["read from scikit-learn's verbose printout (Iteration N, loss = ...): loss is the estimator's objective"]
    if scores:
        notes.append(f"'Validation score' read as {name} (higher is better"
                     + ("; an MLPRegressor's R\u00b2 between 0 and 1 is named so too, and judged the same way)"
                        if name == "val_accuracy" else ")"))
    runs = rows_table(rows, lines, label, source, notes)
    for _, c in runs:
        c.context = {**c.context, "model": "sklearn_mlp"}  # its remedies: alpha, max_iter, not dropout
        if scores:  # printed only with early_stopping=True, whose stop watches this score
            c.stop = _stop(text, c.series[name], [r["epoch"] for r in rows], name)
    return runs


_STOPPED = re.compile(r"^(?:Validation score|Training loss) did not improve more than tol=(\S+) for (\d+) "
                      r"consecutive epochs\. Stopping\.", re.M)


def _stop(text: str, scores, epochs: list[int], name: str) -> dict:
    """The stop record of a run with ``early_stopping=True``: it watched ``name`` and put the best
    epoch's weights back at the end; stopped when it printed so (``... for 10 consecutive epochs.
    Stopping.``), else it ran to its ``max_iter`` (not printed)."""
    best = int(np.nanargmax(scores)) if np.isfinite(scores).any() else len(epochs) - 1
    m = _STOPPED.search(text)
    rec = {"monitor": name, "mode": "max", "criterion": "sklearn n_iter_no_change", "best_epoch": epochs[best],
           "restored": True, "restored_epoch": epochs[best], "last_epoch": epochs[-1], "stopped": m is not None}
    if m is not None:
        rec.update(stopped_epoch=epochs[-1], patience=int(m.group(2)), min_delta=float(m.group(1)),
                   reason=f"{name} did not improve by more than tol={m.group(1)} for {m.group(2)} consecutive epochs "
                          f"(scikit-learn's early stopping)")
    return rec
