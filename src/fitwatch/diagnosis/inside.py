"""What the probes saw inside a model (:meth:`fitwatch.Run.watch`), as the cause rules read it.

:class:`Inside` wraps a run's probe values, ``{(layer, stat): {"step", "epoch", "value": arrays}}``
(:meth:`fitwatch.RunData.probes`), and what the watcher knew of the model (``info["probes"]``:
its layers in order, its activation modules, its loss and optimizer), with the few questions the
rules of :mod:`fitwatch.diagnosis.causes` ask: a statistic's values over the sampled steps, its
value at the first sampled step, its typical value over the last half of the run.

Example:
    >>> import numpy as np
    >>> values = {("0", "grad_norm"): {"step": np.array([0, 1, 2]), "epoch": np.array([0, 0, 1]),
    ...                                "value": np.array([0.5, 0.4, 0.3])}}
    >>> inside = Inside(values, {"layers": [{"name": "0", "type": "Linear", "params": 40}]})
    >>> inside.layers, inside.first("0", "grad_norm"), inside.late("0", "grad_norm")
    (['0'], 0.5, 0.35)
"""

from __future__ import annotations

import numpy as np


class Inside:
    """A run's probe values and model description.

    Args:
        values: ``{(layer, stat): {"step", "epoch", "value": arrays}}``.
        meta: ``info["probes"]`` of the run (one model's, or ``{name: meta}`` for several).
    """

    def __init__(self, values: dict, meta: dict | None):
        self.values = _unscaled(_stepped_updates(values), _any_model(meta, "loss_scaler"))
        values = self.values
        meta = meta or {}
        if meta and "layers" not in meta:  # several models, watched under names: their layers prefixed
            merged: dict = {"layers": [], "activations": []}
            for name, m in meta.items():
                if isinstance(m, dict):
                    for key in ("layers", "activations"):
                        merged[key] += [{**x, "name": f"{name}/{x['name']}"} for x in m.get(key, [])]
                    for key in ("loss", "optimizer", "every", "output_activation", "dropout", "batch_norm",
                                "val_in_train_mode", "val_with_grad", "val_in_eval_mode", "eval_mode_steps",
                                "eval_mode_off", "loss_scaler", "compiled"):
                        if key in m:
                            merged.setdefault(key, m[key])
            meta = merged
        self.meta = meta
        self.layers: list[str] = [x["name"] for x in meta.get("layers", [])]
        self.layer_types = {x["name"]: x.get("type", "") for x in meta.get("layers", [])}
        self.activations = {x["name"]: x.get("type", "") for x in meta.get("activations", [])}
        self.loss: str | None = meta.get("loss")
        #: the first sampled step whose weights or gradients hold a NaN or an infinity (None: never):
        #: what the probes saw from there on is of a broken model, and is left out of every statistic
        self.broken_at: int | None = None
        for (layer, stat), v in values.items():
            if stat in ("weight_nonfinite", "grad_nonfinite"):
                bad = v["step"][np.nan_to_num(v["value"], nan=1.0) > 0]
                if bad.size and (self.broken_at is None or bad[0] < self.broken_at):
                    self.broken_at = int(bad[0])

    @classmethod
    def from_run(cls, data) -> "Inside | None":
        """What a run read back from the store (:class:`fitwatch.RunData`) holds of its probes, or None
        for a run that was not watched."""
        probes = data.probes()
        meta = (data.info or {}).get("probes")
        meta = meta if isinstance(meta, dict) else None
        # (a model only ever trained in eval() has no training step, only its count)
        return cls(probes, meta) if probes or _any_model(meta, "eval_mode_steps") else None

    def __bool__(self) -> bool:
        return bool(self.values) or "eval_mode_steps" in self.meta

    def steps(self, layer: str, stat: str) -> np.ndarray:
        v = self.values.get((layer, stat))
        return v["step"] if v is not None else np.empty(0, dtype=np.int64)

    def series(self, layer: str, stat: str) -> np.ndarray:
        """The statistic's value at every sampled step before the model broke (:attr:`broken_at`);
        empty when never recorded."""
        v = self.values.get((layer, stat))
        if v is None:
            return np.empty(0)
        if self.broken_at is not None and not stat.endswith("nonfinite"):
            return v["value"][v["step"] < self.broken_at]
        return v["value"]

    def early(self, layer: str, stat: str, last_step: int = 16) -> np.ndarray:
        """Its values at the sampled steps 1 to ``last_step`` (the first updates)."""
        v = self.values.get((layer, stat))
        if v is None:
            return np.empty(0)
        keep = (v["step"] >= 1) & (v["step"] <= last_step)
        return v["value"][keep]

    def first(self, layer: str, stat: str) -> float | None:
        """Its value at the first sampled step (the model as initialised), None without one."""
        s = self.series(layer, stat)
        return float(s[0]) if s.size else None

    def late(self, layer: str, stat: str) -> float | None:
        """Its median over the last half of the sampled steps (what the run settled into)."""
        s = self.series(layer, stat)
        s = s[~np.isnan(s)]
        return float(np.median(s[s.size // 2:])) if s.size else None

    def typical(self, layer: str, stat: str) -> float | None:
        """Its median over every sampled step but the first (the model as it trained)."""
        s = self.series(layer, stat)
        s = s[1:] if s.size > 1 else s
        s = s[~np.isnan(s)]
        return float(np.median(s)) if s.size else None

    def per_class(self, layer: str, stat: str, *, last_epochs: int | None = None) -> np.ndarray | None:
        """A per-class statistic (``count``, ``pred``, ``hit``) summed over the sampled steps (of the
        last ``last_epochs`` epochs only, when given): one value per class, None when never recorded."""
        cols = []
        k = 0
        while (layer, f"{stat}/{k}") in self.values:
            v = self.values[(layer, f"{stat}/{k}")]
            keep = np.ones(v["value"].size, dtype=bool)
            if last_epochs is not None and v["epoch"].size:
                keep = v["epoch"] > v["epoch"].max() - last_epochs
            cols.append(float(np.nansum(v["value"][keep])))
            k += 1
        return np.array(cols) if cols else None

    def pooled(self, stat: str) -> tuple[np.ndarray, np.ndarray]:
        """``(steps, values)`` of ``stat`` over every layer that records it (the ``optimizer`` pseudo-layer of each
        watched model), finite values before the model broke (:attr:`broken_at`) only."""
        steps, vals = [], []
        for (layer, s) in self.values:
            if s == stat:
                x = self.series(layer, stat)
                t = self.steps(layer, stat)[:x.size]
                keep = np.isfinite(x)
                steps.append(t[keep])
                vals.append(x[keep])
        return (np.concatenate(steps), np.concatenate(vals)) if steps else (np.empty(0, dtype=np.int64), np.empty(0))

    @property
    def activations_unseen(self) -> bool:
        """A model compiled with ``torch.compile`` whose activations were not sampled: dead or saturated units can be
        neither seen nor ruled out."""
        return bool(self.meta.get("compiled")) and bool(self.activations)

    def has(self, layer: str, stat: str) -> bool:
        return (layer, stat) in self.values

    def epoch_of(self, layer: str, stat: str, i: int) -> int | None:
        v = self.values.get((layer, stat))
        return int(v["epoch"][i]) if v is not None and v["epoch"].size else None


def _model_keys(values: dict, pseudo: str, stats: tuple[str, ...]):
    """The keys of ``stats`` that belong to the watched model whose ``optimizer`` pseudo-layer is ``pseudo`` (the
    model's name as prefix, or none for a single model, whose layer names hold no "/")."""
    prefix = pseudo[:-len("optimizer")]
    return [(name, s) for (name, s) in values if s in stats and name.startswith(prefix) and (prefix or "/" not in name)]


def _stepped_updates(values: dict) -> dict:
    """The probe values with the update ratios of sampled steps over which no torch optimizer stepped left out
    (``optimizer/stepped`` 0: a micro-batch of gradient accumulation before the watcher knew the loop steps, whose
    update of exactly 0 is no evidence of a rate too small), once the model's optimizer is seen stepping (a 1); a
    model updated by hand, or by Keras, has no 1 and keeps every value. Each watched model (prefix) on its own."""
    out = dict(values)
    for (layer, stat), v in values.items():
        if stat != "stepped" or not layer.endswith("optimizer") or not np.any(v["value"] == 1):
            continue
        skip = v["step"][v["value"] == 0]
        for key in _model_keys(values, layer, ("update_ratio",)) if skip.size else ():
            keep = ~np.isin(values[key]["step"], skip)
            out[key] = {k: a[keep] for k, a in values[key].items()}
    return out


#: a backward gradient this many times the one the optimizer stepped with, a power of 2 within LOSS_SCALE_TOL (in
#: log2): a loss scaler's factor (torch.amp.GradScaler starts at 2**16), not an exploding gradient
LOSS_SCALE_MIN, LOSS_SCALE_TOL = 2.0 ** 7, 1e-3


def _any_model(meta: dict | None, key: str) -> bool:
    """Whether the probe info of the run (one model's, or ``{name: info}`` of several) holds ``key``, true."""
    return any(isinstance(m, dict) and bool(m.get(key)) for m in (meta or {}, *(meta or {}).values()))


def _loss_scales(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(log2 of x, where x is a loss scaler's factor)``: a power of 2 (within ``LOSS_SCALE_TOL``) of
    ``LOSS_SCALE_MIN`` or more; a NaN or infinite ratio is none."""
    with np.errstate(divide="ignore", invalid="ignore"):
        power = np.log2(x)
        return power, np.isfinite(power) & (x >= LOSS_SCALE_MIN) & (np.abs(power - np.round(power)) < LOSS_SCALE_TOL)


def _unscaled(values: dict, scaled: bool = False) -> dict:
    """The probe values with a loss scaler's factor taken out of the gradient norms: at each sampled step where the
    backward gradient was a power of 2 (``LOSS_SCALE_MIN`` or more) times the one the optimizer stepped with
    (``optimizer/grad_scale``: GradScaler unscales before the step), the layers' ``grad_norm`` are divided by it; in a
    run so scaled, the other sampled steps' gradient norms (a step the scaler skipped, or gradients clipped after
    unscaling) are left out, and an overflow of the scaled gradients is no broken model (the scaler skips that step).
    An attack: a healthy bfloat16 run under GradScaler had "exploding gradients, 9.48e+03 times the weights". When the
    probes saw the scaler call the step (``scaled``), a clipped step's norms are divided by the power of 2 of the
    nearest unclipped one, or, with none, by the largest power of 2 in its ratio (the clip's cut is 1 or more): an
    attack's GradScaler run clipped at every step kept its scaled norms and was told to clip."""
    out = dict(values)
    for (layer, stat), v in values.items():
        if stat != "grad_scale" or not layer.endswith("optimizer"):
            continue
        x = np.asarray(v["value"], dtype=float)
        power, ok = _loss_scales(x)
        big = np.isfinite(power) & (x >= LOSS_SCALE_MIN)
        known = values.get((layer[:-len("optimizer")] + "optimizer", "loss_scale"))
        if known is not None and known["step"].size:  # the scaler's own factor at each step: exact
            factor = {int(t): float(f) for t, f in zip(known["step"], known["value"]) if np.isfinite(f) and f > 0}
            ok, big = np.isin(v["step"], list(factor)), np.zeros_like(big)
        elif not ok.any() and not (scaled and big.any()):
            continue
        else:
            factor = dict(zip(v["step"][ok].tolist(), 2.0 ** np.round(power[ok])))
        if scaled:  # clipped after unscaling: the scale of the nearest exact step, else the ratio's power of 2
            exact = v["step"][ok]
            for t, p in zip(v["step"][big & ~ok].tolist(), power[big & ~ok]):
                near = factor[int(exact[np.argmin(np.abs(exact - t))])] if exact.size else 2.0 ** np.floor(p)
                factor[t] = min(near, 2.0 ** np.floor(p))
        for key in _model_keys(values, layer, ("grad_norm", "grad_nonfinite")):
            keep = np.isin(values[key]["step"], list(factor))
            out[key] = {k: a[keep] for k, a in values[key].items()}
            if key[1] == "grad_norm":
                out[key]["value"] = out[key]["value"] / np.array([factor[int(t)] for t in out[key]["step"]])
    return out


def unscaled_cut(cut: np.ndarray, scaled: bool, scale: np.ndarray | None = None) -> float | None:
    """The median of the backward's gradient norm over the one the step took, a loss scaler's factor taken out: under
    torch.amp.GradScaler (``scaled``: the probes saw it call the step) the ratio is its power of 2 times the clip's
    cut, and the steps the clip left alone give that power. None when there is no ratio, or a scaled run gives no
    power to divide by (an attack: SGD under GradScaler, clipped 1.6x, read "1.08e+05 times larger")."""
    if cut.size == 0:
        return None
    if scale is not None and scale.size == cut.size and np.all(scale > 0):  # the scaler's own factor, step by step
        return float(np.median(cut / scale))
    times = float(np.median(cut))
    if not scaled:
        return times
    exact = cut[_loss_scales(cut)[1]]
    return times / float(np.median(exact)) if exact.size else None
