"""LightGBM integration: a callback that records ``lightgbm.train()`` (and the scikit-learn API's
``fit``) into a fitwatch run, iteration by iteration, and stops it early with :class:`fitwatch.EarlyStopping`.

This is the only fitwatch module that imports lightgbm; ``fitwatch.lightgbm`` is this module. How
the iterations are named is :mod:`fitwatch.diagnosis.readers.boosting_results`'s; docs/boosting.md
tells the whole story.
"""

from __future__ import annotations

import sys

try:
    import lightgbm
except ModuleNotFoundError as e:
    if e.name != "lightgbm":
        raise
    raise ImportError("fitwatch.lightgbm needs LightGBM: pip install 'lightgbm>=4.0'") from e

from fitwatch.record.boosting import RoundCallback, library_stop

__all__ = ["Callback", "callback"]

_WHERE = "fitwatch.lightgbm.callback"
#: where this callback runs among LightGBM's own: after record_evaluation (20), before early_stopping (30)
ORDER = 25


def callback(name=None, config=None, *, dir=None, stop=None, restore=True, diagnose=True, metric=None) -> "Callback":
    """Create a callback that records a LightGBM training into a fitwatch run (LightGBM's idiom:
    ``callbacks=[fitwatch.lightgbm.callback(...)]``, as ``lightgbm.early_stopping(...)``).

    Every iteration is an epoch (0, 1, 2..., LightGBM's own iteration numbers when training goes on
    from ``init_model``), holding ``env.evaluation_result_list``: the values ``record_evaluation``
    (and ``LGBMModel.evals_result_``) hold, exactly. The sets are named as
    :mod:`~fitwatch.diagnosis.readers.boosting_results` says: ``training`` (the training data among
    ``valid_sets``; else the first of two sets or more) is training, the next set validation; the
    loss is the first metric that is a loss (the objective's default metric, ``l2``,
    ``binary_logloss``, ``multi_logloss``..., when ``metric`` is not set), stored as ``loss`` and
    ``val_loss``; every other metric is kept. The run's info says what was chosen.

    ``stop`` is fed every iteration's values; when it says stop, the callback raises
    ``lightgbm.callback.EarlyStopException(best_iteration, best_score)``, as
    ``lightgbm.early_stopping`` does, and LightGBM ends training. With ``restore`` (the default) the
    booster's ``best_iteration`` is then the best one (``Booster.predict`` and the scikit-learn API's
    ``predict`` use it), also when training ran to its last iteration; with ``restore=False`` it is
    the last one. The stop, its reason and the best iteration are stored with the run
    (``info["early_stopping"]``); the run is ``finished``, or ``stopped`` (``info["stopped_epoch"]``),
    and its diagnosis printed (``diagnose``).

    LightGBM calls no callback when training ends: the run ends at the last iteration, at the stop,
    or when another callback (``lightgbm.early_stopping``, ``early_stopping_rounds=``) raises
    ``EarlyStopException`` (``info["stopped_by"]`` names it) or another exception (``failed``): the
    callbacks after this one are watched for that. Each training makes a new run; ``lightgbm.cv`` is
    not recorded (a TypeError says so).

    Args:
        name: the run's name (``fitwatch show NAME`` opens it). Defaults to
            ``run-YYYYmmdd-HHMMSS``, chosen when training begins.
        config: hyperparameters to store with the run, over the training's ``params``.
            Defaults to `None`.
        dir: the store's folder. Defaults to `$FITWATCH_DIR`, else `./fitwatch`.
        stop: a :class:`fitwatch.EarlyStopping` fed every iteration's values (``val_loss`` by
            default). ``EarlyStopping(patience=k)`` stops where ``lightgbm.early_stopping(k)`` does
            with one validation set and one metric. It is reset when each training begins.
            Defaults to `None`.
        restore: with ``stop``, make the best iteration the booster's ``best_iteration``.
            Defaults to `True`.
        diagnose: at the end of training, diagnose the curves, store the diagnosis with the run and
            print it (``"quiet"``: store only; `False`: neither). Defaults to `True`.
        metric: the metric stored as the loss. Defaults to `None`: the first loss.

    Returns:
        A :class:`Callback`; its ``run`` is the run of the latest training.

    Example:

    >>> import tempfile, lightgbm, fitwatch
    >>> from sklearn.datasets import load_diabetes
    >>> X, y = load_diabetes(return_X_y=True)
    >>> train, val = lightgbm.Dataset(X[:300], y[:300]), lightgbm.Dataset(X[300:], y[300:])
    >>> store, results = tempfile.mkdtemp(), {}
    >>> params = {"objective": "regression", "num_threads": 1, "verbose": -1}
    >>> booster = lightgbm.train(params, train, num_boost_round=300, valid_sets=[train, val],
    ...                          callbacks=[lightgbm.record_evaluation(results),
    ...                                     fitwatch.lightgbm.callback("doc-lgb", dir=store, diagnose=False,
    ...                                                                stop=fitwatch.EarlyStopping(patience=10))])
    >>> run = fitwatch.load("doc-lgb", dir=store)
    >>> run.history["val_loss"] == results["valid_1"]["l2"], run.info["loss_metric"]
    (True, 'l2')
    >>> run.status, booster.best_iteration == run.info["early_stopping"]["best_epoch"] + 1   # 1-based
    ('stopped', True)
    """
    return Callback(name, config, dir=dir, stop=stop, restore=restore, diagnose=diagnose, metric=metric)


class Callback(RoundCallback):
    """The callable :func:`callback` returns (see it for the arguments): called by LightGBM after
    each iteration (``order`` 25: after ``record_evaluation``, before ``early_stopping``).

    Attributes:
        run: the :class:`fitwatch.Run` of the latest training (`None` before the first iteration).
        best_iteration: the best iteration (0-based) by ``stop`` (`None` without it).
    """

    def __init__(self, name=None, config=None, *, dir=None, stop=None, restore=True, diagnose=True, metric=None):
        super().__init__(name, config, dir=dir, stop=stop, restore=restore, diagnose=diagnose, metric=metric)
        self.order, self.before_iteration = ORDER, False  # in the instance: lightgbm.train() sets a missing order
        self._best_scores = None  # env.evaluation_result_list of the best iteration

    def __call__(self, env) -> None:
        if env.iteration == env.begin_iteration:
            self._begin(env)
        rec = self.recorder
        if rec is None or env.evaluation_result_list is None:
            return
        results: dict = {}
        for r in env.evaluation_result_list:  # EvalResult (lightgbm 4.7) or (set, metric, value, maximize)
            results.setdefault(r[0], {})[r[1]] = r[2]
        try:
            if rec.names is None:
                params = {k: v for k, v in (env.params or {}).items() if isinstance(v, (int, float, str, bool))}
                stop = rec.round(env.iteration, results, planned=env.end_iteration, config=params,
                                 info={"lightgbm_version": lightgbm.__version__})
            else:
                stop = rec.round(env.iteration, results)
        except Exception as e:
            rec.abort(e)
            raise
        if rec.keeper is not None and rec.keeper.kept_epoch == env.iteration:
            self._best_scores = list(env.evaluation_result_list)
        last = env.iteration == env.end_iteration - 1
        if stop or last:
            self._end(env, stop)

    def _begin(self, env) -> None:
        if not isinstance(env.model, lightgbm.Booster):
            raise TypeError(f"{_WHERE} records lightgbm.train() and the scikit-learn API's fit(), not lightgbm.cv(); "
                            f"pass it to one of those")
        self.new_recorder(_WHERE, "lightgbm", "lightgbm.train()")
        self._best_scores = None
        _watch_later(self)

    def _end(self, env, stop: bool) -> None:
        """The last iteration, or the rule's stop: end the run; with ``stop=``, tell LightGBM the
        iteration to keep, as its own early_stopping does."""
        rec = self.recorder
        best, scores = rec.best_round, self._best_scores
        if not self.restore or best is None:
            best, scores = env.iteration, list(env.evaluation_result_list)
        rec.end(stopped_at=env.iteration if stop else None)
        if rec.keeper is not None:
            raise lightgbm.callback.EarlyStopException(best, scores)

    def ended_by(self, env, exc: BaseException, other) -> None:
        """A callback after this one raised ``exc`` at ``env``'s iteration: the run ends with it."""
        rec = self.recorder
        if rec is None or not rec.fitting:
            return
        if isinstance(exc, lightgbm.callback.EarlyStopException):
            stopped = env.iteration if env.iteration < env.end_iteration - 1 else None
            info = {}
            if rec.keeper is None and hasattr(other, "stopping_rounds"):  # lightgbm.early_stopping's
                info["early_stopping"] = _own_stop(rec, env, exc, other, stopped is not None)
            rec.end(stopped_at=stopped, stopped_by=f"{type(other).__name__}: EarlyStopException, best iteration "
                                                   f"{exc.best_iteration}", **info)
        else:
            rec.abort(exc)

    def __repr__(self) -> str:
        return f"fitwatch.lightgbm.Callback(name={self.name!r}, run={self.run!r})"


def _own_stop(rec, env, exc, es, stopped: bool) -> dict:
    """LightGBM's own early stopping (``lightgbm.early_stopping``) as the run's stop record: the metric
    that stopped it (the first whose best iteration is ``stopping_rounds`` behind), its best iteration;
    the booster predicts with it (``best_iteration``)."""
    results = list(env.evaluation_result_list or [])
    best_iter = getattr(es, "best_iter", None) or []
    at = next((i for i, r in enumerate(results) if i < len(best_iter) and best_iter[i] == exc.best_iteration
               and env.iteration - best_iter[i] >= es.stopping_rounds and r[0] != rec.names.train), None)
    r = results[at] if at is not None else None
    monitor = rec.names.keys.get((r[0], r[1])) if r is not None else None
    best_value = None
    if r is not None:
        best_value = next((float(b[2]) for b in exc.best_score if (b[0], b[1]) == (r[0], r[1])), None)
    delta = es.min_delta[at] if isinstance(es.min_delta, list) and at is not None and at < len(es.min_delta) \
        else es.min_delta if isinstance(es.min_delta, (int, float)) else 0.0
    return library_stop("LightGBM", monitor or "val_loss", patience=int(es.stopping_rounds), min_delta=delta,
                        maximize=bool(r[3]) if r is not None and len(r) > 3 else False, best=int(exc.best_iteration),
                        best_value=best_value, stopped=stopped, last=int(env.iteration),
                        planned=int(env.end_iteration), restored=True)


class _Watched:
    """A callback that LightGBM calls after ours: an exception it raises ends our run first."""

    def __init__(self, inner, owner: Callback):
        self.inner, self.owner = inner, owner
        self.order = getattr(inner, "order", ORDER)
        self.before_iteration = False

    def __call__(self, env) -> None:
        try:
            self.inner(env)
        except BaseException as e:
            self.owner.ended_by(env, e, self.inner)
            raise


def _watch_later(owner: Callback) -> None:
    """Wrap the callbacks that ``lightgbm.train()`` calls after ``owner`` (its local list
    ``callbacks_after_iter``, sorted by order, found on the stack as the Keras integration finds its
    CallbackList), so that an ``EarlyStopException`` they raise ends the run. Without that list (another
    LightGBM), nothing is wrapped: such a run is marked failed when the next training begins, else at exit."""
    frame, depth = sys._getframe(2), 0
    while frame is not None and depth < 8:
        value = frame.f_locals.get("callbacks_after_iter") if frame.f_globals.get("__name__") == "lightgbm.engine" \
            else None
        if isinstance(value, list) and any(cb is owner for cb in value):
            at = next(i for i, cb in enumerate(value) if cb is owner)
            for i in range(at + 1, len(value)):
                if not isinstance(value[i], _Watched):
                    value[i] = _Watched(value[i], owner)
            return
        frame, depth = frame.f_back, depth + 1
