"""What the dashboard's JSON API returns, read from a store (no web framework here).

:class:`DashboardData` wraps one read-only :class:`fitwatch.Store` and answers every endpoint of
``docs/dashboard.md`` with plain, strictly JSON-able Python objects (NaN and infinity become
``null``; series list their non-finite points separately, see :mod:`fitwatch.dashboard.series`).

It only reads: SQL ``SELECT``s through :class:`fitwatch.Store`. Diagnoses of runs that have none
stored (still running, or killed) are computed here and cached in memory per ``(run id, epoch
count)``, never written back. Batch-level arrays are cached per ``(run id, step count)``: a run with
a million steps is read from SQLite once, and again only when it grows.

Example:
    >>> import tempfile, fitwatch
    >>> d = tempfile.mkdtemp()
    >>> with fitwatch.Run("tiny", dir=d, diagnose=False) as run:
    ...     for epoch in run.epochs(3):
    ...         run.log_epoch(loss=[1.0, 0.5, 0.4][epoch], val_loss=[1.1, 0.7, 0.6][epoch])
    >>> data = DashboardData(fitwatch.Store.open(d))
    >>> [(r["name"], r["status"], r["epochs"], r["best_epoch"]) for r in data.runs()["runs"]]
    [('tiny', 'finished', 3, 2)]
    >>> [s["key"] for s in data.curves(run.id)["series"]]
    ['loss', 'val_loss']
"""

from __future__ import annotations

import csv
import io
import json
import math
import threading
import time
from collections import OrderedDict

import numpy as np

from fitwatch.show import style
from fitwatch.diagnosis.curves import Curves
from fitwatch.core.names import keras_key
from fitwatch.store import Store
from fitwatch.store.base import INT64
from fitwatch.show.before import summary_lines
from fitwatch.show.logfile import bests_of, head_bests
from fitwatch.show.tables import duration_of, error_line
from fitwatch.store.configs import flat_config, varying_keys
from fitwatch.store.status import effective_status
from fitwatch.show.dashboard.sweep import UnknownKey, sweep
from fitwatch.show.dashboard.series import jsonable, nonfinite_points, series_payload, values_json

#: the sort keys of ``/api/runs`` (``sort=``)
SORT_KEYS = ("id", "name", "status", "epochs", "best_val_loss", "best_epoch", "verdict", "started_at",
             "updated_at", "duration_s")
#: default and upper bound of ``max_points`` (min/max buckets) for batch-level series
STEPS_MAX_POINTS = 2000
MAX_POINTS_LIMIT = 100_000
#: ``/api/runs`` computes missing verdicts for at most this long per request; the rest come as
#: ``"verdict_pending": true`` and are there on the next request (the page polls)
VERDICT_BUDGET_S = 0.25


class NotFound(LookupError):
    """No such run (the API answers 404)."""


class BadRequest(ValueError):
    """A parameter out of range (the API answers 400)."""


class DashboardData:
    """The dashboard's view of one store.

    Args:
        store: an open :class:`fitwatch.Store` (``Store.open(dir)``). Safe to share between
            threads: the store serialises its SQLite calls.
    """

    def __init__(self, store: Store):
        self.store = store
        self._lock = threading.Lock()
        self._verdicts: dict[tuple[int, int], dict | None] = {}
        self._steps: OrderedDict[tuple[int, tuple], dict] = OrderedDict()  # LRU, a few runs

    # -- the runs list ----------------------------------------------------------------------
    def runs(self, q: str = "", verdict: str = "", sort: str = "id", order: str = "desc", tag: str = "") -> dict:
        """``GET /api/runs``: every run, filtered by name (``q``, case-insensitive substring), verdict
        (a multi-head model's runs match a verdict any of its heads has) and tag, sorted by ``sort`` (one of :data:`SORT_KEYS`) in ``order`` (``asc``/``desc``;
        missing values last either way). Each run has its tags, note and config (flattened:
        ``optimizer.lr``); ``config_keys`` lists the keys that differ across the runs, ``tags`` every tag."""
        if sort not in SORT_KEYS:
            raise BadRequest(f"sort={sort!r} is not a column; use one of {', '.join(SORT_KEYS)}")
        if order not in ("asc", "desc"):
            raise BadRequest(f"order={order!r}; use asc or desc")
        records = self.store.labelled_runs()
        deadline = time.monotonic() + VERDICT_BUDGET_S
        out = []
        for r in records:
            status = effective_status(r)
            diag, source = self._diagnosis_of(r, status, deadline)
            best = r.get("best_val_loss")
            dur = duration_of(r, status)
            out.append({
                "id": r["id"],
                "name": r["name"],
                "status": status,
                "epochs": r.get("epochs") or 0,
                "last_epoch": r.get("last_epoch"),
                "best_val_loss": best if best is not None and math.isfinite(best) else None,
                "best_epoch": r.get("best_epoch"),
                # without a val_loss: each head's best (val_reg_loss...), or the judged score's, as `fitwatch runs`
                "heads": head_bests(self.store, r),
                "verdict": diag.get("verdict") if diag else None,  # a multi-head model: the last head's,
                **({"verdicts": diag["verdicts"]} if diag and diag.get("verdicts") else {}),  # every head's
                "verdict_pending": source == "pending",
                "started_at": r.get("started_at"),
                "updated_at": r.get("updated_at"),
                "ended_at": r.get("ended_at"),
                "duration_s": None if dur is None else round(dur, 3),
                "error": error_line(r.get("error")),
                "tags": r["tags"], "note": r["note"], "config": flat_config(r.get("config")),
            })
        total = len(out)
        if tag:
            out = [r for r in out if tag in r["tags"]]
        if q:
            needle = q.casefold()
            out = [r for r in out if needle in r["name"].casefold()]
        if verdict:  # a multi-head model: any head's
            out = [r for r in out if verdict in (r.get("verdicts") or {"": r["verdict"] or "none"}).values()]
        present = [r for r in out if r[sort] is not None]
        missing = [r for r in out if r[sort] is None]
        key = (lambda r: r[sort].casefold()) if sort in ("name", "status", "verdict") else (lambda r: r[sort])
        present.sort(key=lambda r: (key(r), r["id"]), reverse=order == "desc")
        return {"store": str(self.store.path), "total": total, "count": len(out), "sort": sort, "order": order,
                "config_keys": varying_keys(records), "tags": sorted({t for r in records for t in r["tags"]}),
                "runs": present + missing}

    def sweep(self, key: str = "", tag: str = "") -> dict:
        """``GET /api/sweep``: each run's best validation loss against its config value ``key``
        (:func:`fitwatch.show.dashboard.sweep.sweep`)."""
        try:
            return sweep(self.store.labelled_runs(), key=key, tag=tag)
        except UnknownKey as e:
            raise BadRequest(str(e)) from None

    # -- one run ----------------------------------------------------------------------------
    def run(self, run_id: int) -> dict:
        """``GET /api/runs/{id}``: the record, config, info, early stopping, diagnosis, what curves it has."""
        data = self._load(run_id)
        status = effective_status(data)
        info = dict(data.info or {})
        stored = info.pop("diagnosis", None)
        diag, source = self._diagnosis_of({"id": data.id, "info": {"diagnosis": stored}, "epochs": len(data.epochs)},
                                          status, None, data)
        before = {k: info.pop(k) for k in ("preflight", "lr_find") if isinstance(info.get(k), dict)}
        stop = info.pop("early_stopping", None)  # given once, as "early_stopping"
        stop = stop if isinstance(stop, dict) else None
        counts = self.store.step_counts(data.id)
        best = None
        if ("val", "loss") in data.metrics:
            e, v = data.series("val", "loss")
            ok = np.isfinite(v)
            if ok.any():
                i = int(np.argmin(np.where(ok, v, np.inf)))
                best = {"epoch": int(e[i]), "value": float(v[i])}
        return jsonable({
            "id": data.id,
            "name": data.name,
            "status": status,
            "stored_status": data.status,
            "config": data.config or {},
            "info": info,
            "error": data.error,
            "error_line": error_line(data.error),
            "started_at": data.started_at,
            "ended_at": data.ended_at,
            "updated_at": data.updated_at,
            "duration_s": duration_of(data, status),
            "host": data.host,
            "pid": data.pid,
            "epochs": int(len(data.epochs)),
            "last_epoch": int(data.epochs[-1]) if len(data.epochs) else None,
            "best_val_loss": best["value"] if best else None,
            "best_epoch": best["epoch"] if best else None,
            "heads": [] if best else bests_of(data),
            "metrics": [{"split": s, "metric": m, "key": keras_key(s, m)} for s, m in data.metrics],
            "steps": [{"split": s, "metric": m, "key": keras_key(s, m), "n": n} for (s, m), n in sorted(counts.items())],
            "early_stopping": stop,
            "diagnosis": diag,
            "diagnosis_source": source,
            "annotations": _annotations(data, diag, stop),
            "before": summary_lines(before),  # fitwatch.preflight's and lr_find's, in a line each
            "lr_suggestion": (before.get("lr_find") or {}).get("suggestion"),
        })

    def curves(self, run_id: int, since_epoch: int | None = None, smooth: float = 0.0,
               max_points: int | None = None) -> dict:
        """``GET /api/runs/{id}/curves``: every epoch-level series (smoothing on the full series;
        ``since_epoch`` returns only later epochs, for live polling)."""
        smooth = _weight(smooth)
        max_points = _max_points(max_points, None)
        data = self._load(run_id)
        others = [s for s in data.splits if s not in style.SPLIT_COLORS]
        series = []
        for split, metric in data.metrics:
            x, y = data.series(split, metric)
            p = series_payload(x, y, smooth=smooth, max_points=max_points, since=since_epoch)
            series.append({"split": split, "metric": metric, "key": keras_key(split, metric),
                           "color": style.split_color(split, others), "dash": style.split_dash(split), **p})
        return {
            "id": data.id,
            "status": effective_status(data),
            "epochs": int(len(data.epochs)),
            "last_epoch": int(data.epochs[-1]) if len(data.epochs) else None,
            "updated_at": data.updated_at,
            "since_epoch": since_epoch,
            "smooth": smooth,
            "series": series,
        }

    def steps(self, run_id: int, split: str | None = None, metric: str | None = None,
              max_points: int | None = STEPS_MAX_POINTS, smooth: float = 0.0) -> dict:
        """``GET /api/runs/{id}/steps``: batch-level series, smoothed on the full series, then
        downsampled to ``max_points`` min/max buckets (spikes kept). ``n`` is the full length."""
        smooth = _weight(smooth)
        max_points = _max_points(max_points, STEPS_MAX_POINTS)
        arrays = self._step_arrays(run_id)
        if not arrays and not self.store.find_run(run_id):
            raise NotFound(_no_run(run_id))
        others = sorted({s for s, _ in arrays if s not in style.SPLIT_COLORS})
        series = []
        for (s, m), (x, y) in arrays.items():
            if (split and s != split) or (metric and m != metric):
                continue
            p = series_payload(x, y, smooth=smooth, max_points=max_points)
            series.append({"split": s, "metric": m, "key": keras_key(s, m), "color": style.split_color(s, others),
                           "dash": style.split_dash(s), **p})
        return {"id": run_id, "smooth": smooth, "max_points": max_points, "series": series}

    def layers(self, run_id: int) -> dict:
        """What ``run.watch(model)`` saw: ``{"panels": [{"id", "title", "data", "layout"}...]}``, the
        layers x sampled steps panels of :func:`fitwatch.show.layers.layer_figures` (none for a run
        that was not watched), and ``"lr_find"``: the learning-rate range test's curve stored with the
        run (:func:`fitwatch.show.before.lr_figure`), or None."""
        from fitwatch.diagnosis.inside import Inside
        from fitwatch.show.before import lr_figure
        from fitwatch.show.layers import layer_figures

        data = self._load(run_id)
        lr = lr_figure((data.info or {}).get("lr_find"), "lrfind")
        return {"panels": layer_figures(Inside.from_run(data), "layers"), "lr_find": lr}

    def compare(self, ids: list[int], smooth: float = 0.0, max_points: int | None = None) -> dict:
        """``GET /api/compare``: several runs' epoch-level series, one colour a run (``style.RUN_COLORS``)."""
        if not ids:
            raise BadRequest("ids is empty; pass run ids, e.g. /api/compare?ids=1,2")
        runs = []
        for i, run_id in enumerate(ids):
            summary = self.run(run_id)
            curves = self.curves(run_id, smooth=smooth, max_points=max_points)
            for s in curves["series"]:
                s["color"] = style.run_color(i)
            runs.append({k: summary[k] for k in ("id", "name", "status", "epochs", "best_val_loss", "best_epoch",
                                                   "annotations")}
                        | {"verdict": (summary["diagnosis"] or {}).get("verdict"), "color": style.run_color(i),
                           "series": curves["series"]})
        return {"smooth": _weight(smooth), "runs": runs}

    # -- exports: the full series, streamed ------------------------------------------------
    def export_csv(self, run_id: int):
        """``GET /api/runs/{id}/export.csv``: every epoch value, then every batch value, as CSV text chunks.

        Columns: ``level`` (``epoch`` or ``step``), ``split``, ``metric``, ``epoch``, ``step``
        (empty for epoch rows), ``value`` (``nan``, ``inf`` as such), ``n`` (the batch's sample
        count; empty for epoch rows).
        """
        data = self._load(run_id)
        raw = self.store.steps(data.id)

        def chunks():
            yield "level,split,metric,epoch,step,value,n\n"
            for split, metric in data.metrics:
                sm = _csv_cells(split, metric)
                x, y = data.series(split, metric)
                yield "".join(f"epoch,{sm},{e},,{v!r},\n" for e, v in zip(x.tolist(), y.tolist()))
            for (split, metric), a in raw.items():
                sm = _csv_cells(split, metric)
                for lo in range(0, a["step"].size, _CHUNK):
                    hi = lo + _CHUNK
                    yield "".join(f"step,{sm},{e},{s},{v!r},{n}\n" for e, s, v, n in zip(
                        a["epoch"][lo:hi].tolist(), a["step"][lo:hi].tolist(), a["value"][lo:hi].tolist(),
                        a["n"][lo:hi].tolist()))

        return chunks()

    def export_json(self, run_id: int):
        """``GET /api/runs/{id}/export.json``: the record and every series in full, as JSON text chunks
        (``null`` for non-finite values, listed in each series' ``nonfinite``)."""
        record = self.run(run_id)
        data = self._load(run_id)
        raw = self.store.steps(data.id)

        def chunks():
            head = {k: record[k] for k in ("id", "name", "status", "config", "info", "early_stopping", "diagnosis",
                                           "started_at", "ended_at")}
            yield json.dumps(head, allow_nan=False)[:-1] + ',"epochs":['
            for i, (split, metric) in enumerate(data.metrics):
                x, y = data.series(split, metric)
                yield ("," if i else "") + json.dumps({
                    "split": split, "metric": metric, "key": keras_key(split, metric), "epoch": x.tolist(),
                    "value": values_json(y), "nonfinite": nonfinite_points(x, y)}, allow_nan=False)
            yield '],"steps":['
            for i, ((split, metric), a) in enumerate(raw.items()):
                head = {"split": split, "metric": metric, "key": keras_key(split, metric), "n": int(a["step"].size),
                        "nonfinite": nonfinite_points(a["step"], a["value"])}
                yield ("," if i else "") + json.dumps(head, allow_nan=False)[:-1]
                for name, arr in (("step", a["step"]), ("epoch", a["epoch"]), ("value", a["value"]),
                                  ("batch_size", a["n"])):
                    yield f',"{name}":['
                    for lo in range(0, arr.size, _CHUNK):
                        part = values_json(arr[lo:lo + _CHUNK]) if name == "value" else arr[lo:lo + _CHUNK].tolist()
                        yield ("," if lo else "") + json.dumps(part, allow_nan=False)[1:-1]
                    yield "]"
                yield "}"
            yield "]}\n"

        return chunks()

    # -- helpers ----------------------------------------------------------------------------
    def _load(self, run_id: int):
        try:
            return self.store.load(int(run_id))  # an int is an id only: a run named "3" is not run 3
        except KeyError:
            raise NotFound(_no_run(run_id)) from None

    def _diagnosis_of(self, r: dict, status: str, deadline: float | None, data=None) -> tuple[dict | None, str]:
        """(diagnosis dict, where it came from: ``stored``, ``computed``, ``pending`` or ``none``)."""
        stored = (r.get("info") or {}).get("diagnosis")
        if isinstance(stored, dict) and stored.get("verdict") and status != "running":
            return stored, "stored"
        key = (r["id"], int(r.get("epochs") or 0))
        with self._lock:
            if key in self._verdicts:
                d = self._verdicts[key]
                return d, "computed" if d else "none"
        if deadline is not None and time.monotonic() > deadline:
            return None, "pending"
        d = _diagnose(data if data is not None else self.store.load(r["id"]))
        with self._lock:
            if len(self._verdicts) > 20_000:
                self._verdicts.clear()
            self._verdicts[key] = d
        return d, "computed" if d else "none"

    def _step_arrays(self, run_id: int) -> dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]:
        if not 0 < run_id < INT64:  # no run has that id: the caller answers 404
            return {}
        counts = self.store.step_counts(run_id)
        key = (run_id, tuple(sorted(counts.items())))
        with self._lock:
            hit = self._steps.get(key)
            if hit is not None:
                self._steps.move_to_end(key)
                return hit
        if not counts:
            return {}
        raw = self.store.steps(run_id)
        arrays = {k: (v["step"], v["value"]) for k, v in raw.items()}
        with self._lock:
            self._steps[key] = arrays
            for old in [k for k in self._steps if k[0] == run_id and k != key]:
                del self._steps[old]  # an older length of the same run
            while len(self._steps) > _STEP_CACHE_RUNS:
                self._steps.popitem(last=False)
        return arrays


_CHUNK = 50_000  # values per streamed piece of an export
_STEP_CACHE_RUNS = 4


def _no_run(run_id) -> str:
    return f"no run with id {run_id} in this store; GET /api/runs lists them"


def _weight(smooth) -> float:
    try:
        w = float(smooth)
    except (TypeError, ValueError):
        w = float("nan")
    if not 0.0 <= w < 1.0:
        raise BadRequest(f"smooth={smooth!r} is not a smoothing weight; use a number in [0, 1), e.g. smooth=0.6")
    return w


def _max_points(v, default):
    if v is None:
        return default
    try:
        n = int(v)
    except (TypeError, ValueError):
        n = 0
    if not 1 <= n <= MAX_POINTS_LIMIT:
        raise BadRequest(f"max_points={v!r}; use a whole number from 1 to {MAX_POINTS_LIMIT}, e.g. max_points=2000")
    return n


def _csv_cells(*cells: str) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(cells)
    return buf.getvalue()


def _diagnose(data) -> dict | None:
    """The diagnosis of a run read back, as ``Run.finish`` would store it
    (:func:`fitwatch.diagnosis.monitored.recorded_diagnosis`: None without a loss, nor heads)."""
    from fitwatch.diagnosis.monitored import recorded_diagnosis

    if not len(data.epochs):
        return None
    try:
        d = recorded_diagnosis(Curves.from_run(data))
        return None if d is None else jsonable(d.to_dict())  # a multi-head model: each head in "runs"
    except Exception:  # a diagnosis failing on odd curves must not take the page down
        return None


def _annotations(data, diag: dict | None, stop: dict | None) -> dict:
    """What the plots mark: best epoch, overfitting onset, early stop, restored epoch, first NaN/inf. A
    multi-head model's best epoch and onset are each head's, in ``heads`` (``{"reg_loss": {"best_epoch",
    "onset_epoch"}}``, marked on that head's panel); the top level's are then None (they were the last
    head's, marked on every panel)."""
    out = {"best_epoch": None, "onset_epoch": None, "stopped_epoch": None, "restored_epoch": None,
           "first_nonfinite": None, "last_epoch": int(data.epochs[-1]) if len(data.epochs) else None}
    heads = [h for h in (diag or {}).get("runs") or [] if isinstance(h, dict)]
    if heads:
        out["heads"] = {_metric_of(h.get("monitor") or ""): {"best_epoch": h.get("best_epoch"),
                                                             "onset_epoch": h.get("onset_epoch")} for h in heads}
    elif diag:
        out["best_epoch"] = diag.get("best_epoch")
        out["onset_epoch"] = diag.get("onset_epoch")
    if stop:
        if stop.get("stopped", stop.get("stopped_epoch") is not None):
            out["stopped_epoch"] = stop.get("stopped_epoch")
        if stop.get("restored"):
            out["restored_epoch"] = stop.get("restored_epoch")
    curves = Curves.from_run(data)
    bad = curves.first_nonfinite([keras_key(s, m) for s, m in data.metrics if m == "loss"])
    if bad:
        out["first_nonfinite"] = list(bad)
    return out


def _metric_of(monitor: str) -> str:
    """The metric of a head's judged curve, its panel: ``val_reg_loss`` -> ``reg_loss``."""
    return monitor[4:] if monitor.startswith("val_") else monitor
