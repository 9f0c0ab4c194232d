"""Early-stopping rules pickled by fitwatch 0.1.0, taken back by today's :class:`EarlyStopping`.

0.1.0 kept the default criterion's running state in a ``fitwatch.stopping._FitwatchState`` and
Prechelt's in three attributes of the rule; today each criterion is an object of
:mod:`fitwatch.stopping.criteria`. A rule pickled mid-run by 0.1.0 (in a training checkpoint, say)
unpickles into today's class and goes on exactly where it was.

Example:
    >>> state = FitwatchState()
    >>> state.first_epoch, state.first, state.d2 = 0, 0.9, [0.01]
    >>> state.bests, state.window, state.loss_first, state.loss_best = [0.9], [0.9], None, None
    >>> from fitwatch.stopping.criteria import NoiseAware
    >>> crit = NoiseAware("val_loss", 1.0)
    >>> load_noise_state(crit, state)
    >>> crit.first, list(crit.d2)
    (0.9, [0.01])
"""

from __future__ import annotations

#: what 0.1.0's rule held and today's does not (moved into its criterion)
OLD_ATTRIBUTES = ("_state", "_strip_train", "_last_strip_end", "_ups")


class FitwatchState:
    """The default criterion's running state as 0.1.0 pickled it (``fitwatch.stopping._FitwatchState``)."""

    __slots__ = ("first_epoch", "first", "d2", "bests", "window", "loss_first", "loss_best")


def load_noise_state(crit, state: FitwatchState) -> None:
    """Put 0.1.0's default-criterion state into ``crit`` (a :class:`~fitwatch.stopping.criteria.NoiseAware`)."""
    crit.first_epoch, crit.first = state.first_epoch, state.first
    for name in ("d2", "bests", "window"):
        getattr(crit, name).clear()
        getattr(crit, name).extend(getattr(state, name))
    crit.loss_first, crit.loss_best = state.loss_first, state.loss_best


def upgrade(rule, old: dict) -> None:
    """Turn a rule unpickled from 0.1.0 (``old``: its attributes that today's rule lacks) into
    today's: its criterion made and given the running state it had."""
    rule._last_epoch = None
    rule._crit = rule._new_criterion() if rule._ready else None
    crit = rule._crit
    if crit is None:
        return
    if hasattr(crit, "d2"):  # the fitwatch default
        if old.get("_state") is not None:
            load_noise_state(crit, old["_state"])
    else:  # Prechelt's
        crit.strip_train = list(old.get("_strip_train") or [])
        crit.last_strip_end = old.get("_last_strip_end")
        crit.ups = old.get("_ups") or 0
