"""Rendering for the command line: the ``fitwatch runs`` table and the ``fitwatch show`` report.

Everything here turns store records into rich renderables or plain data (JSON, CSV); the command
line (``cli.py``) only parses arguments and calls these functions, and ``fitwatch demo`` prints its
run with the same :func:`print_show` as ``fitwatch show``.

Epoch numbers are shown as they are stored (0-based, as Keras counts them and as
``fitwatch.load(...).epochs`` returns them).
"""

from __future__ import annotations

import csv
import io
import math

import numpy as np
from rich import box
from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from fitwatch.show.before import summary_lines
from fitwatch.show.formatting import (  # noqa: F401 - imported from here by the report, notebook, dashboard
    duration_of,
    error_line,
    fmt_config,
    fmt_config_value,
    fmt_duration,
    fmt_number,
    fmt_time,
)
from fitwatch.core.names import keras_key, split_key
from fitwatch.core.stop_record import as_stopped
from fitwatch.store.configs import flat_config
from fitwatch.store.rundata import RunData
from fitwatch.store.status import effective_status

#: rich style of each status (``killed``: recorded as running, but its process is gone)
STATUS_STYLES = {
    "running": "blue",
    "finished": "green",
    "stopped": "yellow",
    "failed": "red",
    "killed": "dim red",
}

#: ``fitwatch show`` prints every epoch up to this many; longer runs are cut (see :func:`epoch_rows`)
SHOW_ALL_UP_TO = 60
HEAD_ROWS = 5
TAIL_ROWS = 50

NAME_WIDTH = 40  # characters of a run's name in the runs table
BEST_MARK = "<- best"
STOP_MARK = "<- stopped"
RESTORED_MARK = "restored"
PARTIAL_MARK = "<- cut short (part of its batches)"


# -- small formatters: fitwatch.show.formatting -------------------------------------------------

def status_text(status: str) -> Text:
    return Text(status, style=STATUS_STYLES.get(status, ""))


# -- printing -----------------------------------------------------------------------------------
def make_console(file=None, stderr: bool = False) -> Console:
    """The console the command line prints to (standard output unless told otherwise)."""
    return Console(file=file, stderr=stderr, highlight=False)


def print_wide(console: Console, renderable: RenderableType) -> None:
    """Print ``renderable``; into a file or pipe, never squeeze it to 80 columns (no cut-off numbers)."""
    if console.is_terminal:
        console.print(renderable)
        return
    wide = console.options.update_width(100_000)
    width = console.measure(renderable, options=wide).maximum
    if width <= console.width:
        console.print(renderable)
        return
    saved = console.width
    console.width = width  # Console.print(width=...) cannot go beyond the console's own width
    try:
        console.print(renderable, crop=False)
    finally:
        console.width = saved


# -- fitwatch runs ------------------------------------------------------------------------------
def runs_summary(runs: list[dict]) -> list[dict]:
    """Plain, JSON-ready summaries of :meth:`Store.runs` records (status ``killed`` resolved); a record
    with ``heads`` (a multi-head model without a total loss: :func:`head_best` of each head's validation
    curve) keeps them."""
    out = []
    for r in runs:
        status = effective_status(r)
        dur = duration_of(r, status)
        best = r.get("best_val_loss")
        out.append({
            "id": r["id"],
            "name": r["name"],
            "status": status,
            "epochs": r.get("epochs") or 0,
            "best_val_loss": None if best is None or not math.isfinite(best) else best,
            "best_epoch": r.get("best_epoch"),
            **({"heads": r["heads"]} if r.get("heads") else {}),  # a multi-head model: each head's best
            "started_at": r.get("started_at"),
            "started": fmt_time(r.get("started_at")),
            "ended_at": r.get("ended_at"),
            "duration_s": None if dur is None else round(dur, 3),
            "config": r.get("config") or {},
            "tags": r.get("tags") or [],
            "note": r.get("note"),
            "error": error_line(r.get("error")),
        })
    return out


def runs_table(runs: list[dict], title: str | None = None, config_keys=()) -> Table:
    """The ``fitwatch runs`` table: id, name, status, epochs, best val_loss and its epoch, started, duration,
    then the values of ``config_keys`` (flattened: ``optimizer.lr``) and the tags, when a run has any."""
    table = Table(title=title, box=box.SIMPLE_HEAD, show_edge=False, title_justify="left", title_style="bold")
    table.add_column("id", justify="right", style="dim", no_wrap=True)
    # a long name is cut with "…" (the width goes to the numbers); `fitwatch runs --json` has it whole
    table.add_column("name", style="bold", no_wrap=True, overflow="ellipsis", max_width=NAME_WIDTH)
    table.add_column("status", no_wrap=True)
    table.add_column("epochs", justify="right", no_wrap=True)
    table.add_column("best val_loss", justify="right", no_wrap=True)
    table.add_column("best epoch", justify="right", no_wrap=True)
    table.add_column("started", no_wrap=True)
    table.add_column("duration", justify="right", no_wrap=True)
    fixed = {str(c.header) for c in table.columns} | {"tags"}
    for key in config_keys:  # a config key named as a column of the run's own ("epochs": Keras's fit(epochs=)) says so
        table.add_column(f"config {key}" if key in fixed else key, justify="right", no_wrap=True, overflow="ellipsis",
                         max_width=24)
    tagged = any(r.get("tags") for r in runs)
    if tagged:
        table.add_column("tags", style="cyan", no_wrap=True, overflow="ellipsis", max_width=30)
    for s in runs_summary(runs):
        config = flat_config(s["config"])
        dim = s["status"] == "killed"
        table.add_row(
            str(s["id"]),
            Text(" ".join(s["name"].split())),  # never rich markup ("[bold]"); a newline does not break the row
            status_text(s["status"]),
            str(s["epochs"]),
            *_best_cells(s),
            s["started"],
            fmt_duration(s["duration_s"]),
            *[Text(fmt_config_value(config[k]) if k in config else "-") for k in config_keys],
            *([Text(" ".join(s["tags"]))] if tagged else []),
            style="dim" if dim else None,
        )
    return table


def _best_cells(s: dict) -> tuple[Text | str, str]:
    """The best val_loss and its epoch; a multi-head model's best of each head, a line each
    (``val_reg_loss 0.6`` and ``4``), as ``fitwatch show`` says them."""
    heads = s.get("heads")
    if s["best_val_loss"] is None and heads:
        return (Text("\n".join(f"{h['key']} {fmt_number(h['best_value'])}" for h in heads)),
                "\n".join(str(h["best_epoch"]) for h in heads))
    return fmt_number(s["best_val_loss"]), "-" if s["best_epoch"] is None else str(s["best_epoch"])


def print_runs(runs: list[dict], console: Console, store_path=None, config_keys=()) -> None:
    if not runs:
        where = f" in {store_path}" if store_path is not None else ""
        console.print(f"No runs yet{escape(where)}. Record one with fitwatch.Run(...), or try: fitwatch demo",
                      soft_wrap=True)
        return
    title = f"{len(runs)} run{'s' if len(runs) != 1 else ''} in {store_path}" if store_path is not None else None
    print_wide(console, runs_table(runs, title=escape(title) if title else None, config_keys=config_keys))


# -- fitwatch show ------------------------------------------------------------------------------
def best_index(data: RunData, monitor: str | None = None) -> int | None:
    """Row index of the best finite value of ``monitor`` (a Keras-style key, default ``val_loss``; with
    a ``+`` in front, higher is better: ``+val_accuracy``): the lowest (highest), or None."""
    up = bool(monitor and monitor.startswith("+"))
    monitor = monitor[1:] if up else monitor
    key = next((k for k in data.metrics if keras_key(*k) == monitor), None) if monitor else ("val", "loss")
    vals = data.metrics.get(key)
    if vals is None or not len(vals):
        return None
    finite = np.where(np.isfinite(vals), -vals if up else vals, np.inf)
    if data.cut_short:
        finite[-1] = np.inf  # an epoch cut short by an error: the mean of part of its batches
    if not np.isfinite(finite).any():
        return None
    return int(np.argmin(finite))


def head_best(data: RunData, key: str) -> dict | None:
    """The best of ``key`` (a head's validation curve, ``val_reg_loss``) as :func:`best_line` says it:
    ``{"key", "best_epoch", "best_value"}``, or None without a finite value.

    Args:
        data: the run.
        key: a Keras-style key of its metrics.

    Example:
        >>> import tempfile, fitwatch
        >>> d = tempfile.mkdtemp()
        >>> with fitwatch.Run("mt", dir=d, diagnose=False, progress=False) as run:
        ...     for v in (0.9, 0.5, 0.7):
        ...         run.log_epoch(val_reg_loss=v)
        >>> head_best(fitwatch.load("mt", dir=d), "val_reg_loss")
        {'key': 'val_reg_loss', 'best_epoch': 1, 'best_value': 0.5}
    """
    i = best_index(data, key)  # "+val_accuracy": higher is better
    key = key.lstrip("+")
    if i is None:
        return None
    vals = next(v for k, v in data.metrics.items() if keras_key(*k) == key)
    return {"key": key, "best_epoch": int(data.epochs[i]), "best_value": float(vals[i])}


def epoch_rows(n: int, last: int | None = None, show_all: bool = False,
               keep: int | None = None) -> tuple[list[int | None], str | None]:
    """Which of ``n`` rows to show (None marks an elided gap) and a note saying what was left out.

    Default: every row up to :data:`SHOW_ALL_UP_TO`, else the first :data:`HEAD_ROWS` and the last
    :data:`TAIL_ROWS`, plus row ``keep`` (the best epoch) when it falls in the gap. ``last``: only
    the last ``last`` rows. ``show_all``: every row.
    """
    if show_all or (last is None and n <= SHOW_ALL_UP_TO):
        return list(range(n)), None
    if last is not None:
        last = max(0, min(int(last), n))
        if last >= n:
            return list(range(n)), None
        return list(range(n - last, n)), f"last {last} of {n} epochs shown; --all shows every epoch"
    head, tail = list(range(HEAD_ROWS)), list(range(n - TAIL_ROWS, n))
    middle: list[int | None] = [None]
    if keep is not None and HEAD_ROWS <= keep < n - TAIL_ROWS:
        middle = ([None] if keep > HEAD_ROWS else []) + [keep] + ([None] if keep < n - TAIL_ROWS - 1 else [])
    shown = HEAD_ROWS + TAIL_ROWS + (len(middle) - middle.count(None))
    note = (f"{shown} of {n} epochs shown (first {HEAD_ROWS}, "
            + ("the best, " if len(middle) > 1 or middle == [keep] else "")
            + f"last {TAIL_ROWS}); --all shows every epoch, --last N the last N")
    return head + middle + tail, note


def epoch_columns(data: RunData) -> list[tuple[tuple[str, str], str]]:
    """``[((split, metric), keras_key), ...]`` in the order of ``data.metrics``."""
    return [(key, keras_key(*key)) for key in data.metrics]


def epoch_marks(data: RunData, monitor: str | None = None) -> dict[int, Text]:
    """Row index -> the mark beside it: the best val_loss (or ``monitor``: ``<- best``), the epoch whose
    weights early stopping restored (``restored``) and the epoch it stopped at (``<- stopped``)."""
    marks: dict[int, list[str]] = {}
    best = best_index(data, monitor)
    stop = early_stopping_info(data)
    # early stopping that watched another curve (val_accuracy...) has its own best: say whose is whose
    other = stop.get("monitor") if stop and stop.get("monitor") not in (None, "val_loss") else None
    if best is not None:
        marks[best] = [f"{BEST_MARK} val_loss" if other else BEST_MARK]
    if stop:
        index = {int(e): i for i, e in enumerate(data.epochs.tolist())}
        if stop.get("restored") and stop.get("restored_epoch") in index:
            marks.setdefault(index[stop["restored_epoch"]], ["<-"]).append(
                f"{RESTORED_MARK} (best {other})" if other else RESTORED_MARK)
        if stop.get("stopped") and stop.get("stopped_epoch") in index:
            marks.setdefault(index[stop["stopped_epoch"]], []).append(STOP_MARK)
    if data.cut_short:
        marks.setdefault(len(data.epochs) - 1, []).append(PARTIAL_MARK)
    return {i: Text(" ".join(m).replace("best restored", "best, restored"),
                    style="yellow" if PARTIAL_MARK in m or (STOP_MARK in m and i != best) else "bold green")
            for i, m in marks.items()}


def epoch_table(data: RunData, last: int | None = None, show_all: bool = False,
                monitor: str | None = None) -> tuple[Table, str | None]:
    """The per-epoch table (Keras-style columns) and the note about elided rows, if any."""
    cols = epoch_columns(data)
    best = best_index(data, monitor)
    marks = epoch_marks(data, monitor)
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column(unit_of(data), justify="right", no_wrap=True)
    for _, label in cols:
        table.add_column(label, justify="right", no_wrap=True)
    if marks:
        table.add_column("", no_wrap=True)
    rows, note = epoch_rows(len(data.epochs), last=last, show_all=show_all, keep=best)
    for i in rows:
        if i is None:
            table.add_row("...", *["..." for _ in cols], *([""] if marks else []), style="dim")
            continue
        cells: list[Text | str] = [str(int(data.epochs[i]))]
        for key, _ in cols:
            present = data.present.get(key)
            if present is not None and not present[i]:
                cells.append(Text("-", style="dim"))
                continue
            v = float(data.metrics[key][i])
            cells.append(Text(fmt_number(v), style="red" if not math.isfinite(v) else ""))
        if marks:
            cells.append(marks.get(i, ""))
        table.add_row(*cells, style="bold green" if i == best else None)
    return table, note


def show_header(data: RunData) -> RenderableType:
    """Name, id, status, started, duration, config and (for a failed run) what went wrong."""
    status = effective_status(data)
    lines = []
    head = Text.assemble((data.name, "bold"), (f"  #{data.id}  ", "dim"), status_text(status))
    if status == "killed":
        head.append("  (its process ended without finishing the run)", style="dim")
    lines.append(head)
    when = Text(f"started {fmt_time(data.started_at)}   duration {fmt_duration(duration_of(data, status))}"
                f"   epochs {len(data.epochs)}")
    lines.append(when)
    if data.config:
        lines.append(Text("config  ", style="dim") + Text(fmt_config(data.config)))
    if data.tags:
        lines.append(Text("tags    ", style="dim") + Text(" ".join(data.tags), style="cyan"))
    if data.note:
        lines.append(Text("note    ", style="dim") + Text(data.note))
    err = error_line(data.error)
    if err and data.status in ("failed", "stopped"):
        lines.append(Text("error   ", style="dim") + Text(err, style="red"))
    return Group(*lines)


def unit_of(data: RunData) -> str:
    """What a row is: ``"epoch"``, or ``"evaluation"`` for a log file whose points are evaluations in
    mid-epoch (a Trainer's ``eval_strategy="steps"``: :func:`fitwatch.show.logfile.curves_as_run`)."""
    unit = (data.info or {}).get("unit")
    return unit if isinstance(unit, str) and unit else "epoch"


def best_line(data: RunData, monitor: str | None = None) -> Text | None:
    best = best_index(data, monitor)
    if best is None:
        return None
    name = (monitor or "val_loss").lstrip("+")
    key = next(k for k in data.metrics if keras_key(*k) == name)
    vals = data.metrics[key]
    text = Text(f"best {name} ")
    text.append(fmt_number(vals[best]), style="bold green")
    unit = unit_of(data)
    text.append(f" at {unit} {int(data.epochs[best])}")
    present = data.present.get(key, np.ones(len(vals), dtype=bool))
    last = int(np.flatnonzero(present)[-1])  # the last epoch that validated (validation may be sparse)
    if best < last and np.isfinite(vals[last]):
        rise = (vals[last] - vals[best]) / abs(vals[best]) * 100 if vals[best] else float("nan")
        text.append(f"; last validated {unit} {int(data.epochs[last])}" if last < len(vals) - 1
                    else f"; last {unit} {int(data.epochs[last])}")
        text.append(f": {fmt_number(vals[last])}")
        if rise == rise:
            text.append(f" ({rise:+.1f}%)")
    return text


def early_stopping_info(data: RunData) -> dict | None:
    """The run's ``info["early_stopping"]`` (set by ``Run.epochs(stop=...)`` and the Keras callback), or None."""
    stop = (data.info or {}).get("early_stopping")
    return as_stopped(stop) if isinstance(stop, dict) else None


def stop_line(data: RunData) -> Text | None:
    """What early stopping did: ``Stopped early at epoch 23 (200 planned): <why>. Best epoch 15
    (val_loss 0.0812), weights restored.``, or ``Ran all 50 epochs without an early stop; ...``.

    A run stopped by Keras's own ``EarlyStopping`` (only ``stopped_epoch`` recorded) gets
    ``Stopped early at epoch 1 (10 planned).``; a run without early stopping, None.
    """
    stop = early_stopping_info(data)
    info = data.info or {}
    # a booster's points are rounds, and it keeps a round, not weights (a ninth trial: "epoch 274", "weights restored")
    unit, kept = ("round", ", the model predicts with it.") if (data.config or {}).get("model") == "boosting" else (
        "epoch", ", weights restored.")
    planned = (stop or {}).get("epochs_planned") or (info.get("fit_params") or {}).get("epochs")
    of = f" ({planned} planned)" if planned else ""
    if stop is None:
        if data.status == "stopped" and info.get("stopped_epoch") is not None:
            return Text(f"Stopped early at {unit} {info['stopped_epoch']}{of}.", style="yellow")
        return None
    text = Text()
    if stop.get("stopped"):
        why = stop.get("reason") or "the rule said so"
        why = why.split("; best ")[0]  # the best epoch follows in its own words
        text.append(f"Stopped early at {unit} {stop.get('stopped_epoch')}{of}", style="bold yellow")
        text.append(f": {why}.")
    else:
        last = stop.get("last_epoch")
        if last is None:
            return Text(f"Early stopping: no {unit} ended.", style="dim")
        if planned and last + 1 >= planned:
            text.append(f"Ran all {planned} {unit}s without an early stop.")
        else:
            text.append(f"Ended at {unit} {last}{of}, not by early stopping.")
    best, monitor = stop.get("best_epoch"), stop.get("monitor") or "val_loss"
    session = stop.get("restored") and stop.get("restored_best_of") == "session"
    by = stop.get("restored_by") if stop.get("restored") else None  # a framework's restore beside fitwatch's rule
    if by and (stop.get("restored_epoch") != best or stop.get("restored_step") is not None):
        at = f" at step {stop['restored_step']}" if stop.get("restored_step") is not None else ""
        by = f"; weights of epoch {stop.get('restored_epoch')}{at} restored by {by}"
    elif by:
        by = f", weights restored by {by}"
    elif stop.get("restored") and not session:
        best = stop.get("restored_epoch", best)
    if best is not None:
        text.append(f" Best {unit} ")
        text.append(str(best), style="bold green")
        if stop.get("best_step") is not None:  # a Trainer's evaluation in mid-epoch, not the epoch's stored one
            text.append(f" at step {stop['best_step']}")
        if stop.get("best_value") is not None:
            text.append(f" ({monitor} {fmt_number(stop['best_value'])})")
        text.append(f"{by}." if by else
                    f"; weights restored from epoch {stop.get('restored_epoch')}, the best since the run was resumed "
                    f"(the best epoch's weights were not kept)." if session else
                    kept if stop.get("restored") else
                    "; the model kept the last epoch's weights." if stop.get("restored") is False else ".")
    if stop.get("checkpoint"):
        text.append(f" Best weights written to {stop['checkpoint']}", style="dim")
        text.append(f" (epoch {stop['checkpoint_epoch']})." if stop.get("checkpoint_epoch") is not None else ".",
                    style="dim")
    return text


def print_show(data: RunData, console: Console, last: int | None = None, show_all: bool = False,
               header: RenderableType | None = None, monitor: str | None = None, heads=()) -> None:
    """The ``fitwatch show`` report: header, what was checked before training, per-epoch table, best val_loss
    (or ``monitor``'s; each of ``heads``' validation curves, ``val_reg_loss``..., for a multi-head model
    without a total loss), what early stopping did."""
    console.print(show_header(data) if header is None else header, soft_wrap=True)
    info = data.info or {}
    for line in summary_lines({k: info[k] for k in ("preflight", "lr_find") if isinstance(info.get(k), dict)}):
        console.print(Text(line, style="dim"), soft_wrap=True)  # before training: preflight, lr_find
    if not len(data.epochs):
        console.print(Text("no epochs recorded yet", style="dim"))
        return
    table, note = epoch_table(data, last=last, show_all=show_all, monitor=monitor)
    print_wide(console, table)
    if note:
        console.print(Text(note, style="dim"), soft_wrap=True)
    for best in [best_line(data, m) for m in heads or [monitor]]:  # a multi-head model: each head's
        if best is not None:
            console.print(best, soft_wrap=True)
    stopped = stop_line(data)
    if stopped is not None:
        console.print(stopped, soft_wrap=True)


def epochs_csv(data: RunData) -> str:
    """Every epoch as CSV: ``epoch,loss,val_loss,...`` (full precision; NaN as ``nan``, absent empty)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    cols = epoch_columns(data)
    w.writerow(["epoch", *[label for _, label in cols]])
    for i, e in enumerate(data.epochs.tolist()):
        row: list = [e]
        for key, _ in cols:
            present = data.present.get(key)
            if present is not None and not present[i]:
                row.append("")
            else:
                row.append(repr(float(data.metrics[key][i])))
        w.writerow(row)
    return buf.getvalue()
