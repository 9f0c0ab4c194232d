"""XGBoost integration: a training callback that records ``xgboost.train()`` (and the scikit-learn
API's ``fit``) into a fitwatch run, round by round, and stops it early with :class:`fitwatch.EarlyStopping`.

This is the only fitwatch module that imports xgboost; ``fitwatch.xgboost`` is this module. How the
rounds are named is :mod:`fitwatch.diagnosis.readers.boosting_results`'s; docs/boosting.md tells
the whole story.
"""

from __future__ import annotations

import json
import sys

try:
    import xgboost
except ModuleNotFoundError as e:
    if e.name != "xgboost":
        raise
    raise ImportError("fitwatch.xgboost needs XGBoost: pip install 'xgboost>=2.0' (or xgboost-cpu)") from e

from fitwatch.record.boosting import RoundCallback, RoundRecorder, library_stop

__all__ = ["Callback"]

_WHERE = "fitwatch.xgboost.Callback"
#: the booster's training parameters copied into the run's config (from ``Booster.save_config()``)
_TREE_PARAMS = ("eta", "max_depth", "min_child_weight", "subsample", "colsample_bytree", "lambda", "alpha", "gamma",
                "max_leaves", "max_bin")


class Callback(xgboost.callback.TrainingCallback, RoundCallback):
    """Record an XGBoost training into a fitwatch run: every eval set's metrics at every round.

    Each boosting round is an epoch (0, 1, 2..., or the booster's own round numbers when training
    goes on from ``xgb_model``). The eval sets are named as
    :mod:`~fitwatch.diagnosis.readers.boosting_results` says: the set named ``train`` (else the first
    of two or more: ``validation_0`` of ``eval_set=[(X, y), (X_val, y_val)]``) is training, the next
    one validation; the loss is the first metric that is a loss (the objective's default metric,
    ``logloss``, ``mlogloss``, ``rmse``..., when ``eval_metric`` is not given), stored as ``loss``
    and ``val_loss``; every other metric is kept (``auc``, ``val_auc``). The run's info says what
    was chosen (``training_set``, ``validation_set``, ``loss_metric``); the values are those of
    ``evals_result``, exactly.

    ``stop`` is fed every round's values; when it says stop, ``after_iteration`` returns True and
    XGBoost ends training. The stop, its reason and the best round are stored with the run
    (``info["early_stopping"]``), and the booster's ``best_iteration`` and ``best_score`` are set
    to the best round, as XGBoost's own early stopping sets them (the scikit-learn API's
    ``predict`` uses them). With ``restore`` (the default), the booster returned is also cut to its
    best round (``booster[: best_iteration + 1]``, as ``EarlyStopping(save_best=True)`` does), so
    that ``Booster.predict`` too predicts with it, stopped or not; with ``restore=False`` every
    round's trees are kept. Without ``stop`` the booster is left as XGBoost made it.

    When training ends the run is ``finished``, or ``stopped`` (``info["stopped_epoch"]``) when it
    ended before its last round (``stop``, ``early_stopping_rounds``, another callback), and its
    diagnosis is printed (``diagnose``). Each training makes a new run. ``xgboost.cv`` is not
    recorded (a TypeError says so).

    Args:
        name: the run's name (``fitwatch show NAME`` opens it). Defaults to
            ``run-YYYYmmdd-HHMMSS``, chosen when training begins.
        config: hyperparameters to store with the run, over those read from the booster
            (``objective``, ``eta``, ``max_depth``...). Defaults to `None`.
        dir: the store's folder. Defaults to `$FITWATCH_DIR`, else `./fitwatch`.
        stop: a :class:`fitwatch.EarlyStopping` fed every round's values (``val_loss`` by default;
            ``monitor="val_auc"`` for another metric). ``EarlyStopping(patience=k)`` stops at the
            round ``early_stopping_rounds=k`` stops at. It is reset when each training begins.
            Defaults to `None`.
        restore: with ``stop``, cut the booster to its best round at the end. Defaults to `True`.
        diagnose: at the end of training, diagnose the curves, store the diagnosis with the run and
            print it (``"quiet"``: store only; `False`: neither). Defaults to `True`.
        metric: the eval metric stored as the loss (e.g. ``"logloss"`` when ``eval_metric`` lists
            ``"error"`` first). Defaults to `None`: the first loss.

    The parameters are only stored here; they are checked when training begins.

    Attributes:
        run: the :class:`fitwatch.Run` of the latest training (`None` before the first round).
        best_iteration: the best round by ``stop`` (`None` without it).

    Example:

    >>> import tempfile, xgboost, fitwatch
    >>> from sklearn.datasets import load_breast_cancer
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> dtrain, dval = xgboost.DMatrix(X[:400], y[:400]), xgboost.DMatrix(X[400:], y[400:])
    >>> store = tempfile.mkdtemp()
    >>> callback = fitwatch.xgboost.Callback("doc-xgb", dir=store, diagnose=False,
    ...                                      stop=fitwatch.EarlyStopping(patience=5))
    >>> results = {}
    >>> booster = xgboost.train({"objective": "binary:logistic", "nthread": 1}, dtrain, num_boost_round=200,
    ...                         evals=[(dtrain, "train"), (dval, "validation")], evals_result=results,
    ...                         verbose_eval=False, callbacks=[callback])
    >>> run = fitwatch.load("doc-xgb", dir=store)
    >>> run.history["val_loss"] == results["validation"]["logloss"], run.info["loss_metric"]
    (True, 'logloss')
    >>> run.status, booster.best_iteration == run.info["early_stopping"]["best_epoch"]
    ('stopped', True)
    >>> booster.num_boosted_rounds() == booster.best_iteration + 1   # cut to its best round
    True
    """

    def __init__(self, name=None, config=None, *, dir=None, stop=None, restore=True, diagnose=True, metric=None):
        xgboost.callback.TrainingCallback.__init__(self)
        RoundCallback.__init__(self, name, config, dir=dir, stop=stop, restore=restore, diagnose=diagnose,
                               metric=metric)

    def before_training(self, model):
        if not isinstance(model, xgboost.Booster):
            raise TypeError(f"{_WHERE} records xgboost.train() and the scikit-learn API's fit(), not xgboost.cv(); "
                            f"pass it to one of those")
        self.new_recorder(_WHERE, "xgboost", "xgboost.train()")
        self._first = model.num_boosted_rounds()  # training goes on from xgb_model: its rounds first
        self._planned, self._es, self._sklearn = _training_call()
        self._log = None
        self._stopped = False
        return model

    def after_iteration(self, model, epoch, evals_log) -> bool:
        rec = self.recorder
        if rec is None:
            return False
        self._log = evals_log
        try:
            if rec.names is None:
                planned = None if self._planned is None else self._first + self._planned
                stop = rec.round(self._first + epoch, _round(evals_log, -1), planned=planned,
                                 config=_config(model), info={"xgboost_version": xgboost.__version__})
            else:
                stop = rec.round(self._first + epoch, _round(evals_log, -1))
        except Exception as e:
            rec.abort(e)
            raise
        self._stopped = self._stopped or stop
        return stop

    def after_training(self, model):
        rec = self.recorder
        if rec is None or not rec.fitting:
            return model
        self._catch_up()
        best = rec.best_round
        info = {}
        if best is not None:  # with stop: the best round, as XGBoost's own early stopping keeps it
            data, metric = _watched(rec)
            score = self._log[data][metric][best - self._first]
            model.set_attr(best_iteration=str(best), best_score=str(score))
            if self.restore:
                try:
                    model = model[: best + 1]
                    model.set_attr(best_iteration=str(best), best_score=str(score))
                except xgboost.core.XGBoostError as e:  # gblinear: no slicing
                    info["restore_note"] = f"the booster could not be cut to its best round ({e}); best_iteration is set"
                    rec.keeper.restore_round = False
        last = rec.last_round
        planned_last = None if self._planned is None else self._first + self._planned - 1
        stopped = self._stopped or (planned_last is not None and last is not None and last < planned_last)
        if best is None and self._es is not None and model.attr("best_iteration") is not None and last is not None:
            info["early_stopping"] = self._own_stop(model, last, planned_last)
        rec.end(stopped_at=last if stopped else None, **info)
        return model

    def _own_stop(self, model, last: int, planned_last: int | None) -> dict:
        """XGBoost's own early stopping (``early_stopping_rounds``, or an ``EarlyStopping`` callback)
        as the run's stop record: the set and metric it watched (the last of each by default), its
        best round, whether it stopped training."""
        es, log = self._es, self._log or {}
        data = es.data or (list(log)[-1] if log else None)
        metric = es.metric_name or (list(log[data])[-1] if data in log and log[data] else None)
        monitor = self.recorder.names.keys.get((data, metric), f"{data}-{metric}")
        score = model.attr("best_score")
        return library_stop(
            "XGBoost", monitor, patience=int(es.rounds), min_delta=getattr(es, "_min_delta", 0.0) or 0.0,
            maximize=bool(es.maximize), best=int(model.attr("best_iteration")),
            best_value=None if score is None else float(score), stopped=es.current_rounds >= es.rounds, last=last,
            planned=None if planned_last is None else planned_last + 1, restored=bool(es.save_best or self._sklearn),
            unrestored_hint="Booster.predict uses every round unless given iteration_range=(0, best_iteration + 1) (or "
                            "train with EarlyStopping(save_best=True))")

    def _catch_up(self) -> None:
        """Rounds another callback stopped before this one saw them (XGBoost asks the callbacks in
        turn and stops at the first True): recorded from the evaluation log."""
        rec, log = self.recorder, self._log
        if log is None:
            return
        n = len(next(iter(next(iter(log.values())).values())))
        for i in range(rec.last_round - self._first + 1, n):
            rec.round(self._first + i, _round(log, i))

    def __getstate__(self):  # copied by sklearn.clone, pickled with an XGBModel: the parameters only
        state = dict(self.__dict__)
        state["recorder"] = None
        return state

    def __repr__(self) -> str:
        return f"fitwatch.xgboost.Callback(name={self.name!r}, run={self.run!r})"


def _round(evals_log: dict, i: int) -> dict:
    """Round ``i`` of XGBoost's evaluation log: ``{set: {metric: value}}``."""
    return {s: {m: v[i] for m, v in d.items()} for s, d in evals_log.items()}


def _watched(rec: RoundRecorder) -> tuple[str, str]:
    """The (eval set, metric) the stop rule watches."""
    return next(pair for pair, key in rec.names.keys.items() if key == rec.stop.monitor)


def _training_call() -> tuple[int | None, object, bool]:
    """What the ``xgboost.train()`` call running this callback was given: ``num_boost_round``, its own
    ``EarlyStopping`` callback (``early_stopping_rounds``, or one passed in), and whether the
    scikit-learn API called it (its ``predict`` uses ``best_iteration``)."""
    planned, es, sklearn = None, None, False
    frame = sys._getframe(1)
    while frame is not None:
        name = frame.f_globals.get("__name__")
        if name == "xgboost.training" and "num_boost_round" in frame.f_locals and planned is None:
            try:
                planned = int(frame.f_locals["num_boost_round"])
            except (TypeError, ValueError):
                planned = None
            callbacks = frame.f_locals.get("callbacks")
            es = next((cb for cb in callbacks or () if isinstance(cb, xgboost.callback.EarlyStopping)), None)
        sklearn = sklearn or name == "xgboost.sklearn"
        frame = frame.f_back
    return planned, es, sklearn


def _config(model) -> dict:
    """The booster's objective, booster kind and tree parameters, read from its saved config."""
    try:
        learner = json.loads(model.save_config())["learner"]
    except Exception:  # pragma: no cover - a booster without a config
        return {}
    config = {"objective": learner.get("objective", {}).get("name"),
              "booster": learner.get("gradient_booster", {}).get("name")}
    tree = learner.get("gradient_booster", {}).get("tree_train_param", {})
    for key in _TREE_PARAMS:
        if key in tree:
            try:
                config[key] = float(tree[key]) if "." in str(tree[key]) or "e" in str(tree[key]) else int(tree[key])
            except ValueError:
                config[key] = tree[key]
    metrics = learner.get("metrics")
    if metrics:
        config["eval_metric"] = [m.get("name") for m in metrics]
    return config
