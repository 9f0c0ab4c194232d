"""A fit that a framework drives: the :class:`fitwatch.Run` methods an integration maps its events onto.

A framework integration (``fitwatch.keras.Callback``, ``fitwatch.lightning.Logger``,
``fitwatch.transformers.Callback``; next: XGBoost, LightGBM, scikit-learn, Ray Tune and Optuna) creates a :class:`fitwatch.Run` and calls,
from the framework's events:

==========================================  ======================================================
``Run.begin_fit(epochs, keeper=...)``       training begins (Keras ``on_train_begin``, HF
                                            ``on_train_begin``, XGBoost ``before_training``,
                                            Lightning ``on_fit_start``)
``Run.begin_epoch(epoch) -> stored epoch``  an epoch begins; the stored number follows the run's
                                            epochs when the framework restarted its count
``Run.check_stop(logs, epoch=) -> bool``    an epoch's values are known: the stop rule judges them
                                            (Keras ``model.stop_training``, HF
                                            ``control.should_training_stop``, XGBoost's return
                                            value, Lightning ``trainer.should_stop``)
``Run.end_fit(stopped_at=)``                training ended (Keras/HF ``on_train_end``, XGBoost
                                            ``after_training``, Lightning
                                            ``Logger.finalize("success")``)
``Run.abort_fit(exc)``                      training raised, when the framework says so (Lightning
                                            ``finalize("failed")``); a fit that raised without a
                                            word is aborted by :mod:`fitwatch.record.lifecycle`
``Run.resume(config, info)``                a later fit with the same callback: the same run goes on
==========================================  ======================================================

Values are logged as usual in between (``Run.log`` per batch, ``Run.log_epoch`` per epoch). The
run owns everything else: the fit in flight and how it ends when an exception cuts it short, the
epoch shift, the early-stopping bookkeeping (the stop and its reason stored with the run when it
happens, the best weights restored at the end), and the rule's state stored at the end of every
epoch (``info["early_stopping_state"]``) so that a resumed run goes on with its patience where
it was.

Example:
    >>> import tempfile, fitwatch
    >>> from fitwatch.stopping import BestKeeper
    >>> run = fitwatch.Run("driven", dir=tempfile.mkdtemp(), diagnose=False)
    >>> run.begin_fit(10, keeper=BestKeeper(fitwatch.EarlyStopping(patience=1)))
    >>> for epoch in range(10):                      # the framework's loop
    ...     stored = run.begin_epoch(epoch)
    ...     logs = {"loss": 1.0 / (epoch + 1), "val_loss": [0.5, 0.4, 0.45, 0.5][epoch]}
    ...     run.log_epoch(logs)                      # outside Run.epochs(): ends the epoch
    ...     if run.check_stop(logs, epoch=stored):
    ...         break
    >>> run.end_fit(stopped_at=epoch)
    >>> run.status, run.info["stopped_epoch"], run.info["early_stopping"]["best_epoch"]
    ('stopped', 2, 1)
"""

from __future__ import annotations

import warnings

from fitwatch.core.caller import user_stacklevel
from fitwatch.core.names import keras_key
from fitwatch.core.stop_record import beside_rule
from fitwatch.record.lifecycle import end_interrupted_fits, fit_began, fit_ended, interrupted

#: where a run keeps its early-stopping state (``BestKeeper.state_dict()``) in its info
STOP_STATE = "early_stopping_state"


class Fit:
    """A fit in flight: what :meth:`FitLifecycle.begin_fit` was told, and the epoch shift."""

    __slots__ = ("planned", "start", "offset", "on_abort", "progress", "call")

    def __init__(self, planned, start, on_abort, progress, call):
        self.planned = planned  # the framework's number of epochs (None: not known)
        self.start = start  # the run's next epoch when the fit began
        self.offset = None  # stored epoch - framework epoch, fixed at the fit's first epoch
        self.on_abort, self.progress, self.call = on_abort, progress, call


class FitLifecycle:
    """The methods with which a framework drives a :class:`fitwatch.Run` (mixed into it)."""

    _fit: Fit | None = None
    _keeper = None  # the BestKeeper of Run.epochs(stop=...) or of a fit, while it runs
    _keeper_planned = None  # the planned number of epochs, stored with the stop
    _state_epoch = None  # the last epoch whose early-stopping state is stored
    _stored_stop = None  # a resumed run's stored early-stopping state, taken by the first keeper
    _replay: list = []  # epochs stored after that state: (epoch, logs)

    @property
    def fitting(self) -> bool:
        """Whether a fit that a framework began (:meth:`begin_fit`) is in flight."""
        return self._fit is not None

    def begin_fit(self, epochs: int | None = None, *, keeper=None, resume_stop: bool = True, owner=None,
                  still_running=None, on_abort=None, progress: bool = False, call: str = "training") -> None:
        """A framework's training begins: from now on the run has a fit in flight.

        Fits in flight that an exception interrupted are ended first (see
        :func:`fitwatch.record.lifecycle.end_interrupted_fits`). Until :meth:`end_fit` or
        :meth:`abort_fit`, an exception that the framework does not report still ends this fit:
        the exception hook marks the run ``failed`` (``stopped`` for Ctrl-C) when it ends the
        script, else the next fit that begins, else the exit hook, marks it ``failed``.

        Args:
            epochs: the number of epochs the framework will run (Keras's ``epochs``), for the
                progress bar and the stop record. Defaults to `None` (not known).
            keeper: a :class:`fitwatch.stopping.BestKeeper`, made before the run so that its
                arguments are checked first: fed by :meth:`check_stop`, it restores the best
                weights in :meth:`end_fit`. Defaults to `None`.
            resume_stop: whether the keeper's rule goes on from the state stored with the run when
                the run was resumed (``Run(name, resume=True)`` or :meth:`resume`); `False` starts
                it afresh. Defaults to `True`.
            owner: the object whose events drive the fit (the callback): its own earlier fit
                that never ended is ended when it begins another. Defaults to `None`.
            still_running: a function telling, when another fit begins, whether this one is
                still running (True: an outer fit on the stack; False: an exception interrupted
                it; None: cannot tell, left alone). Defaults to `None` (interrupted).
            on_abort: called first by :meth:`abort_fit`: commit what the integration holds and
                return the values of the epoch in progress (Keras-style keys; ``{}`` when there
                are none), or None when no epoch was in progress. Defaults to `None`.
            progress: show fitwatch's epoch progress bar. Defaults to `False`.
            call: what the user called, in error messages (``"fit()"``). Defaults to `"training"`.

        Raises:
            RuntimeError: the run is no longer running.

        Example:
            >>> import tempfile, fitwatch
            >>> run = fitwatch.Run("begun", dir=tempfile.mkdtemp(), diagnose=False)
            >>> run.begin_fit(3, owner="my callback", call="train()")
            >>> run.fitting
            True
            >>> run.end_fit()
            >>> run.fitting, run.status
            (False, 'finished')
        """
        end_interrupted_fits(owner)
        if self.status != "running":
            raise RuntimeError(f"fitwatch: run {self.name!r} is {self.status}; start a new Run to fit again")
        self._fit = Fit(epochs, self.epoch, on_abort, progress, call)
        self._stopped_early = False
        self.info.pop("early_stopping", None)  # an earlier fit's: the record describes the latest one
        if keeper is not None:
            self._use_keeper(keeper, epochs, resume_stop)
        fit_began(self, owner, still_running, call)

    def begin_epoch(self, epoch: int) -> int:
        """An epoch of the fit begins: returns its stored number, which batches are recorded under.

        The first epoch of a fit fixes the shift: when the framework counts from an epoch that the
        run already holds (Keras's ``initial_epoch`` left at 0 in a resumed run), its epochs are
        shifted to follow the stored ones, so that nothing recorded is overwritten.

        Args:
            epoch: the framework's epoch number (0-based).

        Example:
            >>> import tempfile, fitwatch
            >>> run = fitwatch.Run("shifted", dir=tempfile.mkdtemp(), diagnose=False)
            >>> run.log_epoch(loss=1.0)                    # epoch 0, before the fit
            >>> run.begin_fit(2)
            >>> run.begin_epoch(0), run.begin_epoch(1)     # the framework starts again from 0
            (1, 2)
            >>> run.end_fit()
        """
        fit = self._fit
        if fit is None:
            raise RuntimeError(f"fitwatch: run {self.name!r} has no fit in flight; call begin_fit() first")
        if fit.offset is None:
            fit.offset = max(0, fit.start - int(epoch))
            if fit.planned is not None:
                self._keeper_planned = int(fit.planned) + fit.offset
                if self._keeper is not None:  # the run's plan: a resumed run's later fit counts on from its epochs
                    self._keeper.plan(self._keeper_planned)
            if fit.progress:
                from fitwatch.record.progress import EpochBar

                self._bar = EpochBar(self.name, total=int(fit.planned or 0) + fit.offset, start=int(epoch) + fit.offset)
                self._bar.start()  # end_epoch() updates it
        self.epoch = int(epoch) + fit.offset
        return self.epoch

    def check_stop(self, logs: dict, epoch: int | None = None) -> bool:
        """Hand an epoch's values to the stop rule; True when training should stop now.

        On a new best the keeper copies the weights (and writes the checkpoint). A stop is stored
        with the run at once (``info["early_stopping"]``, ``info["stopped_epoch"]``: a process
        killed later keeps it); the rule's state is stored once the epoch's values are (here when
        the epoch has ended, else when it ends). Without a keeper it returns False.

        Args:
            logs: the epoch's Keras-style values (``{"loss": ..., "val_loss": ...}``).
            epoch: the stored epoch they belong to. Defaults to `None` (the current one).

        Example:
            >>> import tempfile, fitwatch
            >>> from fitwatch.stopping import BestKeeper
            >>> run = fitwatch.Run("judged", dir=tempfile.mkdtemp(), diagnose=False)
            >>> run.begin_fit(5, keeper=BestKeeper(fitwatch.EarlyStopping(patience=0)))
            >>> run.check_stop({"val_loss": 0.5}, epoch=run.begin_epoch(0))
            False
            >>> run.check_stop({"val_loss": 0.6}, epoch=run.begin_epoch(1))   # worse, no patience
            True
            >>> run.info["stopped_epoch"], run.info["early_stopping"]["best_epoch"]
            (1, 0)
            >>> run.end_fit(stopped_at=1)
        """
        keeper = self._keeper
        if keeper is None:
            return False
        epoch = self.epoch if epoch is None else int(epoch)
        stop = keeper.epoch_end(epoch, logs or {})
        if getattr(self, "_reducer", None) is not None:  # DDP: rank 0 decides, every rank leaves together
            stop = self._reducer.decide(stop)
        changed = epoch < self.epoch and self._save_stop_state(store=False)  # the epoch is written
        if stop:
            self._record_stop(store=False)
        if (stop or changed) and self.status == "running":
            self.store.update_run(self.id, info=self.info)
        return stop

    def end_fit(self, status: str | None = None, *, stopped_at: int | None = None,
                framework_stop: dict | None = None, restores_last: bool = False) -> None:
        """The framework's training ended: restore the best weights, store the outcome, finish the run.

        The run's stop record (``info["early_stopping"]``) is fitwatch's rule's, when the fit had one;
        else the framework's own early stopping's (``framework_stop``); else there is none (an earlier
        fit's record no longer describes the run).

        Args:
            status: the run's final status. Defaults to `None`: ``stopped`` when ``stopped_at``
                is given, else ``finished``.
            stopped_at: the framework's epoch at which something ended training before its last
                planned epoch (Keras: ``model.stop_training``, by fitwatch's rule or another
                callback), stored, shifted like the epochs, as ``info["stopped_epoch"]``.
                Defaults to `None`.
            framework_stop: the stop record of the framework's own early stopping in this fit
                (:func:`fitwatch.stopping.keeper.framework_stop`). Beside fitwatch's rule, a stop of its
                that ended training where the rule did not is kept as the record's ``"stopped_by"``,
                and its restore (``restored``) as the record's, with ``"restored_by"``, where fitwatch's
                rule restored nothing or ``restores_last``. Defaults to `None`.
            restores_last: the framework's restore comes after fitwatch's (Keras's
                ``EarlyStopping(restore_best_weights=True)`` after fitwatch's callback in the list), so the
                model ends with its weights. Defaults to `False`.

        Example:
            >>> import tempfile, fitwatch
            >>> run = fitwatch.Run("ended", dir=tempfile.mkdtemp(), diagnose=False)
            >>> run.log_epoch(loss=1.0)                    # an earlier fit's epoch 0
            >>> run.begin_fit(10)
            >>> for epoch in range(3):                     # the framework counts from 0 again
            ...     run.log_epoch(loss=0.5, epoch=run.begin_epoch(epoch))
            >>> run.end_fit(stopped_at=2)                  # stored epochs 1, 2, 3
            >>> run.status, run.info["stopped_epoch"]
            ('stopped', 3)
        """
        fit = self._fit
        offset = 0 if fit is None or fit.offset is None else fit.offset
        self._close_fit()
        if self._keeper is not None:
            self._keeper.finish()  # the best weights back, stopped or not
            self._record_stop(store=False)  # finish() stores it
            self._keeper = None
            if framework_stop:
                beside_rule(self.info["early_stopping"], framework_stop, restores_last)
        elif framework_stop is not None:
            self.info["early_stopping"] = framework_stop
        if stopped_at is not None:
            self.finish(status or "stopped", stopped_epoch=int(stopped_at) + offset)
        elif "stopped_epoch" in self.info:  # an earlier fit of this run was stopped; this one was not
            self.finish(status or "finished", stopped_epoch=None)
        else:
            self.finish(status)

    def abort_fit(self, exc: BaseException | None = None, *, error: str | None = None) -> None:
        """The framework's training raised: mark the run failed (``stopped`` for Ctrl-C).

        The integration's ``on_abort`` commits what it holds first; the epoch in progress keeps
        the values it returns (``info["interrupted_epoch"]`` names it). The stop record is stored
        without restoring weights. Nothing happens when the run is no longer running.

        Args:
            exc: the exception (its traceback is stored). Defaults to `None`.
            error: what to store when there is no exception. Defaults to `None`.

        Example:
            >>> import tempfile, fitwatch
            >>> run = fitwatch.Run("aborted", dir=tempfile.mkdtemp(), diagnose=False)
            >>> run.begin_fit(5, on_abort=lambda: {"loss": 0.7})   # the running mean of epoch 0
            >>> run.begin_epoch(0)
            0
            >>> run.abort_fit(RuntimeError("out of memory"))
            >>> run.status, run.info["interrupted_epoch"], run.history["loss"]
            ('failed', 0, [0.7])
        """
        fit = self._fit
        self._close_fit()
        if self.status != "running":
            return
        partial = None
        if fit is not None and fit.on_abort is not None:
            try:
                partial = fit.on_abort()
            except Exception:  # never hide the original error
                partial = None
        if self._keeper is not None:  # no restore: the framework calls nothing more
            self._record_stop(store=False)
            self._keeper = None
        if partial is not None:
            self.info["interrupted_epoch"] = self.epoch
            if partial:
                try:
                    self.log_epoch(partial, epoch=self.epoch)
                except Exception:  # never hide the original error
                    pass
        if exc is not None:
            self.fail(exc)
        else:
            self.finish("failed", error=error)

    def resume(self, config: dict | None = None, info: dict | None = None):
        """The same run going on, in a new :class:`fitwatch.Run` (a later fit with the same callback).

        This object is finished first if it is still running. When another run of this name was
        started since, the latest one goes on, with a warning.

        Args:
            config: hyperparameters to add (as ``Run(config=)``). Defaults to `None`.
            info: facts to add (as ``Run(info=)``). Defaults to `None`.

        Example:
            >>> import tempfile, fitwatch
            >>> run = fitwatch.Run("twice", dir=tempfile.mkdtemp(), diagnose=False)
            >>> run.log_epoch(loss=1.0)
            >>> again = run.resume(config={"phase": 2})
            >>> again.id == run.id, again.epoch, run.status
            (True, 1, 'finished')
            >>> again.finish()
        """
        if self.status == "running":
            self.finish()
        run = type(self)(self.name, config, dir=self.store.path, resume=True, progress=self.progress, info=info,
                         diagnose=self.diagnose)
        if run.id != self.id:
            warnings.warn(f"fitwatch: another run named {self.name!r} was started since run #{self.id}; it goes on in "
                          f"the latest one, #{run.id}", stacklevel=user_stacklevel())
        return run

    # -- the stop bookkeeping, shared with Run.epochs -----------------------------------------------
    def _use_keeper(self, keeper, planned, resume_stop: bool) -> None:
        """A keeper starts (a fit, or an epochs() loop): its rule goes on from the stored state when
        the run was resumed; its earlier outcome no longer describes the run."""
        self.info.pop("early_stopping", None)  # an earlier loop's; this one's is stored as it goes
        self._keeper, self._keeper_planned, self._state_epoch = keeper, planned, None
        state, self._stored_stop = self._stored_stop, None
        if state is None or not resume_stop:
            return
        try:
            keeper.resume(state, self._replay, first_epoch=self.epoch)
        except (ValueError, KeyError, TypeError) as e:
            if keeper.stops:
                warnings.warn(f"fitwatch: run {self.name!r} was resumed, but its stored early-stopping state does not "
                              f"fit this rule ({e}); the rule starts afresh", stacklevel=user_stacklevel())
            if callable(getattr(keeper.stop, "reset", None)):
                keeper.stop.reset()

    def _save_stop_state(self, store: bool = True) -> bool:
        """Put the keeper's state into the run's info (and the store); False when it has none."""
        state = self._keeper.state_dict()
        if state is None:
            return False
        self.info[STOP_STATE] = state
        self._state_epoch = self._keeper.last_epoch
        if store and self.status == "running":
            self.store.update_run(self.id, info=self.info)
        return True

    def _record_stop(self, store: bool = True) -> None:
        """Put the early-stopping outcome into the run's info (and the store, when ``store``); a
        framework's run says whose words its remedies take (``"source"``: ``"keras"``...)."""
        info = self._keeper.info(self._keeper_planned)
        if isinstance(self.info.get("framework"), str):
            info.setdefault("source", self.info["framework"])
        self.info["early_stopping"] = info
        if info["stopped"]:
            self.info["stopped_epoch"] = info["stopped_epoch"]  # as the Keras callback records it
        if store and self.status == "running":
            self.store.update_run(self.id, info=self.info)

    def _close_fit(self) -> None:
        """The fit is no longer in flight; its progress bar stops."""
        fit, self._fit = self._fit, None
        fit_ended(self)
        if fit is not None and self._bar is not None:
            self._bar.stop()
            self._bar = None

    def _remember_stop_state(self, data) -> None:
        """A resumed run (``data``: its RunData): keep its stored early-stopping state, and the values
        of the epochs stored after it (a process killed between writing an epoch and its state), left
        out the epoch an error cut short."""
        state = self.info.get(STOP_STATE)
        if not isinstance(state, dict):
            if not len(data.epochs):
                return
            state = {"rule": None}  # no rule's state stored (an earlier fit without one, or 0.1.0): every
            # stored epoch is replayed into the rule, which then knows what an uninterrupted one would
        self._stored_stop = state
        after = state.get("last_epoch")
        after = -1 if not isinstance(after, int) else after
        cut = {self.info.get("partial_epoch"), self.info.get("interrupted_epoch")}
        self._replay = [
            (e, {keras_key(s, m): float(v[i]) for (s, m), v in data.metrics.items() if data.present[(s, m)][i]})
            for i, e in enumerate(data.epochs.tolist()) if e > after and e not in cut
        ]
