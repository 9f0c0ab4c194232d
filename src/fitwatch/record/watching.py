"""``Run.watch(model)``: probes inside the model, stored with the run once an epoch.

The probes themselves live in :mod:`fitwatch.probes` (hooks, statistics on the device); this mixin
attaches them to a run: it hands their rows to the store at the end of every epoch, keeps what they
learned of the model in the run's ``info["probes"]``, and takes the hooks off when the run ends.

:class:`BeforeMixin` keeps what was learned before training: ``fitwatch.preflight(..., run=run)`` and
``fitwatch.lr_find(..., run=run)`` (or ``fitwatch.Run(..., preflight=report)``) store their results in the
run's ``info`` (``"preflight"``, ``"lr_find"``), where the diagnosis, ``fitwatch show``, the report and the
dashboard read them.
"""

from __future__ import annotations

import copy
import sys
import warnings

from fitwatch.probes.names import check_every


class WatchMixin:
    """The probe side of :class:`fitwatch.Run` (it needs the run's ``store``, ``id``, ``info`` and ``epoch``)."""

    _watchers: tuple = ()  # (watcher, layer-name prefix) of each model watched

    def watch(self, model, every: int | None = None, *, name: str | None = None) -> "WatchMixin":
        """Probe ``model`` while it trains, so that the diagnosis can name a cause, not only a symptom.

        Hooks are attached on sampled training steps only (steps 0, 1, 4, 16 and one in
        ``every``): each layer's gradient norm, weight norm, update-to-weight ratio and share of
        zero gradients; each activation module's dead and saturated shares; the input's
        per-feature scale; the output's range; at the loss, the labels' class counts and the
        predicted classes. Values stay on the model's device and are read once an epoch, when
        the epoch ends; they are stored with the run (``fitwatch.load(name).probes()``), and
        :func:`fitwatch.diagnose` turns them into cause findings (``dead_relu``,
        ``vanishing_gradient``... see docs/probes.md).

        Args:
            model: a ``torch.nn.Module``, or a Keras 3 model on the torch backend
                (``fitwatch.keras.Callback(watch=True)`` calls this). Activations are seen through activation modules
                (``nn.ReLU()``, ``nn.Sigmoid()``...), not functional calls (``F.relu``); the loss
                through an ``nn`` loss module (``nn.CrossEntropyLoss()``...) called on the output.
            every: one training step in ``every`` is probed once past the first few. Defaults to
                :func:`fitwatch.probes.default_every` (100).
            name: a prefix for the layer names when one run watches several models (a GAN's
                ``"generator"`` and ``"discriminator"``).

        Returns:
            The run (``run.watch(model)`` chains).

        Raises:
            TypeError: ``model`` is not a ``torch.nn.Module``.
            ValueError: ``every`` is not a whole number >= 1, or the model (or name) is watched already.

        Example:
            >>> import tempfile, torch, fitwatch
            >>> model = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
            >>> opt = torch.optim.SGD(model.parameters(), lr=0.1)
            >>> x, y = torch.randn(64, 4), torch.randint(0, 2, (64,))
            >>> run = fitwatch.Run("watched", dir=tempfile.mkdtemp(), diagnose=False).watch(model)
            >>> for epoch in run.epochs(2):
            ...     opt.zero_grad(); loss = torch.nn.CrossEntropyLoss()(model(x), y); loss.backward(); opt.step()
            ...     run.log("train", loss=loss.detach(), n=64)
            >>> run.finish()
            >>> probes = fitwatch.load("watched", dir=run.store.path).probes()
            >>> probes[("0", "grad_norm")]["step"].tolist()
            [0, 1]
        """
        if self.status != "running":
            raise RuntimeError(f"fitwatch: run {self.name!r} is {self.status}; watch the model before it ends")
        prefix = f"{name}/" if name else ""
        module = type(model).__module__ or ""
        if not module.startswith("keras") and not _is_torch_module(model):  # what it is, before whether it is new
            raise TypeError(f"fitwatch: watch() takes a torch.nn.Module or a Keras model, got "
                            f"{type(model).__name__} ({module})")
        check_every(every)
        keras = module.startswith("keras")
        if not keras:  # torch.compile(model) given: the model it wraps is the one watched (and compared)
            from fitwatch.probes.torch_compile import uncompiled

            model = uncompiled(model)
        for w, p in self._watchers:
            same = w.model is model
            if same or p == prefix:
                raise ValueError("fitwatch: this model is watched already" if same else
                                 "fitwatch: a second model needs its own name: run.watch(model, name='generator')")
        if keras:  # a Keras 3 model: its layers, on the torch backend
            from fitwatch.probes.keras_watch import KerasWatcher

            watcher = KerasWatcher(model, every)
        else:
            from fitwatch.probes.torch_watch import TorchWatcher

            watcher = TorchWatcher(model, every)
        self._watchers = (*self._watchers, (watcher, prefix))
        self._save_probe_meta(write=False)  # written with the first epoch (no store write on the hot path here)
        return self

    def _collect_probes(self, epoch: int, say: bool = True) -> None:
        """Hand the probes' values of the epoch that ends to the store (one device read each); say once when a
        watched model saw no training step (gradients on) by the time an epoch that logged training values ended,
        or nothing at all by the end of an epoch (a tenth trial: a LightningModule whose training_step calls
        self.net directly stored no probe value, without a word); not when ``say`` is False (a run that logged
        nothing: its crash is the story, not the probes)."""
        trained = any(a.split == "train" and a.has_data() for a in getattr(self, "_accs", {}).values())
        for watcher, prefix in self._watchers:
            rows = watcher.collect()
            if rows:
                self.store.queue_probes(self.id, [(epoch, s, prefix + layer, stat, v) for s, layer, stat, v in rows])
            evaluated = getattr(watcher, "eval_step", 1)
            # no training step seen: while the run logged training values (its evaluations seen or not), or at all; or
            # a sampled step's gradient hooks reached by 3 backward passes or more after its own (forward passes unseen)
            unseen = getattr(watcher, "meta", {}).get("unseen_backward", 0) >= 3
            if say and (unseen or not getattr(watcher, "step", 1) and (trained or not rows and not evaluated)) \
                    and not watcher.idle_said:
                watcher.idle_said = True
                # torch.compile(model) reuses the compiled forward pass of a model of the same class compiled earlier in
                # the process, without the hooks added since (torch._dynamo.config.skip_nnmodule_hook_guards)
                compiled = ("; or, if it is compiled with torch.compile(model) after another model of its class was "
                            "compiled in this process, torch runs that one's compiled code, without fitwatch's hooks: "
                            "compile it with model.compile() instead, or call torch._dynamo.reset() before"
                            if getattr(getattr(sys.modules.get("torch._dynamo.utils"), "orig_code_map", None), "values",
                                       None) else "")  # (torch compiled something in this process)
                saw = (f"{watcher.meta['unseen_backward']} backward passes went through forward passes its hooks did "
                       f"not see by the end of epoch {epoch}: most training steps were not probed" if unseen else
                       f"its forward saw no training step (a pass with gradients on)"
                       f"{'' if evaluated else ' and no evaluation'} by the end of epoch {epoch}"
                       f"{', which logged training values' if trained else ''}: nothing{' of training' if evaluated else ''}"
                       f" was probed")
                warnings.warn(f"fitwatch: run {self.name!r} watches {type(watcher.model).__name__}: "
                              f"{saw}. Watch the module your "
                              f"step calls (in a LightningModule whose training_step calls self.net(x): "
                              f"self.logger.experiment.watch(self.net) in on_fit_start){compiled}.", RuntimeWarning,
                              stacklevel=2)
        self._save_probe_meta()

    def _val_logged(self) -> None:
        """A validation value was logged: each watcher notes the mode of its model's last forward pass (training
        mode without gradients: a validation loop that forgot ``model.eval()``)."""
        for watcher, _ in self._watchers:
            seen = getattr(watcher, "val_logged", None)
            if seen is not None:
                seen()

    def _save_probe_meta(self, write: bool = True) -> None:
        """Keep what the watchers know of the model in the run's ``info["probes"]``; store it when it
        changed (the loss and the optimizer are known after the first step)."""
        if not self._watchers:
            return
        meta = {p.rstrip("/") or "model": w.meta for w, p in self._watchers}
        meta = meta["model"] if list(meta) == ["model"] else meta
        if self.info.get("probes") != meta:
            self.info["probes"] = copy.deepcopy(meta)
            if write:
                self.store.update_run(self.id, info=self.info)

    def _stop_watching(self, say: bool = True) -> None:
        """The run ends: store what the probes still hold (steps after the last epoch's end), then take
        every hook off its model (``say``: see :meth:`_collect_probes`)."""
        if self._watchers:
            self._collect_probes(self.epoch, say)
        for watcher, _ in self._watchers:
            watcher.close()


def _is_torch_module(model) -> bool:
    import sys

    torch = sys.modules.get("torch")  # a model of torch's means torch is imported already
    return torch is not None and isinstance(model, torch.nn.Module)


class BeforeMixin:
    """The pre-flight side of :class:`fitwatch.Run` (it needs the run's ``store``, ``id`` and ``info``)."""

    def add_preflight(self, report) -> None:
        """Store a :class:`fitwatch.Preflight` report (or its ``to_dict()``) with the run."""
        self._keep("preflight", report)

    def add_lr_find(self, sweep) -> None:
        """Store a :class:`fitwatch.LRSweep` (or its ``to_dict()``) with the run: its page shows the
        curve and the suggested learning rate."""
        self._keep("lr_find", sweep)

    def _keep(self, key: str, obj) -> None:
        d = obj.to_dict() if hasattr(obj, "to_dict") else obj
        if not isinstance(d, dict):
            raise TypeError(f"fitwatch: Run.add_{key} takes the result of fitwatch.{key}(...), "
                            f"got {type(obj).__name__}")
        self.info[key] = d
        self.store.update_run(self.id, info=self.info)
