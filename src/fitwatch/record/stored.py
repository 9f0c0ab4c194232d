"""What a :class:`fitwatch.Run` reads back from, or notes in, its store besides its values: the
run it resumes (``Run(name, resume=True)``), its tags and note (``Run(tags=..., note=...)``, :meth:`StoredMixin.tag`, ``run.note = ...``) and its
curves so far (:meth:`StoredMixin.plot`).

Example:
    >>> import tempfile, fitwatch
    >>> run = fitwatch.Run("labelled", dir=tempfile.mkdtemp(), tags=["baseline"], note="first try",
    ...                    diagnose=False)
    >>> run.tag("lr-sweep")
    ['baseline', 'lr-sweep']
    >>> run.note = "first try: lr too high"
    >>> run.finish()
    >>> data = fitwatch.load("labelled", dir=run.store.path)
    >>> data.tags, data.note
    (['baseline', 'lr-sweep'], 'first try: lr too high')
"""

from __future__ import annotations

from fitwatch.record.accumulator import SplitAccumulator
from fitwatch.record.lifecycle import refuse_a_live_writer
from fitwatch.store.base import check_tag
from fitwatch.store.writer import FLUSH_WAIT_S


def check_labels(tags, note) -> tuple[list[str], str | None]:
    """``Run(tags=..., note=...)`` checked before the run is created: a tag or a list of tags (each
    one word, :func:`fitwatch.store.base.check_tag`) and a note that is text or None."""
    tags = [tags] if isinstance(tags, str) else list(tags or ())
    if note is not None and not isinstance(note, str):
        raise TypeError(f"fitwatch: note must be text, got {type(note).__name__}; e.g. note='lr sweep, 3e-4'")
    return [check_tag(t) for t in tags], note


class StoredMixin:
    """Run's tags, note and plot: each reads or writes the store at once (never the training loop's
    hot path: call them between epochs)."""

    def _resume_stored(self, previous: dict) -> None:
        """Go on with the stored run ``previous`` (``Run(name, resume=True)``): its id, config, info,
        history, step counters and early-stopping state; its next epoch, or the epoch Ctrl-C or an
        error cut short, which runs again (its values, part of its batches, replaced when it ends:
        it was counted done, and a resumed run had an epoch twice)."""
        if previous["status"] == "running":
            refuse_a_live_writer(previous)
            self.store.recover()  # its process was killed: the epochs left in its journal first
        self.id = previous["id"]
        config = {**previous["config"], **self.config}
        self.config = config
        self.info = {**previous["info"], **self.info}
        last = self.store.load(self.id)
        redo = 1 if last.cut_short else 0
        if len(last.epochs):
            self.epoch = int(last.epochs[-1]) + 1 - redo
            self._redo = self.epoch if redo else None
        self._remember_stop_state(last)  # the early-stopping rule's, for the first keeper
        self.history = {k: list(v)[:len(v) - redo] for k, v in last.history.items()}
        for split, last in self.store.last_steps(self.id).items():
            self._accs[split] = SplitAccumulator(split, last + 1)
        self.store.reopen_run(self.id, previous)  # exactly one of several racing processes wins
        self.store.update_run(self.id, config=self.config, info=self.info)

    def _store_labels(self, labels: tuple[list[str], str | None]) -> None:
        tags, note = labels
        if tags:
            self.store.set_tags(self.id, add=tags)
        if note is not None:
            self.store.set_note(self.id, note)

    def tag(self, *tags: str, remove: bool = False) -> list[str]:
        """Add ``tags`` to the run (``remove=True``: take them off); returns its tags, sorted.

        A tag is one word (``"baseline"``, ``"lr-sweep"``); ``fitwatch runs --tag baseline`` lists the runs
        that have it. Raises ValueError for a tag with a space or a comma."""
        return self.store.set_tags(self.id, remove=tags) if remove else self.store.set_tags(self.id, add=tags)

    @property
    def tags(self) -> list[str]:
        """The run's tags, as stored (sorted)."""
        return (self.store.labels([self.id]).get(self.id) or {}).get("tags", [])

    @property
    def note(self) -> str | None:
        """The run's note (free text shown by ``fitwatch show``), None without one; set it with
        ``run.note = "..."`` (``None`` or ``""`` removes it)."""
        return (self.store.labels([self.id]).get(self.id) or {}).get("note")

    @note.setter
    def note(self, text: str | None) -> None:
        self.store.set_note(self.id, check_labels((), text)[1])

    def plot(self, **kw):
        """The run's curves so far (every completed epoch, during training too), read back from its
        store, annotated with their diagnosis.

        ``**kw``: ``smooth=``, ``log=``, ``title=``, ``monitor=`` as in :meth:`fitwatch.RunData.plot`. Returns a
        ``matplotlib.figure.Figure`` (needs matplotlib: ``pip install 'fitwatch[plot]'``).

        Example:
            >>> import tempfile, fitwatch
            >>> run = fitwatch.Run("live-plot", dir=tempfile.mkdtemp(), diagnose=False)
            >>> for epoch in run.epochs(2):
            ...     run.log_epoch(loss=[0.9, 0.5][epoch], val_loss=[1.0, 0.7][epoch])
            >>> len(run.plot().axes)
            1
            >>> run.finish()
        """
        self.store.flush(FLUSH_WAIT_S)  # the epochs ended so far, committed
        return self.store.load(self.id).plot(**kw)
