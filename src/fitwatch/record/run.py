"""A training run: the object a training loop logs into."""

from __future__ import annotations

import numbers
import os
import time
import traceback
import warnings
from typing import Iterator

from fitwatch.core.caller import user_stacklevel
from fitwatch.core.names import keras_key, split_key
from fitwatch.record.accumulator import NonFiniteValue, SplitAccumulator, clock_mask, stored_split
from fitwatch.record.distributed import setup as ddp_setup
from fitwatch.record.fit import FitLifecycle
from fitwatch.record.notebook_live import epoch_display
from fitwatch.record.watching import BeforeMixin, WatchMixin
from fitwatch.record.stored import StoredMixin, check_labels
from fitwatch.record.lifecycle import chain_exit_hooks, diagnose_finished, refuse_a_live_writer, register, unregister  # noqa: F401,E501 (chain_exit_hooks: its former home)
from fitwatch.store import Store, StoreWriteWarning
from fitwatch.store.status import STATUSES
from fitwatch.store.writer import FLUSH_WAIT_S

_FLUSH_EVERY_S = 1.0  # batch rows reach the store at least this often during a long epoch


class Run(WatchMixin, BeforeMixin, FitLifecycle, StoredMixin):
    """Record one training run: per-batch and per-epoch loss and metrics of every split.

    ``Run.log`` takes batch values; each epoch's value is their sample-weighted mean,
    ``sum(value * n) / sum(n)``. ``Run.epochs`` drives the epoch loop and commits each epoch to the
    store before the next one starts, so a killed process keeps every completed epoch.

    Args:
        name: the run's name (shown by ``fitwatch runs``; ``fitwatch show NAME`` opens the latest
            run of that name). Default: ``run-YYYYmmdd-HHMMSS``.
        config: hyperparameters and anything else worth keeping with the run (JSON-serialisable
            values; others are stored as their ``repr``).
        dir: the store's folder. Default: ``$FITWATCH_DIR``, else ``./fitwatch``.
        resume: continue the latest run of this name (its epochs go on from the last one stored;
            from an epoch Ctrl-C or an error cut short, that epoch again, its values replaced)
            instead of starting a new run. When there is none, a new run starts. A run that another
            process is still writing is refused (RuntimeError); one whose process was killed goes on,
            its early-stopping rule too (see ``Run.epochs``).
        progress: show a progress bar with the latest epoch's values while ``Run.epochs`` runs, or in
            a Jupyter notebook a live plot (docs/notebooks.md). Default: on a terminal or in a notebook.
        info: free-form facts about the run (framework, model summary...), stored with it.
        diagnose: at ``finish()``, diagnose the curves (see :func:`fitwatch.diagnose`), store the
            result in the run's info under ``"diagnosis"`` and print it to standard error.
            ``"quiet"`` stores without printing; False skips it.
        preflight: a :func:`fitwatch.preflight` report to store with the run (as ``add_preflight``).
        tags, note: tags (``["baseline", "lr-sweep"]``, each one word) and a note to store with the run
            (``run.tag(...)``, ``run.note = ...`` later; ``fitwatch runs --tag``, ``fitwatch show``).
        samples: ``{split: dataset length}``. Under DDP (every rank creates the run; docs/distributed.md)
            it names ``DistributedSampler``'s repeated samples, taken out of per-sample values.

    Attributes:
        id: the run's id in the store.
        epoch: the epoch currently being recorded (0-based, as Keras counts).
        status: ``running``, then ``finished``, ``failed`` or ``stopped``.
        diagnosis_: the :class:`fitwatch.Diagnosis` computed by ``finish()``, or None.
        history: Keras-style ``{"loss": [...], "val_loss": [...]}`` of the epochs recorded by this
            object; a curve logged every few epochs has a value for those epochs only, as in Keras's
            ``History`` (``fitwatch.load(name).history`` aligns every curve with the epochs, NaN
            where there is no value).

    Example:
        >>> import tempfile, fitwatch
        >>> with fitwatch.Run("doc-example", config={"lr": 0.1}, dir=tempfile.mkdtemp()) as run:
        ...     for epoch in run.epochs(2):
        ...         run.log("train", loss=0.5, n=32)
        ...         run.log("train", loss=1.0, n=8)    # a smaller last batch
        ...         run.log("val", loss=0.7, n=10)
        >>> run.history["loss"]                        # (0.5*32 + 1.0*8) / 40 for each epoch
        [0.6, 0.6]
        >>> run.status
        'finished'
    """

    def __init__(self, name: str | None = None, config: dict | None = None, *, dir=None,
                 resume: bool = False, progress: bool | None = None, info: dict | None = None,
                 diagnose: bool | str = True, preflight=None, tags=None, note: str | None = None,
                 samples: dict | None = None):
        if name is None:
            name = time.strftime("run-%Y%m%d-%H%M%S")
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"fitwatch: a run name must be a non-empty string, got {name!r}")
        if config is not None and not isinstance(config, dict):
            raise TypeError(f"fitwatch: config must be a dict, got {type(config).__name__}; e.g. config={{'lr': 1e-3}}")
        self.name = name
        self.config = dict(config or {})
        self.info = dict(info or {})
        self.progress = progress
        if diagnose not in (True, False, "quiet"):
            raise ValueError(f"fitwatch: diagnose must be True, False or 'quiet', got {diagnose!r}")
        self.diagnose = diagnose
        labels = check_labels(tags, note)  # before the run exists: a bad tag creates no run
        self.diagnosis_ = None  # set by finish()
        # a torch.distributed job: every rank records, rank 0 writes (the others hold a NullStore)
        self._reducer, self.store = ddp_setup(self, samples, dir, Store.shared)
        self.epoch = 0
        self.history: dict[str, list[float]] = {}
        self.status = "running"
        self._accs: dict[str, SplitAccumulator] = {}  # by stored split name ("val")
        self._logged_as: dict[str, SplitAccumulator] = {}  # by the name log() was given ("valid")
        self._epoch_values: dict[tuple[str, str], tuple[float, int | None]] = {}
        self._calls = 0
        self._clock_mask = 0  # log() reads the clock every (mask + 1) calls: adapted to the batch rate
        self._calls_at_flush = 0
        self._last_flush = time.monotonic()
        self._chunks: list[tuple] = []  # batch chunks of ended epochs not yet handed to the store
        self._warned_nonfinite = False
        self._in_epochs = False
        self._planned: int | None = None  # n of the epochs(n) loop in progress
        self._stopped_early = False  # an epochs() loop was ended by its stop= rule: finish() says stopped
        self._left_mid_epoch: int | None = None  # the epoch an epochs() loop was left in (break or exception)
        self._redo: int | None = None  # a resumed run's epoch that was cut short, run again
        self._bar = None
        previous = self.store.find_run(name) if resume else None
        created = None
        if resume and previous is None:  # a new name: created by one statement, or resumed if it raced
            created = self.store.create_run(name, self.config, self.info, only_if_new=True)
            previous = self.store.find_run(name) if created is None else None
        if previous is not None:
            self._resume_stored(previous)
        else:
            self.id = created if created is not None else self.store.create_run(name, self.config, self.info)
        if self._reducer is not None:  # rank 0's run and first epoch, on every rank
            self.id, self.epoch = self._reducer.share((self.id, self.epoch))
        self._store_labels(labels)
        self.store.hold()
        register(self, self._finish_at_exit)
        if preflight is not None:  # fitwatch.preflight's report, kept with the run
            self.add_preflight(preflight)

    # -- logging --------------------------------------------------------------------------
    def log(self, split: str, n=None, **metrics) -> None:
        """Record one batch of ``split`` (``"train"``, ``"val"``, ``"test"`` or any name).

        Args:
            split: the data split the batch came from. Each call is one batch, one step of the
                split's batch axis: log a batch's metrics in one call. ``"valid"`` and
                ``"validation"`` are the ``val`` split and ``"training"`` is ``train`` (any case, as the prefixes of
                Keras-style keys): their values are stored, diagnosed and returned as ``val_loss``,
                ``loss``... Other names (``"test"``, ``"holdout"``...) are kept as they are.
            n: the number of samples in the batch, the batch's weight in the epoch's mean. Leave it
                out for equal weights; per-sample tensors weigh their length.
            **metrics: ``loss=...``, ``accuracy=...``: Python or numpy numbers, 0-d tensors
                (on any device: an accelerator's tensor is read once per epoch, never per batch), or
                per-sample tensors (their mean is taken).

        Raises:
            TypeError: a value is not a number (the message names the metric and the type).
            ValueError: ``n`` is not a positive integer.
        """
        acc = self._logged_as.get(split)
        if acc is None or self.status != "running":
            acc = self._open_split(split)
        if not metrics:
            raise ValueError("fitwatch: log() needs at least one metric, e.g. run.log('train', loss=loss, n=len(y))")
        acc.add(n, metrics)
        if self._watchers and acc.split == "val":
            self._val_logged()  # (Run.watch: the model's last forward pass was this validation's)
        self._calls += 1
        if not self._calls & self._clock_mask and time.monotonic() - self._last_flush > _FLUSH_EVERY_S:
            self._flush_steps()  # a long epoch: its batch values reach the store as it goes

    def _open_split(self, split) -> SplitAccumulator:
        if self.status != "running":
            raise RuntimeError(f"fitwatch: run {self.name!r} is {self.status}; start a new Run to log more")
        acc = self._logged_as.get(split)
        if acc is None:  # the first batch under this name: "valid" is val (never looked up per call)
            name = stored_split(split)
            acc = self._accs.get(name)
            if acc is None:
                acc = self._accs[name] = SplitAccumulator(name)
            self._logged_as[split] = acc
        return acc

    def _has_data(self) -> bool:
        """The epoch in progress has values (batches logged, or log_epoch values) not yet ended."""
        return bool(self._epoch_values) or any(a.has_data() for a in self._accs.values())

    def log_epoch(self, logs: dict | None = None, *, split: str | None = None, epoch: int | None = None,
                  **metrics) -> None:
        """Record values already aggregated over an epoch.

        Keys are Keras-style (``loss``, ``val_loss``, ``val_accuracy``...) unless ``split`` is given,
        in which case they are metric names of that split. Inside ``run.epochs()`` the values join
        the current epoch (and win over batch means of the same name); outside it, the call ends
        the epoch.

        Args:
            logs: a dict of values, e.g. Keras's ``logs`` in ``on_epoch_end``.
            split: the split all the keys belong to (``"valid"``/``"validation"`` are ``val``,
                ``"training"`` is ``train``, as in :meth:`log`).
            epoch: the epoch's number; default: the current one.
            **metrics: more values, as keywords.
        """
        if self.status != "running":
            raise RuntimeError(f"fitwatch: run {self.name!r} is {self.status}; start a new Run to log more")
        if epoch is not None:
            if isinstance(epoch, bool) or not isinstance(epoch, numbers.Integral) or not 0 <= epoch < 2**53:
                raise ValueError(f"fitwatch: epoch must be a whole number from 0 up, got {epoch!r}")
            if epoch != self.epoch and self._has_data():
                self.end_epoch()
            self.epoch = int(epoch)
        if split:
            split = stored_split(split)
        items = {**(logs or {}), **metrics}
        probe = SplitAccumulator(split or "train")
        values = {}  # all checked before any is kept: a refused call records nothing
        for key, value in items.items():
            if not isinstance(key, str):
                raise TypeError(f"fitwatch: log_epoch keys are metric names (text), got {key!r}")
            s, m = (split, key) if split else split_key(key)
            probe.split = s
            probe.add(None, {m: value})
            values[(s, m)] = (probe.close_epoch()[m][0], None)
        for (s, m), (v, _) in values.items():
            if v - v != 0.0:
                self._warn_nonfinite(s, m, None)
        self._epoch_values.update(values)
        if self._watchers and any(s == "val" for s, _ in values):
            self._val_logged()
        if not self._in_epochs:
            self.end_epoch()

    def end_epoch(self) -> dict[str, float]:
        """Close the current epoch: compute its means, make them durable, and move to the next epoch.

        ``run.epochs()`` calls this for you. Returns the epoch's Keras-style values.
        """
        epoch = self.epoch
        values: dict[tuple[str, str], tuple[float, int | None]] = {}
        for acc in self._accs.values():
            acc.read_device()  # one device-to-host transfer per metric and epoch
            for name, step in acc.nonfinite:
                self._warn_nonfinite(acc.split, name, step)
        self._chunks += self._step_chunks(epoch)
        self._collect_probes(epoch)  # Run.watch's values of the epoch: one device read
        if self._reducer is not None and self._reducer.broken:  # the ranks cannot agree: nothing more is written
            return self._reducer.drop_epoch(self)
        reduced = self._reducer.reduce_run(self._accs, self.info) if self._reducer is not None else None
        for acc in self._accs.values():
            local = acc.close_epoch()
            means = local if reduced is None else reduced.get(acc.split, {})
            for metric, mean_n in means.items():
                values[(acc.split, metric)] = mean_n
                if mean_n[0] - mean_n[0] != 0.0:  # a NaN batch, or a mean beyond a float
                    self._warn_nonfinite(acc.split, metric, None)
        values.update(self._epoch_values)
        self._epoch_values = {}
        self.epoch = epoch + 1
        self._warn_failures()
        if values:
            self._follow_fork()
            self.store.write_epoch(self.id, epoch, values)  # journaled (durable) before the loop goes on
            if epoch == self._redo and self._left_mid_epoch is None:  # cut short before the resume, now run again
                self._redo = None
                self.info.pop("partial_epoch", None)
                self.store.update_run(self.id, info=self.info)
            if self._keeper is not None and self._keeper.last_epoch == epoch != self._state_epoch:
                self._save_stop_state()  # a fit's rule saw the epoch before it was written
        # batch values go to the writer thread at most once a second (short epochs are many)
        if time.monotonic() - self._last_flush > _FLUSH_EVERY_S:
            self._flush_steps()
        if not values:
            return {}
        logs = {keras_key(s, m): v for (s, m), (v, _) in values.items()}
        for key, v in logs.items():
            self.history.setdefault(key, []).append(v)
        if self._bar is not None:
            self._bar.update(epoch, logs)
        return logs

    def _step_chunks(self, epoch: int) -> list[tuple]:
        return [
            (acc.split, metric, epoch, steps, values, ns)
            for acc in self._accs.values()
            for metric, steps, values, ns in acc.pending_batches()
        ]

    def _flush_steps(self) -> None:
        """Hand the batches logged so far, of ended epochs and of the current one, to the writer thread."""
        for acc in self._accs.values():
            acc.read_device()  # a long epoch: at most one read a second
        chunks = self._chunks + self._step_chunks(self.epoch)
        self._chunks = []
        self.store.queue_steps(chunks, self.id)
        now = time.monotonic()
        self._clock_mask = clock_mask(self._calls - self._calls_at_flush, now - self._last_flush)
        self._calls_at_flush = self._calls
        self._last_flush = now

    def _warn_nonfinite(self, split: str, metric: str, step: int | None) -> None:
        if self._warned_nonfinite:
            return
        self._warned_nonfinite = True
        where = f"step {step}, " if step is not None else ""
        warnings.warn(
            f"fitwatch: {keras_key(split, metric)} is not finite ({where}epoch {self.epoch}) in run "
            f"{self.name!r}; stored as it is (the run may be diverging). Further NaN/inf values are stored "
            f"without a warning.",
            NonFiniteValue,
            stacklevel=user_stacklevel(),  # the user's loop, log_epoch call or model.fit
        )

    # -- the epoch loop -------------------------------------------------------------------
    def epochs(self, n: int, *, progress: bool | None = None, stop=None, restore=None,
               checkpoint=None) -> Iterator[int]:
        """Iterate over epoch numbers up to ``n`` (exclusive), ending each epoch as the loop moves on.

        When the run was resumed, iteration starts after the last stored epoch (``n`` counts all
        epochs, like Keras's ``epochs`` with ``initial_epoch``). Leaving the loop early with
        ``break`` still records the epoch in progress.

        With ``stop=``, each ended epoch's Keras-style values (``loss``, ``val_loss``...) go to
        ``stop.update(epoch, logs)``; when it says stop, the loop ends and the run is ``stopped``
        (``finish()`` then records that status). With ``restore=model``, the model's weights are
        copied at every new best epoch (a CPU copy of a torch ``state_dict``; Keras's
        ``get_weights()``) and put back when the loop ends, however it ends (an early stop, all
        ``n`` epochs, ``break``, an exception), so the model leaves the loop with its best epoch's
        weights. ``checkpoint=`` also writes them to a file at every new best, atomically. The
        outcome is stored in the run's info under ``"early_stopping"`` (when it stops, and at the
        end), shown by ``fitwatch show`` and read by the diagnosis.

        The rule's state (:meth:`fitwatch.EarlyStopping.state_dict`) is stored with the run at the
        end of every epoch (``info["early_stopping_state"]``). In a run resumed with
        ``Run(name, resume=True)``, ``stop=`` goes on from it (its best, its patience counters, its
        recent values), so a run killed and resumed stops where it would have stopped; a stopped
        run that is resumed goes on past its stop, its patience where it was. The best weights of
        the epochs before the restart are not in memory: with ``checkpoint=`` naming the same file,
        unchanged, they are loaded from it at the end; otherwise the weights restored are those of
        the best epoch since the resume, unless a later epoch beats the earlier best, and the record
        says so (``"restored_best_of": "session"`` and a ``"note"``).

        Args:
            n: the total number of epochs.
            progress: show a progress bar, or a live plot in a notebook (default: the run's ``progress``,
                else only on a terminal or in a notebook).
            stop: a :class:`fitwatch.EarlyStopping`, e.g. ``stop=fitwatch.EarlyStopping()``.
            restore: the model (a ``torch.nn.Module`` or a Keras model) to leave with the weights of
                the best epoch. Without ``stop=``, the best ``val_loss`` epoch is kept and the loop
                runs all ``n`` epochs.
            checkpoint: a file to write the best weights to (needs ``restore=``): ``torch.save`` of
                the ``state_dict`` for torch (``model.load_state_dict(torch.load(path))`` reads it
                back), ``model.save_weights`` for Keras (the name must end in ``.weights.h5``).

        Raises:
            TypeError: ``stop`` is not an early-stopping rule, or ``restore`` is not a model.
            ValueError: ``checkpoint`` without ``restore``, or a Keras checkpoint's name.

        Example:
            >>> import tempfile, torch, fitwatch
            >>> model = torch.nn.Linear(1, 1)
            >>> run = fitwatch.Run("doc-stop", dir=tempfile.mkdtemp(), diagnose=False)
            >>> stopper = fitwatch.EarlyStopping(patience=2)
            >>> for epoch in run.epochs(100, stop=stopper, restore=model):
            ...     with torch.no_grad():
            ...         _ = model.bias.fill_(epoch)     # stands for an epoch of training
            ...     run.log_epoch(val_loss=[0.9, 0.5, 0.4, 0.45, 0.6, 0.7][epoch])
            >>> run.finish()
            >>> run.status, stopper.stopped_epoch, stopper.best_epoch, model.bias.item()
            ('stopped', 4, 2, 2.0)
        """
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"fitwatch: epochs(n) needs a non-negative integer number of epochs, got {n!r}")
        keeper = None
        if stop is not None or restore is not None or checkpoint is not None:
            from fitwatch.stopping.keeper import BestKeeper

            if callable(getattr(stop, "reset", None)) and getattr(stop, "stopped_epoch", None) is not None:
                stop.reset()  # a stopper reused from an earlier loop starts afresh (then the keeper plans it)
            keeper = BestKeeper(stop, restore, checkpoint, max_epochs=n)
            self.info.pop("stopped_epoch", None)  # a resumed run's earlier stop no longer describes it
            self._use_keeper(keeper, n, resume_stop=True)
        # a live plot in a notebook, the bar on a terminal (progress=None: on a terminal only), else None
        self._bar = epoch_display(self.name, n, self.epoch, self.progress if progress is None else progress)
        self._in_epochs = True
        self._planned = n
        self._stopped_early = False
        try:
            while self.epoch < n and self.status == "running":
                epoch = self.epoch
                yield epoch
                if self.epoch == epoch:  # the body did not end the epoch itself
                    logs = self.end_epoch()
                elif keeper is not None:  # it did: its values are the last of each curve
                    logs = {k: v[-1] for k, v in self.history.items() if v}
                if keeper is not None and logs and self.check_stop(logs, epoch):
                    self._stopped_early = True  # the stop is stored: a process killed later still has it
                    break
            self._planned = None  # every planned epoch ran, or the stop rule ended the loop
        finally:
            self._in_epochs = False
            if self.status == "running" and self._has_data():
                self._left_mid_epoch = self.epoch  # fail() will say it was cut short, if an exception did it
                self.end_epoch()  # left with break (or an exception): keep what was logged
            if self._bar is not None:
                self._bar.stop()
                self._bar = None
            if keeper is not None:
                keeper.finish()
                self._record_stop(store=False)  # finish() stores it with the run
                self._keeper = None

    # -- the end --------------------------------------------------------------------------
    def finish(self, status: str | None = None, error: str | None = None, **info) -> None:
        """End the run: record the epoch in progress, flush the store and set the final status.

        Args:
            status: ``finished``, ``failed`` or ``stopped`` (stopped early). Default: ``stopped``
                when the ``stop=`` rule of ``Run.epochs`` ended the loop, else ``finished``.
            error: for a failed run, what went wrong.
            **info: facts to store with the run (e.g. ``stopped_epoch=12``).
        """
        if self.status != "running":
            return
        if status is None:
            status = "stopped" if self._stopped_early else "finished"
        if self._reducer is not None and self._reducer.broken:  # DDP: the ranks could not agree
            status, error = "failed", self._reducer.broken + (f"; {error}" if error else "")
        if status not in STATUSES or status == "running":
            raise ValueError(f"fitwatch: status must be one of finished, failed, stopped; got {status!r}")
        # a run that never logged a value (a crash in its first step, the caller's finish() or the failure's after it)
        # says nothing of its probes: an attack's fullgraph error was followed by "nothing was probed"
        say = bool(self.history or self._has_data())
        if self._has_data():
            self.end_epoch()
        self._stop_watching(say)
        self._follow_fork()
        self._flush_steps()
        self.status = status
        self.info.update(info)
        self.store.flush(FLUSH_WAIT_S)
        if self.diagnose and status != "failed":
            diagnose_finished(self)
        self.store.update_run(self.id, status=status, error=error, ended_at=time.time(), info=self.info)
        self.store.release()
        unregister(self)
        self._warn_failures()
        if self._reducer is not None:  # DDP: no rank leaves before rank 0 is done (a failed one at once)
            self._reducer.wait_for_all(status)

    def _follow_fork(self) -> None:
        """In a process forked from the one that started the run, write through its own store."""
        if self.store._pid != os.getpid():
            self.store = Store.shared(self.store.path)
            self.store.hold()

    def _warn_failures(self) -> None:
        """Say what the store's background work could not write (once each): never silent."""
        for what in self.store.failures():
            warnings.warn(f"fitwatch: {what}", StoreWriteWarning, stacklevel=user_stacklevel())

    def _finish_at_exit(self) -> None:
        """The interpreter exits with the run unfinished: ``stopped`` when the process left a
        ``Run.epochs`` loop before its last epoch (e.g. by ``sys.exit()``), else ``finished``."""
        if self._planned is not None and self.epoch < self._planned:
            self.finish("stopped", error=f"the process ended after epoch {self.epoch - 1} of {self._planned} "
                                         f"without finish()")
        else:
            self.finish()

    def fail(self, exc: BaseException) -> None:
        """Mark the run failed with ``exc`` (its type, message and traceback are stored).

        A ``KeyboardInterrupt`` (Ctrl-C) marks it ``stopped`` instead: the user ended it early.
        """
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).strip()
        if self.status == "running":
            # the epoch the exception interrupted: its values are kept, but they are the means of part
            # of its batches (no validation yet, or part of it): say so, so that the diagnosis, the
            # plots and `fitwatch show` do not read it as a whole epoch
            if self._has_data():
                self._left_mid_epoch = self.epoch  # outside epochs(): finish() ends it below
            if self._left_mid_epoch is not None and self._left_mid_epoch >= self.epoch - 1:
                self.info["partial_epoch"] = self._left_mid_epoch
        self.finish("stopped" if isinstance(exc, KeyboardInterrupt) else "failed", error=text)

    def __enter__(self) -> "Run":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc is not None:
            self.fail(exc)
        else:
            self.finish()

    def __repr__(self) -> str:
        return f"Run(name={self.name!r}, id={self.id}, epoch={self.epoch}, status={self.status!r})"

    def _repr_html_(self) -> str:  # Jupyter: the run so far, as fitwatch.load(name) shows it
        self.store.flush(FLUSH_WAIT_S)
        return self.store.load(self.id)._repr_html_()

