"""Run.watch(model): probes recorded on sampled steps, stored with the run, read once an epoch, and
the causes the diagnosis names from them. Real torch training loops, a real SQLite store."""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import sqlite3
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

import fitwatch  # noqa: E402
from fitwatch.diagnosis.remedies import CATALOGUE  # noqa: E402
from fitwatch.store import SCHEMA_VERSION, Store  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _data(n=256, d=8, k=3, seed=0, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=g)
    w = torch.randn(d, k, generator=g)
    y = (x @ w).argmax(1)
    return x * scale, y


def _train(tmp_path, model, *, name="probed", epochs=6, lr=0.05, opt="sgd", x=None, y=None, loss=None,
           every=None, batch=32, val=True, zero_grad=True, accumulate=1, eval_mode=True, train_mode="each",
           weight_decay=0.0, clip=None, no_grad=True, compiled=False):
    torch.manual_seed(0)
    x, y = (x, y) if x is not None else _data()
    loss = loss or nn.CrossEntropyLoss()
    o = (torch.optim.SGD if opt == "sgd" else torch.optim.Adam)(model.parameters(), lr=lr, weight_decay=weight_decay)
    # compiled: the model watched, then compiled; "watched": the compiled model given to watch()
    forward = torch.compile(model, backend="aot_eager") if compiled else model
    run = fitwatch.Run(name, dir=tmp_path, diagnose=False).watch(forward if compiled == "watched" else model,
                                                                 every=every)
    n = len(x) * 3 // 4
    model.train() if train_mode == "once" else model.eval() if train_mode == "never" else None
    for _ in run.epochs(epochs):
        if train_mode == "each":
            model.train()
        for k, i in enumerate(range(0, n, batch)):
            xb, yb = x[i:i + batch], y[i:i + batch]
            out = forward(xb)
            lo = loss(out, yb)
            (lo / accumulate).backward()
            if clip is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip)
            if (k + 1) % accumulate == 0:
                o.step()
                if zero_grad:
                    o.zero_grad()
            run.log("train", loss=lo.detach(), n=len(xb))
        if val:
            if eval_mode:
                model.eval()
            with torch.no_grad() if no_grad else contextlib.nullcontext():
                run.log("val", loss=loss(forward(x[n:]), y[n:]), n=len(x) - n)
    run.finish()
    return run, fitwatch.diagnose(name, dir=tmp_path)


def _mlp(d=8, h=32, k=3, act=nn.ReLU, depth=1):
    layers, width = [], d
    for _ in range(depth):
        layers += [nn.Linear(width, h), act()]
        width = h
    return nn.Sequential(*layers, nn.Linear(width, k))


# -- what is recorded, and where ------------------------------------------------------------------
def test_watch_records_the_dropout_and_weight_decay_the_run_uses_as_its_context(tmp_path):
    """A watched model's dropout modules and its optimizer's weight decay are the run's regularisation:
    the diagnosis reads them (context dropout, weight_decay) and does not prescribe them again."""
    from fitwatch.diagnosis.curves import Curves

    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 3))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.02)
    x, y = _data()
    run = fitwatch.Run("regularised", dir=tmp_path, diagnose=False).watch(model)
    for _ in run.epochs(2):
        opt.zero_grad()
        loss = nn.CrossEntropyLoss()(model(x), y)
        loss.backward()
        opt.step()
        run.log("train", loss=loss.detach(), n=len(x))
    run.finish()
    data = fitwatch.load("regularised", dir=tmp_path)
    assert (data.info["probes"]["dropout"], data.info["probes"]["weight_decay"]) == (0.3, 0.02)
    context = Curves.from_run(data).context
    assert (context["dropout"], context["weight_decay"]) == (0.3, 0.02)
    plain = nn.Sequential(nn.Linear(8, 3))  # none: nothing said
    run = fitwatch.Run("plain", dir=tmp_path, diagnose=False).watch(plain)
    opt = torch.optim.SGD(plain.parameters(), lr=0.1)
    for _ in run.epochs(1):
        opt.zero_grad()
        nn.CrossEntropyLoss()(plain(x), y).backward()
        opt.step()
    run.finish()
    assert not {"dropout", "weight_decay"} & set(fitwatch.load("plain", dir=tmp_path).info["probes"])


def test_two_watched_models_regularisation_is_the_runs_context(tmp_path):
    """An attack: a GAN's generator and discriminator watched under names kept their dropout and weight decay in
    info["probes"][name], and the diagnosis read none of it (an overfit told to add what it had): the largest
    of each is the run's."""
    from fitwatch.diagnosis.curves import Curves

    g = nn.Sequential(nn.Linear(8, 16), nn.Dropout(0.2), nn.Linear(16, 8))
    d = nn.Sequential(nn.Linear(8, 16), nn.Dropout(0.5), nn.Linear(16, 3))
    opts = [torch.optim.AdamW(g.parameters(), weight_decay=0.05), torch.optim.SGD(d.parameters(), lr=0.1)]
    x, y = _data()
    run = fitwatch.Run("gan", dir=tmp_path, diagnose=False).watch(g, name="generator").watch(d, name="discriminator")
    for _ in run.epochs(2):
        for opt in opts:
            opt.zero_grad()
        loss = nn.CrossEntropyLoss()(d(g(x)), y)
        loss.backward()
        for opt in opts:
            opt.step()
        run.log("train", loss=loss.detach(), n=len(x))
    run.finish()
    context = Curves.from_run(fitwatch.load("gan", dir=tmp_path)).context
    assert (context["dropout"], context["weight_decay"]) == (0.5, 0.05)
    # the Lightning logger's reading: the largest decay among the optimizers, the first without any
    from fitwatch.probes.regularisation import torch_regularisation
    assert torch_regularisation(nn.Sequential(g, d), opts[::-1]) == {"dropout": 0.5, "weight_decay": 0.05}
    # a loss module the model holds (a LightningModule's criterion): its label smoothing sets the loss's floor
    held = nn.ModuleDict({"net": g, "criterion": nn.CrossEntropyLoss(label_smoothing=0.1)})
    assert torch_regularisation(held)["label_smoothing"] == pytest.approx(0.1)


def test_watch_records_each_layer_and_activation_on_sampled_steps_and_stores_them(tmp_path):
    model = _mlp()
    run, d = _train(tmp_path, model, every=4)
    data = fitwatch.load("probed", dir=tmp_path)
    probes = data.probes()
    steps = probes[("0", "grad_norm")]["step"].tolist()
    assert steps[:4] == [0, 1, 4, 8] and all(s % 4 == 0 for s in steps[2:])  # 0, 1, then every 4th
    assert set(probes[("0", "grad_norm")]["epoch"].tolist()) == set(range(6))
    for stat in ("grad_norm", "weight_norm", "update_ratio", "zero_grad"):
        assert ("0", stat) in probes and ("2", stat) in probes
    assert ("1", "dead") in probes and 0 <= probes[("1", "dead")]["value"].min() <= 1
    assert probes[("input", "scale_max")]["value"].max() < 5
    counts = sum(probes[("labels", f"count/{c}")]["value"].sum() for c in range(3))
    assert counts == 32 * len(steps)  # every sampled batch's labels counted once
    assert ("val_labels", "count/0") in probes  # validation passes sampled too
    meta = data.info["probes"]
    assert meta["loss"] == "CrossEntropyLoss" and meta["optimizer"] == "SGD" and meta["every"] == 4
    assert [x["name"] for x in meta["layers"]] == ["0", "2"] and meta["activations"] == [{"name": "1", "type": "ReLU"}]
    # the update of a sampled step is its optimizer step's: ||w' - w|| / ||w|| with SGD = lr * ||g|| / ||w||
    g, w, u = (probes[("2", s)]["value"][0] for s in ("grad_norm", "weight_norm", "update_ratio"))
    assert u == pytest.approx(0.05 * g / w, rel=1e-4)
    assert probes[("optimizer", "lr")]["value"][0] == pytest.approx(0.05)


def test_hooks_only_on_sampled_steps_and_none_after_finish(tmp_path):
    model = _mlp()
    run = fitwatch.Run("hooks", dir=tmp_path, diagnose=False).watch(model, every=100)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x, y = _data(64)
    seen = []
    for step in range(6):
        opt.zero_grad()
        out = model(x)
        seen.append((len(model[1]._forward_hooks), len(model[2].weight._backward_hooks or {}),
                     len(model[0].weight._backward_hooks or {})))
        nn.CrossEntropyLoss()(out, y).backward()
        opt.step()
    # steps 0, 1 and 4 are sampled: their activation hook is gone once the forward ended; the
    # gradient hooks of a sampled step live until the next forward; steps 2, 3 and 5 carry none
    assert [s[1] for s in seen] == [1, 1, 0, 0, 1, 0]
    assert all(s[0] == 0 for s in seen)
    # after a sampled step's optimizer step, one hook on one of its parameters (the first) looks at what the next
    # backward finds left of the gradient (zero_grad() called: nothing), then goes at the next forward
    assert [s[2] for s in seen] == [1, 2, 1, 0, 1, 1]
    run.finish()
    assert not model._forward_pre_hooks and not model._forward_hooks and not model[0].weight._backward_hooks
    assert fitwatch.load("hooks", dir=tmp_path).probes()[("0", "grad_norm")]["step"].tolist() == [0, 1, 4]


def test_watch_refuses_what_it_cannot_watch(tmp_path):
    run = fitwatch.Run("refused", dir=tmp_path, diagnose=False)
    with pytest.raises(TypeError, match=r"takes a torch.nn.Module or a Keras model, got object"):
        run.watch(object())
    with pytest.raises(ValueError, match="every must be a whole number"):
        run.watch(_mlp(), every=0)
    model = _mlp()
    run.watch(model)
    with pytest.raises(ValueError, match="watched already"):
        run.watch(model)
    with pytest.raises(ValueError, match="watched already"):  # the same model, compiled
        run.watch(torch.compile(model, backend="aot_eager"))
    with pytest.raises(ValueError, match=r"name='generator'"):
        run.watch(_mlp())
    run.watch(_mlp(), name="critic")  # a second model under its own name
    run.finish()
    with pytest.raises(RuntimeError, match="finished"):
        run.watch(_mlp())


def test_store_schema_2_and_a_version_1_store_still_opens(tmp_path):
    v0 = ROOT / "tests" / "data" / "stores" / "v0.1.0" / "fitwatch.db"
    shutil.copy(v0, tmp_path / "fitwatch.db")
    reader = Store(tmp_path, create=False)  # a reader leaves the old file as it is
    assert reader.load("v0-mlp").probes() == {}
    reader.close()
    con = sqlite3.connect(tmp_path / "fitwatch.db")
    assert con.execute("PRAGMA user_version").fetchone()[0] == 1
    con.close()
    _train(tmp_path, _mlp(), name="new", epochs=2)  # a writer upgrades it
    con = sqlite3.connect(tmp_path / "fitwatch.db")
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
    con.close()
    assert fitwatch.load("v0-mlp", dir=tmp_path).history["val_loss"] == [1.75, 1.0, 0.75]
    assert fitwatch.load("new", dir=tmp_path).probes()


# -- causes -----------------------------------------------------------------------------------------
def test_a_healthy_run_gets_no_cause(tmp_path):
    run, d = _train(tmp_path, _mlp(), epochs=40, lr=0.1)  # trained until validation flattens
    assert d.verdict in ("good_fit", "overfitting", "still_improving")
    assert d.causes == []


def test_dead_relu_named_with_the_layer_and_share(tmp_path):
    model = _mlp()
    with torch.no_grad():
        model[0].bias.fill_(-20.0)  # every unit starts (and stays) below 0
    run, d = _train(tmp_path, model)
    assert [f.code for f in d.causes] == ["dead_relu"]
    f = d.causes[0]
    assert f.evidence["layer"] == "1" and f.evidence["dead_share"] == 1.0
    assert d.findings.index(f) == 1  # right after the verdict
    assert "from the first step" in f.message and f.remedies


def test_vanishing_gradient_in_a_deep_sigmoid_stack(tmp_path):
    model = _mlp(act=nn.Sigmoid, depth=10, h=16)
    run, d = _train(tmp_path, model, epochs=4)
    assert "vanishing_gradient" in [f.code for f in d.causes]
    f = next(f for f in d.causes if f.code == "vanishing_gradient")
    assert f.evidence["first_layer"] == "0" and f.evidence["grad_ratio"] < 1e-3


def test_softmax_before_cross_entropy_is_a_loss_output_mismatch(tmp_path):
    model = nn.Sequential(_mlp(), nn.Softmax(dim=1))
    run, d = _train(tmp_path, model, opt="adam", lr=0.01)
    assert [f.code for f in d.causes] == ["loss_output_mismatch"]
    assert "CrossEntropyLoss is given probabilities" in d.causes[0].message
    assert fitwatch.load("probed", dir=tmp_path).info["probes"]["output_activation"] == "1"


def test_softmax_before_cross_entropy_is_said_once_by_the_probes_and_the_curves(tmp_path):
    """Trained to its floor (accuracy 1.0, the loss at ln(e + 4) - 1 = 0.905 for 5 classes), the curves alone name the
    softmax before the loss (softmax_twice, the class count the watched loss's width); beside the probes' cause, which
    says the same, it is not said twice."""
    torch.manual_seed(0)
    x, y = _data(n=1024, k=5)
    model = nn.Sequential(_mlp(h=64, k=5), nn.Softmax(dim=1))
    d = _fit_with_accuracy(tmp_path, "floor", model, x, y, 768, lossf=nn.CrossEntropyLoss())  # (a module: probed)
    assert "loss_output_mismatch" in [f.code for f in d.causes] and "softmax_twice" not in [f.code for f in d.findings]
    history = {k: list(v) for k, v in fitwatch.load("floor", dir=tmp_path).history.items()}
    alone = fitwatch.diagnose(history, context={"classes": 5})
    assert "softmax_twice" in [f.code for f in alone.findings], alone


def _fit_with_accuracy(tmp_path, name, model, x, y, n, epochs=30, every=None, lossf=nn.functional.cross_entropy):
    """Train a watched ``model`` on the first ``n`` of ``x, y`` (Adam lr 1e-2, ``lossf``, batches of 32) and validate
    on the rest, logging the loss and the accuracy; the stored run's diagnosis."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    run = fitwatch.Run(name, dir=tmp_path, diagnose=False).watch(model, every=every)
    for _ in run.epochs(epochs):
        model.train()
        for i in range(0, n, 32):
            opt.zero_grad()
            out = model(x[i:i + 32])
            loss = lossf(out, y[i:i + 32])
            loss.backward()
            opt.step()
            run.log("train", loss=loss.detach(), accuracy=(out.argmax(1) == y[i:i + 32]).float().mean(), n=32)
        model.eval()
        with torch.no_grad():
            out = model(x[n:])
            run.log("val", loss=lossf(out, y[n:]), accuracy=(out.argmax(1) == y[n:]).float().mean(), n=len(x) - n)
    run.finish()
    return fitwatch.diagnose(name, dir=tmp_path)


def _compiled_graphs(tmp_path, model, name, compiled=True):
    """(the graphs torch.compile made, the reasons it broke a graph or gave up, the diagnosis) for a watched run of
    ``model`` (``compiled``: see ``_train``), or an unwatched compiled loop of it when ``name`` is None."""
    from torch._dynamo.utils import counters
    torch._dynamo.reset()
    counters.clear()
    if name is None:
        forward, o = torch.compile(model, backend="aot_eager"), torch.optim.SGD(model.parameters(), lr=0.05)
        x, y = _data()
        for _ in range(6):
            model.train()
            for i in range(0, 192, 32):
                o.zero_grad()
                nn.CrossEntropyLoss()(forward(x[i:i + 32]), y[i:i + 32]).backward()
                o.step()
            model.eval()
            with torch.no_grad():
                forward(x[192:])
        d = None
    else:
        d = _train(tmp_path, model, name=name, every=5, compiled=compiled)[1]
    reasons = [k.split("\n")[0] for k in list(counters["graph_break"]) + list(counters["unimplemented"])]
    return counters["stats"]["unique_graphs"], reasons, d


@pytest.mark.skipif(not hasattr(torch._C._dynamo.eval_frame, "set_code_exec_strategy"), reason="torch before 2.6")
def test_watching_a_model_that_is_never_compiled_imports_nothing_of_torch_dynamo(tmp_path):
    # (about 1.1 s once a process: the entry hooks go through torch's C API); a fresh process, this one has it
    code = ("import sys, torch, fitwatch; m = torch.nn.Linear(2, 1); "
            f"run = fitwatch.Run('lean', dir={str(tmp_path)!r}, diagnose=False).watch(m, every=1); "
            "[run.log('train', loss=m(torch.ones(4, 2)).pow(2).mean().backward() or 0.5, n=4) for _ in run.epochs(2)]; "
            "run.finish(); print('torch._dynamo' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
    assert "grad_norm" in {stat for _, stat in fitwatch.load("lean", dir=tmp_path).probes()}  # and it was probed


@pytest.mark.parametrize("compiled", [True, "watched"])
def test_a_compiled_model_keeps_its_graphs_and_is_probed(tmp_path, compiled):
    plain, _, _ = _compiled_graphs(tmp_path, _mlp(), None)
    graphs, reasons, d = _compiled_graphs(tmp_path, _mlp(), "compiled", compiled)
    # the same graphs as without fitwatch (a training one and a no_grad one), no recompilation limit reached, no
    # break but the watcher's two hooks at the model's entry and exit (run eagerly)
    assert graphs == plain == 2
    assert reasons and all(r.endswith("`torch.compiler.disable()`d function") for r in reasons)
    run = fitwatch.load("compiled", dir=tmp_path)
    assert run.info["probes"]["compiled"] is True and run.info["probes"]["loss"] == "CrossEntropyLoss"
    stats = {stat for _, stat in run.probes()}
    assert {"grad_norm", "update_ratio", "weight_norm", "count/0", "features"} <= stats
    assert "dead" not in stats  # a compiled model's activations are not sampled
    assert {layer for layer, stat in run.probes() if stat == "grad_norm"} == {"0", "2"}  # the model's own names
    out = subprocess.run([sys.executable, "-m", "fitwatch", "--dir", str(tmp_path), "show", "compiled", "--layers"],
                         capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"})
    assert "compiled with torch.compile: activations not sampled" in out.stdout, out.stderr
    eager = _train(tmp_path, _mlp(), name="eager", every=5)[1]
    assert [f.code for f in d.causes] == [f.code for f in eager.causes] and d.verdict == eager.verdict


def test_a_second_compiled_model_in_the_same_process_is_probed_by_its_own_run(tmp_path):
    # torch reuses the first model's compiled forward pass for the second (same class): the second watcher must
    # still see its steps, and the first, finished, none of them
    torch._dynamo.reset()
    for name in ("first", "second"):
        _train(tmp_path, _mlp(), name=name, every=5, compiled=True)
    steps = [fitwatch.load(n, dir=tmp_path).probes()[("0", "grad_norm")]["step"].tolist() for n in ("first", "second")]
    assert steps[0] == steps[1] and steps[0][:4] == [0, 1, 4, 5]


def test_fullgraph_model_compile_is_probed_and_a_refused_fullgraph_says_only_torchs_error(tmp_path):
    # model.compile(fullgraph=True) compiles the forward alone, the module's hooks outside it: probed as compiled models are
    torch._dynamo.reset()
    model = _mlp()
    model.compile(backend="aot_eager", fullgraph=True)
    run, _ = _train(tmp_path, model, name="instance", epochs=1)
    assert fitwatch.load("instance", dir=tmp_path).probes()[("0", "grad_norm")]["step"].tolist()[:2] == [0, 1]
    # torch.compile(model, fullgraph=True) refuses the hooks' graph break at the first step; a caller who catches it
    # and finishes the run hears torch's error alone, not "nothing was probed ... watch the module your step calls"
    torch._dynamo.reset()
    model = _mlp()
    x, y = _data()
    run = fitwatch.Run("refused", dir=tmp_path, diagnose=False).watch(model)
    forward = torch.compile(model, backend="aot_eager", fullgraph=True)
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        with pytest.raises(Exception, match="compiler.disable|Skip calling"):
            for _ in run.epochs(2):
                nn.CrossEntropyLoss()(forward(x[:32]), y[:32]).backward()
        run.finish()
    assert not [w for w in said if str(w.message).startswith("fitwatch")], [str(w.message) for w in said]


def test_a_model_compiled_after_an_unwatched_one_of_its_class_is_said_to_be_unprobed(tmp_path):
    # torch runs the first model's compiled forward pass, hooks and all (none), for the second: nothing reaches the
    # watcher, and the run says why and what to do; model.compile() compiles the instance, whose hooks run
    torch._dynamo.reset()
    x, y = _data()
    torch.compile(_mlp(), backend="aot_eager")(x[:32])  # a training batch's shape
    with pytest.warns(RuntimeWarning, match=r"nothing of training was probed.*compile it with model.compile\(\) instead"):
        _train(tmp_path, _mlp(), name="unprobed", epochs=1, compiled=True)
    # a last batch of another shape is traced anew, hooks and all: the watcher sees that step alone, and the hooks of
    # a sampled step it saw are reached by later backward passes (once stored as that step's: now said, not kept)
    torch._dynamo.reset()
    torch.compile(_mlp(), backend="aot_eager")(x[:32]).sum().backward()
    with pytest.warns(RuntimeWarning, match=r"backward passes went through forward passes its hooks did not see|"
                                             r"nothing was probed"):
        _train(tmp_path, _mlp(), name="partial", x=x[:200], y=y[:200], epochs=2, compiled=True, val=False)
    steps = fitwatch.load("partial", dir=tmp_path).probes().get(("0", "grad_norm"), {"step": np.array([])})["step"]
    assert len(steps) == len(set(steps.tolist()))  # one value per sampled step
    model = _mlp()
    model.compile(backend="aot_eager")
    _train(tmp_path, model, name="instance", epochs=1)
    assert fitwatch.load("instance", dir=tmp_path).probes()[("0", "grad_norm")]["step"].tolist()[:2] == [0, 1]


def test_dead_units_of_a_compiled_model_are_not_blamed_on_the_labels_or_a_detached_graph(tmp_path):
    # its activations are not sampled: dead ReLUs (bias -20 from the start; lr 5 during training) give gradients of
    # exactly 0, which no_gradient must not pin on a detached graph alone, nor label_problem call "healthy"
    torch._dynamo.reset()
    model = _mlp()
    with torch.no_grad():
        model[0].bias.fill_(-20.0)
    d = _train(tmp_path, model, name="dead", compiled=True)[1]
    assert "label_problem" not in [f.code for f in d.causes]
    assert all("dead for every sample" in f.message for f in d.causes if f.code == "no_gradient")
    d = _train(tmp_path, _mlp(), name="blown", lr=5.0, compiled=True)[1]
    assert "label_problem" not in [f.code for f in d.causes]


def test_backward_passes_through_forward_passes_the_hooks_missed_are_said_not_stored_as_the_last_step(tmp_path):
    # model.forward(x) skips the module's hooks (as torch's reused compiled code does): the gradient hooks of the last
    # sampled step see the later backward passes, which were stored as that step's
    model, (x, y) = _mlp(), _data(64)
    run = fitwatch.Run("bypassed", dir=tmp_path, diagnose=False).watch(model)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.warns(RuntimeWarning, match=r"4 backward passes went through forward passes its hooks did not see"):
        for _ in run.epochs(1):
            for k in range(5):
                opt.zero_grad()
                out = model(x) if k == 0 else model.forward(x)
                nn.CrossEntropyLoss()(out, y).backward()
                opt.step()
                run.log("train", loss=1.0, n=64)
        run.finish()
    assert fitwatch.load("bypassed", dir=tmp_path).probes()[("0", "grad_norm")]["step"].tolist() == [0]
    # two losses' backward passes through each forward pass (retain_graph): one after each step, nothing to say
    run = fitwatch.Run("two-losses", dir=tmp_path, diagnose=False).watch(model, every=2)
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        for _ in run.epochs(3):
            for k in range(8):
                opt.zero_grad()
                out = model(x)
                nn.CrossEntropyLoss()(out, y).backward(retain_graph=True)
                out.pow(2).mean().backward()
                opt.step()
                run.log("train", loss=1.0, n=64)
        run.finish()
    assert not [w for w in said if "fitwatch" in str(w.message)]


def test_softmax_before_cross_entropy_is_named_in_a_compiled_model(tmp_path):
    graphs, reasons, d = _compiled_graphs(tmp_path, nn.Sequential(_mlp(), nn.Softmax(dim=1)), "compiled")
    assert graphs == 2 and "loss_output_mismatch" in [f.code for f in d.causes]
    assert "CrossEntropyLoss is given probabilities" in next(f for f in d.causes if f.code == "loss_output_mismatch").message


def test_mse_on_softmax_against_one_hot_targets_is_a_loss_output_mismatch(tmp_path):
    """A seventh trial: a classifier trained with MSE on its softmax against one-hot targets (slow, then stalled) got
    no cause from its probes. MSELoss given probabilities against 0/1 targets is named; on raw outputs it is not."""
    x, y = _data()
    onehot = nn.functional.one_hot(y, 3).float()
    run, d = _train(tmp_path, nn.Sequential(_mlp(), nn.Softmax(dim=1)), x=x, y=onehot, loss=nn.MSELoss(), lr=0.1)
    assert [f.code for f in d.causes] == ["loss_output_mismatch"], d
    assert "MSELoss is given probabilities" in d.causes[0].message and "one-hot" in d.causes[0].message
    _, raw = _train(tmp_path, _mlp(), name="raw", x=x, y=onehot, loss=nn.MSELoss(), lr=0.1)
    assert "loss_output_mismatch" not in [f.code for f in raw.causes], raw


def test_regression_targets_far_from_the_outputs_scale_are_named_before_clipping(tmp_path):
    """A ninth trial: a regression whose targets were x1000 + 5000 was told by its probes to clip the gradients first
    (exploding_gradient), which made it far worse; standardising the targets is the cure, named first, and leads."""
    x, _ = _data()
    target = (x[:, :1] * 1000.0 + 5000.0)
    run, d = _train(tmp_path, _mlp(k=1), x=x, y=target, loss=nn.MSELoss(), opt="adam", lr=1e-3)
    codes = [f.code for f in d.causes]
    assert codes[0] == "unnormalised_target", codes  # (exploding gradients, its effect, may follow it)
    assert d.findings[0].remedies[0].startswith("Standardise the regression targets"), d.findings[0].remedies
    assert not any(r.startswith("Clip") for r in d.findings[0].remedies[:2]), d.findings[0].remedies
    _, fine = _train(tmp_path, _mlp(k=1), name="scaled", x=x, y=x[:, :1], loss=nn.MSELoss(), opt="adam", lr=1e-3)
    assert "unnormalised_target" not in [f.code for f in fine.causes]
    # a model that puts its outputs at the targets' scale itself (out * std + mean) is not told to scale them (an attack)

    class Destandardise(nn.Module):
        def forward(self, z):
            return z * 1000.0 + 5000.0

    _, own = _train(tmp_path, nn.Sequential(_mlp(k=1), Destandardise()), name="own", x=x, y=target, loss=nn.MSELoss(),
                    opt="adam", lr=1e-3)
    assert "unnormalised_target" not in [f.code for f in own.causes]


def test_layers_left_out_of_the_optimizer_are_named_not_vanishing_gradients(tmp_path):
    """A tenth trial: an optimizer given the last layer only (an all-ReLU MLP) was told its gradients vanish and to use
    ReLU. The layers that get gradients but never move are named, with the optimizer's parameters first."""
    torch.manual_seed(0)
    x, y = _data()
    model = _mlp(depth=2)
    opt = torch.optim.Adam(model[-1].parameters(), lr=1e-2)  # the slip: the last layer only
    run = fitwatch.Run("left-out", dir=tmp_path, diagnose=False).watch(model, every=5)
    for _ in run.epochs(6):
        for i in range(0, 192, 32):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x[i:i + 32]), y[i:i + 32])
            loss.backward()
            opt.step()
            run.log("train", loss=loss.detach(), n=32)
        with torch.no_grad():
            run.log("val", loss=nn.functional.cross_entropy(model(x[192:]), y[192:]), n=64)
    run.finish()
    d = fitwatch.diagnose("left-out", dir=tmp_path)
    codes = [f.code for f in d.causes]
    assert codes[0] == "not_updated" and "vanishing_gradient" not in codes, codes
    assert d.causes[0].evidence["layers"] == ["0", "2"] and d.findings[0].remedies[0].startswith("Give the optimizer")
    healthy = _train(tmp_path, _mlp(depth=2), name="all-in")[1]
    assert "not_updated" not in [f.code for f in healthy.causes]


def test_a_loss_that_does_not_fit_the_output_is_not_told_to_train_longer(tmp_path):
    """A tenth trial: NLLLoss on raw scores, falling without bound below 0, was still_improving, "train longer" beside
    the cause. The cause leads, and no more epochs are prescribed for a loss that measures nothing."""
    run, d = _train(tmp_path, _mlp(), loss=nn.NLLLoss(), opt="adam", lr=0.01, epochs=8)
    assert [f.code for f in d.causes][:1] == ["loss_output_mismatch"], d
    told = d.findings[0].remedies
    assert told[0] == CATALOGUE["loss_fit"] and not any("more epochs" in r for r in told), told


def test_unnormalised_inputs_named_and_what_they_cause_hidden(tmp_path):
    x, y = _data()
    x[:, 0] = x[:, 0] * 300 + 1000
    run, d = _train(tmp_path, _mlp(), x=x, y=y, opt="adam", lr=0.01)
    assert [f.code for f in d.causes] == ["unnormalised_input"]
    assert d.causes[0].evidence["largest_feature_rms"] > 900


def test_class_imbalance_when_the_minority_is_never_predicted(tmp_path):
    x, _ = _data(400, seed=1)
    y = (torch.arange(400) % 25 == 0).long()  # 4 % positives, unrelated to x: the model predicts class 0
    run, d = _train(tmp_path, _mlp(k=2), x=x, y=y, opt="adam", lr=0.01)
    f = next(f for f in d.causes if f.code == "class_imbalance")
    assert f.evidence["smallest_class"] == 1 and f.evidence["count_ratio"] > 10
    assert "never predicted" in f.message


def test_learning_rates_too_high_and_too_low(tmp_path):
    _, high = _train(tmp_path, _mlp(), name="high", opt="adam", lr=3.0)
    assert "lr_too_high" in [f.code for f in high.causes]
    assert high.causes[0].evidence["early_update_ratio"] > 0.1  # Adam lr=3: a quarter of the weights a step
    _, low = _train(tmp_path, _mlp(), name="low", lr=1e-5)
    assert [f.code for f in low.causes] == ["lr_too_low"]
    assert low.causes[0].evidence["lr"] == pytest.approx(1e-5)


def test_zero_initialised_layers_are_a_poor_init(tmp_path):
    model = _mlp(depth=2)
    for m in model:
        if isinstance(m, nn.Linear):
            nn.init.zeros_(m.weight)
            nn.init.zeros_(m.bias)
    run, d = _train(tmp_path, model, opt="adam", lr=0.01)
    assert [f.code for f in d.causes] == ["poor_init"]
    assert d.causes[0].evidence["layer"] == "0" and "all zero" in d.causes[0].message


def test_the_curves_own_lr_finding_needs_the_probes_agreement(tmp_path):
    # an unstable curve alone says lr_too_high; with probes whose updates are small, it is not said
    x, y = _data(512)
    y[torch.randperm(512)[:200]] = torch.randint(0, 3, (200,))  # label noise: a rough curve
    run, d = _train(tmp_path, _mlp(), x=x, y=y, lr=0.02, batch=8, epochs=10)
    assert "lr_too_high" not in [f.code for f in d.causes]


def test_the_diagnosis_json_carries_the_causes(tmp_path):
    model = _mlp()
    with torch.no_grad():
        model[0].bias.fill_(-20.0)
    run, d = _train(tmp_path, model, epochs=3)
    out = d.to_dict()
    assert out["findings"][1]["code"] == "dead_relu" and out["findings"][1]["evidence"]["source"] == "probes"


# -- shown ----------------------------------------------------------------------------------------
def _dead_run(tmp_path):
    model = _mlp()
    with torch.no_grad():
        model[0].bias.fill_(-20.0)
    return _train(tmp_path, model, name="dead", epochs=3)


def test_show_layers_prints_each_layer_and_the_cause(tmp_path):
    import subprocess
    import sys

    _dead_run(tmp_path)
    with fitwatch.Run("plain", dir=tmp_path, diagnose=False) as plain:
        plain.log_epoch(loss=1.0, val_loss=1.1)
    cli = lambda *a: subprocess.run([sys.executable, "-m", "fitwatch", "--dir", str(tmp_path), *a],  # noqa: E731
                                    capture_output=True, text=True, env={**__import__("os").environ, "COLUMNS": "160"})
    out = cli("show", "dead", "--layers")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    row0 = next(line for line in lines if line.split()[:2] == ["0", "Linear"])
    assert row0.split()[2] == "288" and row0.split()[-1] == "100%"  # 8*32+32 parameters, every gradient 0
    assert any(line.split()[:4] == ["1", "ReLU", "100%", "100%"] for line in lines)
    assert "cause dead_relu: 100% of the units of 1 (ReLU) are dead" in out.stdout
    refused = cli("show", "plain", "--layers")
    assert refused.returncode != 0 and "has no probes: watch the model" in refused.stderr
    assert refused.stderr.count("\n") == 1  # one line, no traceback


def test_the_report_and_the_dashboard_api_show_inside_the_model(tmp_path):
    _dead_run(tmp_path)
    from fitwatch.show.report import write_report

    html = Path(write_report(["dead"], tmp_path / "r.html", dir=tmp_path)).read_text()
    assert "<h2>Inside the model</h2>" in html or "Inside the model</h3>" in html
    assert 'id="layers-0-grad_norm"' in html and 'id="layers-0-dead"' in html
    assert '"id": "layers-0-grad_norm"' in html or '"id":"layers-0-grad_norm"' in html
    pytest.importorskip("starlette")
    from starlette.testclient import TestClient

    from fitwatch.show.dashboard.app import create_app

    client = TestClient(create_app(tmp_path))
    panels = client.get(f"/api/runs/{fitwatch.load('dead', dir=tmp_path).id}/layers").json()["panels"]
    assert [p["id"] for p in panels] == ["layers-grad_norm", "layers-dead"]
    dead = panels[1]["data"][0]
    assert set(dead["y"]) == {"1"} and dead["marker"]["color"] == [1.0] * len(dead["x"])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_no_host_synchronisation_per_step_on_cuda(tmp_path):
    model = _mlp().cuda()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x, y = (t.cuda() for t in _data())
    run = fitwatch.Run("cuda", dir=tmp_path, diagnose=False).watch(model, every=2)
    for _ in run.epochs(2):
        torch.cuda.set_sync_debug_mode("error")
        try:
            for i in range(0, 256, 32):
                opt.zero_grad()
                lo = nn.CrossEntropyLoss()(model(x[i:i + 32]), y[i:i + 32])
                lo.backward()
                opt.step()
                run.log("train", loss=lo.detach(), n=32)
        finally:
            torch.cuda.set_sync_debug_mode(0)
    run.finish()
    assert fitwatch.load("cuda", dir=tmp_path).probes()[("0", "grad_norm")]["value"].size >= 4
    assert math.isfinite(float(np.nanmax(fitwatch.load("cuda", dir=tmp_path).probes()[("0", "grad_norm")]["value"])))


# -- Keras (torch backend) -------------------------------------------------------------------------
def _keras_fit(tmp_path, name, bias=0.0, watch=True, epochs=4):
    import os

    if os.environ.get("KERAS_BACKEND", "torch") != "torch":
        pytest.skip("Keras runs on another backend")
    keras = pytest.importorskip("keras")
    keras.utils.set_random_seed(0)
    x, y = (t.numpy() for t in _data(512))
    model = keras.Sequential([keras.Input((8,)),
                              keras.layers.Dense(32, activation="relu", name="hidden",
                                                 bias_initializer=keras.initializers.Constant(bias)),
                              keras.layers.Dense(3, name="out")])
    model.compile(optimizer=keras.optimizers.Adam(0.01),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    cb = fitwatch.keras.Callback(name, dir=tmp_path, diagnose=False, watch=watch)
    model.fit(x, y, validation_split=0.25, epochs=epochs, batch_size=32, verbose=0, callbacks=[cb])
    return fitwatch.diagnose(name, dir=tmp_path), fitwatch.load(name, dir=tmp_path)


def test_keras_callback_watch_probes_the_layers_and_names_dead_units(tmp_path):
    d, data = _keras_fit(tmp_path, "keras-dead", bias=-20.0)
    probes = data.probes()
    assert ("hidden", "grad_norm") in probes and ("out", "grad_norm") in probes
    assert probes[("hidden", "dead")]["value"].min() == 1.0
    meta = data.info["probes"]
    assert [x["name"] for x in meta["layers"]] == ["hidden", "out"]
    assert meta["activations"] == [{"name": "hidden", "type": "ReLU"}] and meta["optimizer"] == "Adam"
    assert probes[("optimizer", "lr")]["value"][0] == pytest.approx(0.01)
    assert [f.code for f in d.causes] == ["dead_relu"] and d.causes[0].evidence["layer"] == "hidden"


def test_keras_callback_watch_healthy_run_gets_no_cause(tmp_path):
    d, data = _keras_fit(tmp_path, "keras-ok", epochs=30)  # until validation flattens
    assert data.probes() and d.causes == []
    with pytest.raises(TypeError, match="watch must be True, False or a number"):
        _keras_fit(tmp_path, "keras-bad", watch="yes")


# -- a new user's trial (2026-12-03) ---------------------------------------------------------------
def test_class_ids_into_a_subclassed_mse_are_a_mismatch_first(tmp_path):
    class MyMSE(nn.MSELoss):  # a loss subclass is still the torch loss it extends
        pass

    x, y = _data(256)
    model = _mlp(k=1)
    run, d = _train(tmp_path, model, x=x, y=y.float().unsqueeze(1) * 4, loss=MyMSE(), lr=0.05)
    codes = [f.code for f in d.causes]
    assert codes[0] == "loss_output_mismatch" and "exploding_gradient" not in codes
    assert d.causes[0].evidence["target_max"] == 8.0 and d.causes[0].evidence["loss"] == "MSELoss"
    assert fitwatch.load("probed", dir=tmp_path).info["probes"]["loss_class"] == "MyMSE"


def test_validation_broken_from_the_start_is_not_a_label_problem(tmp_path):
    # standardised by hand with (x - mu) / (sd + 1e-8): a pixel constant in this training split is not
    # constant in validation, whose inputs reach 1e8: its loss starts in the thousands. The labels are fine
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    xt, xv, yt, yv = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    mu, sd = xt.mean(0), xt.std(0) + 1e-8
    f = lambda a: torch.tensor((a - mu) / sd, dtype=torch.float32)  # noqa: E731
    x, y = torch.cat([f(xt), f(xv)]), torch.tensor(np.concatenate([yt, yv]))
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))
    run, d = _train(tmp_path, model, x=x, y=y, opt="adam", lr=1e-3, epochs=12)
    val = fitwatch.load("probed", dir=tmp_path).history["val_loss"]
    assert val[0] > 100 * fitwatch.load("probed", dir=tmp_path).history["loss"][0]  # the premise
    assert "label_problem" not in [f.code for f in d.causes]


def test_watch_says_what_is_wrong_before_whether_it_is_new(tmp_path):
    run = fitwatch.Run("order", dir=tmp_path, diagnose=False).watch(_mlp())
    with pytest.raises(TypeError, match="takes a torch.nn.Module or a Keras model"):
        run.watch("model")
    with pytest.raises(ValueError, match="every must be a whole number"):
        run.watch(_mlp(), every=0)
    run.finish()


def test_weights_too_small_are_a_poor_init_not_dead_units(tmp_path):
    model = _mlp(depth=5, h=32)
    for m in model:
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.01)
            nn.init.zeros_(m.bias)
    run, d = _train(tmp_path, model, opt="adam", lr=1e-3, epochs=5)
    assert [f.code for f in d.causes] == ["poor_init"]
    ev = d.causes[0].evidence
    assert ev["first_activation"] == "1" and ev["std_last"] < 0.01 * ev["std_first"]
    assert "too small" in d.causes[0].message


def test_the_causes_the_probes_find_lead_the_verdicts_remedies(tmp_path):
    """An eighth trial: a 6-layer sigmoid MLP on raw digits pixels (0-16) did not learn; the probes named
    unnormalised_input and vanishing_gradient and dropped the curves' "rate too small" (the updates were of a healthy
    size), yet the verdict's first remedy was still "raise the learning rate". The causes' remedies lead now."""
    from sklearn.datasets import load_digits

    from fitwatch.diagnosis.remedies import in_all_words

    x, y = load_digits(return_X_y=True)
    x, y = torch.tensor(x[:800], dtype=torch.float32), torch.tensor(y[:800])  # not scaled
    torch.manual_seed(0)
    layers = [nn.Linear(64, 64), nn.Sigmoid()]
    for _ in range(5):
        layers += [nn.Linear(64, 64), nn.Sigmoid()]
    model = nn.Sequential(*layers, nn.Linear(64, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    run = fitwatch.Run("sigmoid-stack", dir=tmp_path, diagnose=False)
    run.watch(model)
    for _ in run.epochs(12):
        for i in range(0, 640, 32):
            loss = nn.functional.cross_entropy(model(x[i:i + 32]), y[i:i + 32])
            opt.zero_grad()
            loss.backward()
            opt.step()
            run.log("train", loss=loss, n=32)
        with torch.no_grad():
            run.log("val", loss=nn.functional.cross_entropy(model(x[640:]), y[640:]), n=160)
    run.finish()
    d = fitwatch.diagnose("sigmoid-stack", dir=tmp_path)
    codes = [f.code for f in d.findings]
    assert d.verdict == "not_learning" and {"unnormalised_input", "vanishing_gradient"} <= set(codes), d
    assert d.findings[0].remedies[0] not in in_all_words("lr_up"), d.findings[0].remedies
    cause_first = {f.remedies[0] for f in d.findings[1:] if f.code in ("unnormalised_input", "vanishing_gradient")}
    assert d.findings[0].remedies[0] in cause_first, d.findings[0].remedies


def test_a_forgotten_zero_grad_is_named_not_the_learning_rate(tmp_path):
    """A tenth trial: a loop without optimizer.zero_grad() diverged and was told to lower its learning rate. After each
    optimizer step the probes look at the next backward passes: the gradient left from before is the forgotten call."""
    _, d = _train(tmp_path, _mlp(depth=2), name="no-zero-grad", zero_grad=False, every=5, opt="sgd", lr=0.05)
    codes = [f.code for f in d.causes]
    assert codes[0] == "grads_not_zeroed" and "lr_too_high" not in codes, codes
    assert d.causes[0].evidence["grad_carried"] >= 1 and d.findings[0].remedies[0].startswith("Clear the gradients")
    assert "zero_grad() is missing" in d.causes[0].message
    # gradient accumulation clears them after each step (and each micro-batch's own carry is no evidence)
    for name, kw in (("cleared", {}), ("accumulated", {"accumulate": 3})):
        run, ok = _train(tmp_path, _mlp(depth=2), name=name, every=5, **kw)
        assert "grads_not_zeroed" not in [f.code for f in ok.causes], name
        carried = fitwatch.load(name, dir=tmp_path).probes()[("optimizer", "grad_carried")]["value"]
        assert carried.size >= 5 and np.all(carried == 0), name


def test_gradient_accumulation_is_measured_over_the_optimizer_step_not_a_micro_batch(tmp_path):
    """An attack: with gradient accumulation, a sampled micro-batch that took no optimizer step had an update of
    exactly 0 in every layer, read as a learning rate too low. The update is measured once its optimizer stepped."""
    _, d = _train(tmp_path, _mlp(depth=2), name="accumulating", accumulate=4, every=3, epochs=8)
    u = fitwatch.load("accumulating", dir=tmp_path).probes()[("0", "update_ratio")]
    late = u["value"][u["step"] >= 4]  # (before the first step, no optimizer was known: a hand-written update?)
    assert late.size >= 5 and np.all(late > 0), u["value"]
    assert not {"lr_too_low", "not_updated"} & {f.code for f in d.causes}


def test_validation_in_training_mode_is_named(tmp_path):
    """A tenth trial: a validation loop that forgot model.eval(), with dropout and batch norm, got no word of it."""
    def model():
        return nn.Sequential(nn.Linear(8, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.5), nn.Linear(32, 3))

    _, d = _train(tmp_path, model(), name="no-eval", eval_mode=False, opt="adam", lr=1e-2)
    f = next(f for f in d.causes if f.code == "no_eval_mode")
    assert "dropout (p=0.5)" in f.message and "batch norm" in f.message and f.remedies[0].startswith("Call model.eval()")
    assert not f.evidence["with_gradients"] and "torch.no_grad()" not in f.message
    _, ok = _train(tmp_path, model(), name="eval", opt="adam", lr=1e-2)
    _, plain = _train(tmp_path, _mlp(), name="plain-no-eval", eval_mode=False)  # nothing that eval() switches off
    assert "no_eval_mode" not in [f.code for f in ok.causes + plain.causes]


def _dropout_mlp():
    return nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Dropout(0.5), nn.Linear(32, 3))


def _validated(tmp_path, name, model, validate, epochs=5):
    """A watched loop (Adam 1e-2, batches of 32 on the first three quarters of :func:`_data`) that calls
    ``validate(log, epoch, when)`` before (``"before"``) and after (``"after"``) each epoch's training and once at the
    end (``"end"``, epoch None); ``log(net, eval_mode)`` logs ``net``'s validation loss under ``torch.no_grad()`` in
    the mode asked. Returns the diagnosis."""
    x, y = _data()
    n = len(x) * 3 // 4
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    run = fitwatch.Run(name, dir=tmp_path, diagnose=False).watch(model)

    def log(net, eval_mode: bool):
        net.eval() if eval_mode else net.train()
        with torch.no_grad():
            run.log("val", loss=nn.functional.cross_entropy(net(x[n:]), y[n:]), n=len(x) - n)

    for epoch in run.epochs(epochs):
        validate(log, epoch, "before")
        model.train()
        for i in range(0, n, 32):
            loss = nn.functional.cross_entropy(model(x[i:i + 32]), y[i:i + 32])
            opt.zero_grad()
            loss.backward()
            opt.step()
            run.log("train", loss=loss.detach(), n=len(x[i:i + 32]))
        validate(log, epoch, "after")
    validate(log, None, "end")
    run.finish()
    return fitwatch.diagnose(name, dir=tmp_path)


def test_one_validation_in_evaluation_mode_hides_no_other(tmp_path):
    """An attack: a loop that validated in training mode at every epoch got no word of it once one validation ran in
    eval() (a baseline before training, or a final test logged as val): the validations are counted now, and the
    training-mode ones outnumber it. A loop whose every validation is in eval() is no such loop."""
    def loop(name, first_eval: bool, last_eval: bool, eval_each: bool):
        torch.manual_seed(0)
        model = _dropout_mlp()

        def validate(log, epoch, when):
            if when == "before" and epoch == 0 and first_eval or when == "end" and last_eval:
                log(model, True)
            elif when == "after" and (epoch < 4 or not last_eval):
                log(model, eval_each)
        return _validated(tmp_path, name, model, validate)

    for name, first, last in (("baseline-in-eval", True, False), ("final-in-eval", False, True)):
        f = next((f for f in loop(name, first, last, eval_each=False).causes if f.code == "no_eval_mode"), None)
        assert f is not None, name
        assert f.evidence["val_in_eval_mode"] == 1 and f.evidence["val_in_train_mode"] >= 4, f.evidence
        assert f"{f.evidence['val_in_train_mode']} of {f.evidence['val_in_train_mode'] + 1} times" in f.message
    ok = loop("eval-each", True, False, eval_each=True)
    assert "no_eval_mode" not in [f.code for f in ok.causes]


def test_a_wrapped_model_called_directly_to_validate_is_seen(tmp_path):
    """An attack: a watched wrapper (DataParallel's, DDP's, a user's: the model as ``.module``) trained through the
    wrapper and validated with ``wrapper.module(x)`` in training mode got no no_eval_mode: the wrapper's hooks never
    saw the validation. The wrapped model's own pre-hook reads its mode when it is called directly; a pass through the
    wrapper is counted once, and a direct call in eval() is the usual."""
    class Wrapper(nn.Module):
        def __init__(self, module):
            super().__init__()
            self.module = module

        def forward(self, x):
            return self.module(x)

    def loop(name, eval_mode: bool):
        torch.manual_seed(0)
        model = Wrapper(_dropout_mlp())

        def validate(log, epoch, when):
            if when == "after":
                log(model.module, eval_mode)
        return _validated(tmp_path, name, model, validate, epochs=4)

    d = loop("module-in-train-mode", eval_mode=False)
    f = next((f for f in d.causes if f.code == "no_eval_mode"), None)
    assert f is not None and f.evidence["val_in_train_mode"] == 4, [c.code for c in d.causes]
    meta = fitwatch.load("module-in-train-mode", dir=tmp_path).info["probes"]
    assert meta["every"] and not meta.get("val_in_eval_mode")
    ok = loop("module-in-eval", eval_mode=True)
    assert "no_eval_mode" not in [f.code for f in ok.causes]


def test_parameters_frozen_after_watch_do_not_break_the_loop(tmp_path):
    """An attack: freezing watched parameters after watch() (a fine-tune, a GAN's discriminator during the generator's
    step) raised 'cannot register a hook on a tensor that doesn't require gradient' in the user's loop at the next
    sampled step. Frozen parameters get no hook; the others' gradients are still read."""
    model = _mlp(depth=2)
    x, y = _data()
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    run = fitwatch.Run("frozen-later", dir=tmp_path, diagnose=False).watch(model, every=2)
    for epoch in run.epochs(3):
        model[0].requires_grad_(epoch % 2 == 1)  # frozen, thawed, frozen
        for i in range(0, 96, 32):
            loss = nn.CrossEntropyLoss()(model(x[i:i + 32]), y[i:i + 32])
            opt.zero_grad()
            loss.backward()
            opt.step()
            run.log("train", loss=loss.detach(), n=32)
    run.finish()
    probes = fitwatch.load("frozen-later", dir=tmp_path).probes()
    assert probes[("4", "grad_norm")]["value"].size >= 3 and np.all(probes[("4", "grad_norm")]["value"] > 0)


def test_validation_in_training_mode_with_gradients_is_named(tmp_path):
    """Validation without model.eval() and without torch.no_grad() (its passes look like training steps) was not named:
    a training-mode pass that no optimizer's step follows before the validation value is logged is validation's."""
    def model():
        return nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Dropout(0.5), nn.Linear(32, 3))

    _, d = _train(tmp_path, model(), name="no-eval-grad", eval_mode=False, no_grad=False, opt="adam", lr=1e-2)
    f = next(f for f in d.causes if f.code == "no_eval_mode")
    assert f.evidence["with_gradients"] and "with gradients on and no backward pass through them" in f.message
    assert "model.eval() is missing (and torch.no_grad()" in f.message
    # eval() without no_grad() is right (a graph built for nothing, the same numbers); nor does accumulation, whose
    # last micro-batches take no step before a validation in eval(), count
    for name, kw in (("eval-grad", {"no_grad": False}), ("eval-accumulated", {"accumulate": 5, "no_grad": False})):
        _, ok = _train(tmp_path, model(), name=name, opt="adam", lr=1e-2, **kw)
        assert "no_eval_mode" not in [f.code for f in ok.causes], name


def test_training_in_evaluation_mode_is_named(tmp_path):
    """An eleventh trial: a loop that called model.eval() for validation and model.train() only once, before its first
    epoch, trained every later epoch with dropout off and got no word of it. A backward pass and an optimizer step after
    a forward pass in evaluation mode are a training step in evaluation mode."""
    def model(bn=False):
        return nn.Sequential(nn.Linear(8, 32), *([nn.BatchNorm1d(32)] if bn else []), nn.ReLU(), nn.Dropout(0.5),
                             nn.Linear(32, 3))

    for mode in ("once", "never"):
        _, d = _train(tmp_path, model(bn=mode == "never"), name=f"train-{mode}", train_mode=mode, opt="adam", lr=1e-2,
                      every=10)
        f = next(f for f in d.causes if f.code == "no_train_mode")
        assert f.evidence["eval_mode_steps"] >= 2 and "dropout (p=0.5) dropped nothing" in f.message, f.message
        assert ("batch norm" in f.message) == (mode == "never") and d.findings[0].remedies[0].startswith(
            "Call model.train()"), d.findings[0].remedies
    _, ok = _train(tmp_path, model(bn=True), name="train-each", opt="adam", lr=1e-2, every=10)
    _, plain = _train(tmp_path, _mlp(), name="plain-never", train_mode="never", every=10)  # eval() changes nothing
    assert "no_train_mode" not in [f.code for f in ok.causes + plain.causes]


def test_weight_decay_that_holds_the_weights_at_0_is_named_not_the_learning_rate(tmp_path):
    """An eleventh trial: weight_decay=0.5 was told to lower its learning rate; SGD at 0.5 sits at chance and was told
    to raise it. Weights shrunk to a fifth of their initial size or less in a run that did not learn are the decay's."""
    from fitwatch.diagnosis.remedies import in_all_words

    for opt, lr in (("sgd", 0.1), ("adam", 1e-2)):
        _, d = _train(tmp_path, _mlp(), name=f"decay-{opt}", opt=opt, lr=lr, weight_decay=0.5, epochs=30,
                      every=5)
        assert d.verdict in ("not_learning", "underfitting") and d.causes[0].code == "weight_decay_too_high", d
        assert d.causes[0].evidence["weight_shrink"] <= 0.2 and "weight_decay=0.5" in d.causes[0].message
        said = d.findings[0].remedies
        assert said[0].startswith("Lower the weight decay") and not set(said) & in_all_words("lr_up"), said
        assert not {"lr_too_high", "lr_too_low"} & {f.code for f in d.findings}
        if d.verdict == "not_learning":  # the watched loss's 3 classes give the no-skill level
            assert "no-skill level of its 3 classes, ln(3) = 1.099" in d.findings[0].message, d.findings[0].message
    for opt, lr, decay in (("sgd", 0.1, 5e-4), ("sgd", 0.1, 5e-2), ("adam", 1e-2, 1e-2)):
        _, ok = _train(tmp_path, _mlp(), name=f"decay-ok-{opt}-{decay}", opt=opt, lr=lr, weight_decay=decay,
                       epochs=30, every=5)
        assert "weight_decay_too_high" not in [f.code for f in ok.causes], (opt, decay, ok)


def test_a_clip_that_cuts_every_step_is_named_not_the_learning_rate(tmp_path):
    """An eleventh trial: clip_grad_norm_(..., 1e-4) was told its learning rate was too low. The optimizer stepping
    with one gradient norm at every sampled step, far under the backward's, is the clip."""
    from fitwatch.diagnosis.remedies import in_all_words

    _, d = _train(tmp_path, _mlp(), name="clip-tight", clip=1e-4, every=5)
    f = next(f for f in d.causes if f.code == "clip_too_tight")
    assert abs(f.evidence["grad_at_step"] - 1e-4) < 1e-6 and f.evidence["clipped_by"] > 100, f.evidence
    said = d.findings[0].remedies
    assert said[0].startswith("Raise the clipping threshold") and not set(said) & in_all_words("lr_up"), said
    assert "lr_too_low" not in [x.code for x in d.findings]
    _, ok = _train(tmp_path, _mlp(), name="clip-ok", clip=1.0, every=5)
    _, slow = _train(tmp_path, _mlp(), name="slow-no-clip", lr=1e-5, every=5)
    assert "clip_too_tight" not in [x.code for x in ok.causes + slow.causes]
    assert "lr_too_low" in [x.code for x in slow.causes]
    # attacks: under torch.amp.GradScaler (unscale_, then a clip cutting ~1.4x) the scaler's 2**16 made "1e5 times",
    # and stayed in the norms of steps clipped after unscaling ("exploding gradients, clip them"); a clip at 1e-3 under
    # the scaler, cutting every step, left no unclipped step to read the scaler's factor from and was missed
    for name, clip, lr in (("clip-amp", 0.5, 1e-5), ("clip-amp-tight", 1e-3, 0.05)):
        model = _mlp()
        opt, scaler = torch.optim.SGD(model.parameters(), lr=lr), torch.amp.GradScaler("cpu")

        def scaled_step(m, xb, yb, opt=opt, scaler=scaler, clip=clip):
            m.train()
            lo = nn.functional.cross_entropy(m(xb), yb)
            opt.zero_grad()
            scaler.scale(lo).backward()
            scaler.unscale_(opt)
            nn.utils.clip_grad_norm_(m.parameters(), clip)  # (the backward's norm is 0.6-0.8)
            scaler.step(opt)
            scaler.update()
            return lo
        _loop(tmp_path, name, model, scaled_step)
        assert fitwatch.load(name, dir=tmp_path).probes()[("optimizer", "loss_scale")]["value"][0] == 2.0 ** 16
    amp, tight = fitwatch.diagnose("clip-amp", dir=tmp_path), fitwatch.diagnose("clip-amp-tight", dir=tmp_path)
    assert not {"clip_too_tight", "exploding_gradient"} & {c.code for c in amp.causes}, amp.causes
    f = next(c for c in tight.causes if c.code == "clip_too_tight")
    assert 100 < f.evidence["clipped_by"] < 10_000, f.evidence  # (the scaler's factor taken out)


def test_a_regression_ended_in_an_activation_its_targets_go_beyond_is_named(tmp_path):
    """An eleventh trial: a regression whose model ended in ReLU, its standardised targets half below 0, was
    `underfitting` and told to use a larger model. Targets beyond the bound of the output activation, which the outputs
    keep to, are a loss that does not fit the output; a sigmoid-ended regression of targets in [0, 1] is not."""
    from fitwatch.diagnosis.remedies import in_all_words

    x = torch.randn(512, 8, generator=torch.Generator().manual_seed(1))
    t = x @ torch.linspace(-1, 1, 8)[:, None]
    t = (t - t.mean()) / t.std()
    _, d = _train(tmp_path, nn.Sequential(*_mlp(k=1), nn.ReLU(), nn.Flatten(0)), name="relu-out", x=x, y=t[:, 0],
                  loss=nn.MSELoss(), opt="adam", lr=1e-2, epochs=10, every=5)  # (a view after it: still its output)
    f = next(f for f in d.causes if f.code == "loss_output_mismatch")
    assert "ends in ReLU, whose outputs are 0 or more" in f.message and f.evidence["target_min"] < -1, f.message
    said = d.findings[0].remedies
    assert said[0].startswith("End a regression model in a plain linear layer"), said
    assert not set(said) & (in_all_words("larger_model") | in_all_words("lr_up")), said
    for name, model, y in (("sigmoid-01", nn.Sequential(*_mlp(k=1), nn.Sigmoid()), (t - t.min()) / (t.max() - t.min())),
                           ("linear-out", _mlp(k=1), t)):
        _, ok = _train(tmp_path, model, name=name, x=x, y=y, loss=nn.MSELoss(), opt="adam", lr=1e-2, epochs=10, every=5)
        assert "loss_output_mismatch" not in [c.code for c in ok.causes], (name, ok.causes)


def test_batch_norm_over_batches_of_2_is_named_not_exploding_gradients(tmp_path):
    """An eleventh trial: BatchNorm trained at batch 2 was told its gradients exploded. Batch norm over a median
    training batch of 4 or fewer, in a run that went wrong, is named, and what follows from it hidden. The loss's
    class count (its input's width) is the no-skill level's: ln 3, not ln k guessed from the start."""
    def model():
        return nn.Sequential(nn.Linear(8, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 3))

    _, d = _train(tmp_path, model(), name="bn-2", batch=2, opt="sgd", lr=0.5, every=10)
    assert d.verdict not in ("good_fit", "still_improving"), d
    f = next(f for f in d.causes if f.code == "small_batch_norm")
    assert f.evidence["batch_size"] == 2 and "every feature becomes -1 or +1" in f.message
    assert d.findings[0].remedies[0].startswith("Train on batches of 16 or more")
    assert not {"exploding_gradient", "lr_too_high", "dead_relu"} & {c.code for c in d.causes}
    _, ok = _train(tmp_path, model(), name="bn-32", batch=32, every=10)
    assert "small_batch_norm" not in [c.code for c in ok.causes]
    assert fitwatch.load("bn-32", dir=tmp_path).probes()[("input", "bn_batch")]["value"][0] == 32


def _scheduled(tmp_path, name, make, per_batch, epochs=12, lr=0.1):
    """``(diagnosis, optimizer)`` of SGD with momentum under the scheduler ``make(opt)``, stepped at each batch or each
    epoch (ReduceLROnPlateau on the validation loss)."""
    torch.manual_seed(0)
    model = _mlp()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    sched = make(opt)
    plateau = isinstance(sched, torch.optim.lr_scheduler.ReduceLROnPlateau)

    def step(m, xb, yb):
        m.train()
        lo = nn.functional.cross_entropy(m(xb), yb)
        opt.zero_grad()
        lo.backward()
        opt.step()
        sched.step() if per_batch else None
        return lo
    return _loop(tmp_path, name, model, step, epochs=epochs, after_epoch=None if per_batch else
                 lambda val_loss: sched.step(val_loss) if plateau else sched.step()), opt


def test_a_schedule_stepped_at_each_batch_that_kills_the_rate_early_is_named(tmp_path):
    """An eleventh trial: StepLR stepped at each batch (its step_size meant for epochs) took the rate to ~0 in a few
    epochs; the run plateaued and was told to use a learning-rate schedule. A rate falling within an epoch and at 1/100
    of its peak or under on half the sampled steps is named; the same StepLR per epoch, and a cosine schedule over
    every batch, are not."""
    from fitwatch.diagnosis.remedies import in_all_words

    d, _ = _scheduled(tmp_path, "steplr-batch", lambda o: torch.optim.lr_scheduler.StepLR(o, 10), per_batch=True)
    f = next(f for f in d.causes if f.code == "schedule_too_fast")
    assert f.evidence["share_gone"] >= 0.5 and f.evidence["lr_peak"] == pytest.approx(0.1), f.evidence
    said = [r for x in d.findings for r in x.remedies]
    assert d.findings[0].remedies[0].startswith("Call scheduler.step() once per epoch"), d.findings[0].remedies
    assert not set(said) & (in_all_words("lr_schedule") | in_all_words("lr_plateau") | in_all_words("lr_up")), said
    for name, make, per_batch in (("steplr-epoch", lambda o: torch.optim.lr_scheduler.StepLR(o, 10), False),
                                  ("cosine-batch", lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, 144), True)):
        ok, _ = _scheduled(tmp_path, name, make, per_batch)
        assert "schedule_too_fast" not in [c.code for c in ok.causes], name


def test_validation_that_starts_far_below_the_no_skill_level_gained_something():
    """A watched digits MLP learned in its first epoch: validation 0.41 -> 0.39 -> 0.40 against ln 10 = 2.30, training
    falling to 0.0004, was `not_learning` ("what the model learned does not generalise"). With the class count known (3
    or more), a first validation under a quarter of the no-skill level was taken after the model learned."""
    hist = {"loss": [0.637, 0.12, 0.05, 0.02, 0.01, 0.005, 0.003, 0.002, 0.001, 0.0007, 0.0005, 0.0004],
            "val_loss": [0.41, 0.395, 0.39, 0.393, 0.398, 0.40, 0.397, 0.402, 0.399, 0.40, 0.401, 0.401]}
    assert fitwatch.diagnose(hist, context={"classes": 10}).verdict != "not_learning"
    flat = {"loss": [2.4, 2.0, 1.5, 1.0, 0.6, 0.3, 0.2, 0.1, 0.05, 0.03, 0.02, 0.01],  # shuffled labels: memorised
            "val_loss": [2.31, 2.33, 2.30, 2.32, 2.31, 2.30, 2.33, 2.31, 2.32, 2.31, 2.30, 2.31]}
    assert fitwatch.diagnose(flat, context={"classes": 10}).verdict == "not_learning"


def test_a_deep_copy_of_the_watched_model_is_not_watched(tmp_path):
    """An attack: AveragedModel (a deep copy) kept the watcher's hooks, so the copy's passes counted as the model's
    training steps and validations, and they still fired after run.finish(). A copy's passes are left out."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 3))
    x, y = _data()
    run = fitwatch.Run("ema-copy", dir=tmp_path, diagnose=False).watch(model, every=5)
    ema = torch.optim.swa_utils.AveragedModel(model)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    for _ in run.epochs(3):
        model.train()
        for i in range(0, 192, 32):
            lo = nn.functional.cross_entropy(model(x[i:i + 32]), y[i:i + 32])
            opt.zero_grad()
            lo.backward()
            opt.step()
            ema.update_parameters(model)
            run.log("train", loss=lo.detach(), n=32)
        ema.train()
        ema(x[:32])  # the copy's own training-mode pass (as torch.optim.swa_utils.update_bn makes)
        ema.eval()
        with torch.no_grad():
            run.log("val", loss=nn.functional.cross_entropy(ema(x[192:]), y[192:]), n=64)
    watcher = run._watchers[0][0]
    assert (watcher.step, watcher.eval_step) == (18, 0)
    run.finish()
    ema(x[:4])  # the copy's hooks, left on it, do nothing
    assert {c.code for c in fitwatch.diagnose("ema-copy", dir=tmp_path).causes} <= {"too_few_epochs"}  # (3 epochs)


def _loop(tmp_path, name, model, step, epochs=6, x=None, y=None, loss=nn.functional.cross_entropy, after_epoch=None):
    """A plain loop whose training step is ``step(model, xb, yb) -> loss`` (it calls backward and the optimizer), and
    ``after_epoch(validation loss)`` (a scheduler's step) after each epoch's validation."""
    torch.manual_seed(0)
    x, y = (x, y) if x is not None else _data()
    run = fitwatch.Run(name, dir=tmp_path, diagnose=False).watch(model, every=5)
    for _ in run.epochs(epochs):
        for i in range(0, 192, 16):
            run.log("train", loss=step(model, x[i:i + 16], y[i:i + 16]).detach(), n=16)
        model.eval()
        with torch.no_grad():
            vl = loss(model(x[192:]), y[192:])
            run.log("val", loss=vl, n=64)
        if after_epoch is not None:
            after_epoch(float(vl))
    run.finish()
    return fitwatch.diagnose(name, dir=tmp_path)


def test_the_attack_on_the_eleventh_trials_causes_stays_fixed(tmp_path):
    """An attack on no_train_mode, loss_output_mismatch's output range, small_batch_norm and schedule_too_fast: a linear
    probe on a frozen backbone in eval(), dropout put back in train() with batch norm frozen, a detached eval() pass
    beside the training one, a sigmoid output scaled outside the model, a GRU fed sequence-first before its batch norm,
    ReduceLROnPlateau cutting a converged run: each had a cause it does not have."""
    def net():
        torch.manual_seed(0)
        return nn.Sequential(nn.Linear(8, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 3))

    def stepper(model, mode, extra=None):
        opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)

        def step(m, xb, yb):
            mode(m)
            lo = nn.functional.cross_entropy(m(xb), yb)
            if extra is not None:
                extra(m, xb)
            opt.zero_grad()
            lo.backward()
            opt.step()
            return lo
        return step

    probe = net()
    for p in probe[:2].parameters():
        p.requires_grad_(False)  # a frozen backbone: eval() on purpose
    bn_frozen = lambda m: (m.eval(), m[3].train())  # noqa: E731  (dropout on, batch norm frozen)

    def second_pass(m, xb):  # a consistency target from an eval() pass, no_grad forgotten, detached
        m.eval()
        m(xb).detach()
        m.train()

    for name, model, mode, extra in (("probe", probe, lambda m: m.eval(), None),
                                     ("bn-frozen", net(), bn_frozen, None),
                                     ("second-pass", net(), lambda m: m.train(), second_pass)):
        d = _loop(tmp_path, name, model, stepper(model, mode, extra))
        assert "no_train_mode" not in [c.code for c in d.causes], (name, d.causes)

    x = torch.randn(256, 8, generator=torch.Generator().manual_seed(1))
    t = x @ torch.linspace(0, 1, 8)[:, None]
    t = 10 * (t - t.min()) / (t.max() - t.min())  # targets in [0, 10], a sigmoid output scaled by 10 outside
    scaled = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 1), nn.Sigmoid())
    opt = torch.optim.Adam(scaled.parameters(), lr=1e-2)

    def scaled_step(m, xb, yb):
        m.train()
        lo = nn.functional.mse_loss(m(xb) * 10, yb)
        opt.zero_grad()
        lo.backward()
        opt.step()
        return lo
    d = _loop(tmp_path, "scaled", scaled, scaled_step, x=x, y=t, loss=lambda o, y: nn.functional.mse_loss(o * 10, y))
    assert "loss_output_mismatch" not in [c.code for c in d.causes], d.causes

    class SeqFirst(nn.Module):  # (seq, batch, features) into a GRU, then batch norm over the batch
        def __init__(self):
            super().__init__()
            self.gru, self.bn, self.out = nn.GRU(2, 16), nn.BatchNorm1d(16), nn.Linear(16, 3)

        def forward(self, x):
            return self.out(self.bn(self.gru(x.reshape(len(x), 4, 2).transpose(0, 1))[0][-1]))
    seq = SeqFirst()
    d = _loop(tmp_path, "seq-first", seq, stepper(seq, lambda m: m.train()))
    assert fitwatch.load("seq-first", dir=tmp_path).probes()[("input", "bn_batch")]["value"][0] == 16
    assert "small_batch_norm" not in [c.code for c in d.causes]

    d, opt = _scheduled(tmp_path, "plateau", lambda o: torch.optim.lr_scheduler.ReduceLROnPlateau(
        o, factor=0.1, patience=0, threshold=0.5), per_batch=False, lr=0.05)  # (threshold 0.5: it cuts often)
    assert opt.param_groups[0]["lr"] < 1e-4 * 0.05 and "schedule_too_fast" not in [c.code for c in d.causes]


def test_adversarial_examples_made_in_evaluation_mode_are_no_training_in_it(tmp_path):
    """FGSM examples made with the model in eval() (a backward pass through it, no optimizer step before the next
    forward pass in training mode) are no training step in evaluation mode."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 3))
    x, y = _data()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    run = fitwatch.Run("fgsm", dir=tmp_path, diagnose=False).watch(model, every=10)
    for _ in run.epochs(4):
        for i in range(0, 192, 32):
            model.eval()
            xb = x[i:i + 32].clone().requires_grad_(True)
            nn.functional.cross_entropy(model(xb), y[i:i + 32]).backward()
            adv = (xb + 0.05 * xb.grad.sign()).detach()
            model.train()
            opt.zero_grad()
            lo = nn.functional.cross_entropy(model(adv), y[i:i + 32])
            lo.backward()
            opt.step()
            run.log("train", loss=lo.detach(), n=32)
        model.eval()
        with torch.no_grad():
            run.log("val", loss=nn.functional.cross_entropy(model(x[192:]), y[192:]), n=64)
    run.finish()
    assert "eval_mode_steps" not in fitwatch.load("fgsm", dir=tmp_path).info["probes"]


def test_a_watched_model_without_dropout_or_weight_decay_says_so(tmp_path):
    """A tenth trial: a transformer at Adam 3e-2, no dropout nor weight decay, whose accuracy rose and fell back to
    chance, was told first to weaken its regularisation. Run.watch records that it saw none, once the optimizer stepped."""
    from fitwatch.diagnosis.curves import Curves

    _train(tmp_path, _mlp(), name="bare")
    assert Curves.from_run(fitwatch.load("bare", dir=tmp_path)).context.get("regularisation_watched") is True
    d = fitwatch.diagnose({"loss": [2.29, 2.287, 2.295, 2.300] + [2.3027] * 26,
                           "val_loss": [2.282, 2.279, 2.287, 2.292] + [2.3027] * 26,
                           "accuracy": [0.18, 0.22, 0.2, 0.15] + [0.1] * 26,
                           "val_accuracy": [0.26, 0.2, 0.2, 0.16] + [0.1] * 26}, context={"regularisation_watched": True})
    assert d.verdict == "not_learning" and d.findings[0].remedies[0] == CATALOGUE["lr_down"]
    assert "Run.watch saw no dropout module and no weight decay" in d.findings[0].message


def test_a_gan_whose_passes_add_to_a_stepped_models_gradients_is_no_forgotten_zero_grad(tmp_path):
    """An attack: DCGAN's order with the generator trained twice per discriminator step, the discriminator watched: the
    generator's passes through it add to its gradient after its step, harmlessly (its own zero_grad() clears them
    before its next pass); it was told "optimizer.zero_grad() is missing". The check's window runs to the
    discriminator's next step, and one cleared pass in it is enough."""
    torch.manual_seed(0)
    G = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 8))
    D = nn.Sequential(nn.Linear(8, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1))
    oG, oD, bce = torch.optim.Adam(G.parameters(), 2e-4), torch.optim.Adam(D.parameters(), 2e-4), nn.BCEWithLogitsLoss()
    run = fitwatch.Run("gan", dir=tmp_path, diagnose=False).watch(D, every=5)
    for _ in run.epochs(3):
        for _ in range(20):
            real, fake = torch.randn(32, 8) + 2, G(torch.randn(32, 4))
            D.zero_grad()
            loss_d = bce(D(real), torch.ones(32, 1)) + bce(D(fake.detach()), torch.zeros(32, 1))
            loss_d.backward()
            oD.step()
            for _ in range(2):  # the generator twice: its passes go through D, adding to D's gradient
                G.zero_grad()
                loss_g = bce(D(G(torch.randn(32, 4))), torch.ones(32, 1))
                loss_g.backward()
                oG.step()
            run.log("train", loss=loss_d.detach(), n=32)
    run.finish()
    carried = fitwatch.load("gan", dir=tmp_path).probes()[("optimizer", "grad_carried")]["value"]
    assert carried.size >= 5 and np.all(carried == 0)
    assert "grads_not_zeroed" not in [f.code for f in fitwatch.diagnose("gan", dir=tmp_path).causes]


def test_a_forgotten_zero_grad_beside_clipping_and_one_between_backward_and_step_are_named(tmp_path):
    """An attack: clip_grad_norm_ shrinks the carried gradient in place (0.02-0.3 of the new one's), which a threshold
    of 0.5 missed; and zero_grad() between backward() and step() was told its learning rate was too low."""
    x, y = _data()

    def loop(name, opt_of, slip):
        model = _mlp(depth=2)
        opt = opt_of(model.parameters())
        run = fitwatch.Run(name, dir=tmp_path, diagnose=False).watch(model, every=5)
        for _ in run.epochs(4):
            for i in range(0, 192, 32):
                loss = nn.functional.cross_entropy(model(x[i:i + 32]), y[i:i + 32])
                loss.backward()
                slip(model, opt)
                opt.step()
                run.log("train", loss=loss.detach(), n=32)
            with torch.no_grad():
                model.eval()
                run.log("val", loss=nn.functional.cross_entropy(model(x[192:]), y[192:]), n=64)
                model.train()
        run.finish()
        return fitwatch.diagnose(name, dir=tmp_path).causes

    # no zero_grad, and clipping at 0.1
    causes = loop("clip", lambda p: torch.optim.Adam(p, lr=1e-3),
                  lambda m, o: torch.nn.utils.clip_grad_norm_(m.parameters(), 0.1))
    assert "grads_not_zeroed" in [f.code for f in causes]
    causes = loop("cleared", lambda p: torch.optim.SGD(p, lr=0.05), lambda m, o: o.zero_grad())  # cleared before step
    assert causes and causes[0].code == "grads_cleared" and "lr_too_low" not in [f.code for f in causes]
    assert causes[0].remedies[0].startswith("Clear the gradients before loss.backward()")


def test_no_grad_passes_in_training_mode_that_are_not_the_validation_are_no_missing_eval(tmp_path):
    """An attack: FixMatch-style pseudo-labels under no_grad in training mode, validated on an EMA copy in eval(), were
    told "model.eval() is missing". What counts is the mode of the model's last pass before a validation value is
    logged; a final test in eval() after validations in training mode no longer hides them either."""
    x, y = _data()
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Dropout(0.5), nn.Linear(32, 3))
    ema = torch.optim.swa_utils.AveragedModel(model)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    run = fitwatch.Run("pseudo", dir=tmp_path, diagnose=False).watch(model, every=5)
    for _ in run.epochs(4):
        for i in range(0, 192, 32):
            with torch.no_grad():
                _ = model(x[i:i + 32]).argmax(1)  # pseudo-labels, in training mode
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x[i:i + 32]), y[i:i + 32])
            loss.backward()
            opt.step()
            ema.update_parameters(model)
            run.log("train", loss=loss.detach(), n=32)
        ema.eval()
        with torch.no_grad():
            run.log("val", loss=nn.functional.cross_entropy(ema(x[192:]), y[192:]), n=64)
    run.finish()
    assert "no_eval_mode" not in [f.code for f in fitwatch.diagnose("pseudo", dir=tmp_path).causes]



def test_a_loss_scalers_factor_is_no_exploding_gradient(tmp_path):
    """An attack: a healthy run under torch.amp.GradScaler (the backward pass sees gradients scaled by 2**16) had
    "exploding gradients, 9.48e+03 times its weights'". The backward gradient over the one the optimizer steps with
    (GradScaler unscales first) is the scaler's factor, a power of 2: it is taken out of the gradient norms."""
    x, y = _data()
    model = _mlp(depth=2)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    scaler = torch.amp.GradScaler("cpu")
    run = fitwatch.Run("amp", dir=tmp_path, diagnose=False).watch(model, every=5)
    for _ in run.epochs(4):
        for i in range(0, 192, 32):
            opt.zero_grad()
            with torch.autocast("cpu", dtype=torch.bfloat16):
                loss = nn.functional.cross_entropy(model(x[i:i + 32]), y[i:i + 32])
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            run.log("train", loss=loss.detach().float(), n=32)
        with torch.no_grad():
            model.eval()
            run.log("val", loss=nn.functional.cross_entropy(model(x[192:]), y[192:]), n=64)
            model.train()
    run.finish()
    scale = fitwatch.load("amp", dir=tmp_path).probes()[("optimizer", "grad_scale")]["value"]
    assert np.allclose(np.log2(scale), np.round(np.log2(scale))) and scale.min() >= 2 ** 7
    assert "exploding_gradient" not in [f.code for f in fitwatch.diagnose("amp", dir=tmp_path).causes]
    assert fitwatch.load("amp", dir=tmp_path).probes()[("0", "grad_norm")]["value"].max() > 100  # as the hooks saw it


class _Body(nn.Module):
    """An MLP whose body may run under torch.no_grad() (the slip) before its trained head."""

    def __init__(self, frozen_body=False):
        super().__init__()
        self.body, self.head, self.frozen_body = nn.Sequential(nn.Linear(8, 32), nn.ReLU()), nn.Linear(32, 3), frozen_body

    def forward(self, x):
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.frozen_body):
            h = self.body(x)
        return self.head(h)


def test_layers_no_gradient_reaches_are_named_not_vanishing_gradients_nor_a_small_rate(tmp_path):
    """An eleventh trial: torch.no_grad() around a model's body was told its gradients vanish and to use ReLU (in an
    all-ReLU model); an output detached before the loss (loss.requires_grad_(True) silencing torch's error) was told to
    raise its learning rate; a loop without optimizer.step() too."""
    x, y = _data()

    def loop(name, model, detach=False, step=True):
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        run = fitwatch.Run(name, dir=tmp_path, diagnose=False).watch(model, every=5)
        for _ in run.epochs(4):
            for i in range(0, 192, 32):
                opt.zero_grad()
                out = model(x[i:i + 32])
                loss = nn.functional.cross_entropy(out.detach() if detach else out, y[i:i + 32])
                (loss.requires_grad_(True) if detach else loss).backward()
                if step:
                    opt.step()
                run.log("train", loss=loss.detach(), n=32)
            with torch.no_grad():
                run.log("val", loss=nn.functional.cross_entropy(model(x[192:]), y[192:]), n=64)
        run.finish()
        return fitwatch.diagnose(name, dir=tmp_path).causes

    codes = [f.code for f in loop("no-grad-body", _Body(frozen_body=True))]
    assert codes and codes[0] == "no_gradient" and "vanishing_gradient" not in codes, codes
    causes = loop("detached", _mlp())
    assert causes == [] or causes[0].code != "no_gradient"  # (a healthy control, the same loop)
    causes = loop("detached-slip", _mlp(), detach=True)
    assert [f.code for f in causes] == ["no_gradient"] and "connected" in causes[0].message
    causes = loop("no-step", _mlp(), step=False)
    assert [f.code for f in causes] == ["not_updated"] and "optimizer.step() is missing" in causes[0].message


def test_a_heavy_dropout_is_no_label_problem(tmp_path):
    """An eleventh trial: Dropout(0.9), clean labels, validation accuracy far above training's (units dropped in
    training only), was told "many labels look wrong". The watched dropout rate explains the gap."""
    torch.manual_seed(0)
    x, y = _data(n=512)
    model = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Dropout(0.9), nn.Linear(64, 3))
    d = _fit_with_accuracy(tmp_path, "dropout", model, x, y, 384, every=5)
    h = d._curves.series
    assert np.median(h["val_accuracy"][-3:]) - np.median(h["accuracy"][-3:]) >= 0.15  # the gap label_problem reads
    assert "label_problem" not in [f.code for f in d.causes]
