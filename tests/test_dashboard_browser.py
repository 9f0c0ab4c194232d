"""The dashboard in a real browser: Debian's Chromium driven by Playwright, against a real server
(uvicorn in a thread) reading a store that real training loops wrote.

Skipped without Chromium or Playwright, except under CI=true (see conftest.py). Screenshots go to
test-artifacts/: dashboard-runs.png, dashboard-run.png, dashboard-compare.png.
"""

import sys
import time

import numpy as np
import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")

import fitwatch  # noqa: E402
from conftest import ARTIFACTS, train_digits_mlp  # noqa: E402
from dashboard_server import ServerThread  # noqa: E402
from fitwatch.show import style  # noqa: E402
from fitwatch.show.smoothing import downsample, ema  # noqa: E402

SCRIPT_NAME = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def site(tmp_path_factory, one_torch_thread):
    d = tmp_path_factory.mktemp("browser") / "store"
    # real torch loops (conftest): a wide MLP on 200 digits that overfits until early stopping ends it,
    # and a slower one on more data
    a, _ = train_digits_mlp("digits-mlp", d, config={"lr": 0.003, "hidden": 256})
    b, _ = train_digits_mlp("digits-mlp-slow", d, n_train=600, epochs=15, lr=3e-4, config={"lr": 0.0003})
    with fitwatch.Run(SCRIPT_NAME, config={"<img src=x onerror=alert(2)>": "<b>x</b>"}, dir=d, progress=False,
                      diagnose="quiet") as s:
        for epoch in s.epochs(6):
            s.log_epoch(loss=1.0 / (epoch + 1), val_loss=1.1 / (epoch + 1), **{"<i>odd</i>": 0.5})
    with ServerThread(d) as server:
        yield {"dir": d, "a": a, "b": b, "script": s, "url": server.url}


def watch(page, base):
    """Record what a page does that it must not: dialogs, errors, CSP violations, requests elsewhere."""
    seen = {"dialogs": [], "errors": [], "foreign": []}
    page.on("dialog", lambda dlg: (seen["dialogs"].append(dlg.message), dlg.dismiss()))
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on("console", lambda m: m.type == "error" and seen["errors"].append(m.text))
    page.on("request", lambda r: r.url.startswith(base) or r.url.startswith("data:") or seen["foreign"].append(r.url))
    return seen


def clean(seen):
    assert seen == {"dialogs": [], "errors": [], "foreign": []}


def open_view(page, url, name, timeout=20_000):
    page.goto(url)
    page.wait_for_selector(f"#view[data-ready={name}]", state="attached", timeout=timeout)


def open_live_run(page, url, run, epoch, epochs=3):
    """Log ``epochs`` epochs into the running ``run`` with ``epoch(e)``, commit them, open its page."""
    for e in range(epochs):
        epoch(e)
    run.store.flush(30)
    open_view(page, f"{url}#/run/{run.id}", "run")


def wait_until(page, js, arg=None, timeout=5000):
    """Poll ``js`` (an expression, or a function of ``arg``) until it is truthy. (Playwright's own
    wait_for_function evaluates its predicate with eval, which the dashboard's CSP rightly forbids.)"""
    deadline = time.monotonic() + timeout / 1000
    while True:
        value = page.evaluate(js, arg)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} ms: {js}")
        time.sleep(0.05)


def trace_points(page, plot_id, name):
    return page.evaluate(
        """([id, name]) => { const gd = document.getElementById(id);
             const t = gd && gd.data && gd.data.find(t => t.name === name && t.meta && t.meta.role === 'raw');
             return t ? t.x.length : -1; }""", [plot_id, name])


def test_runs_list_shows_a_run_from_a_real_training_loop(page, site):
    seen = watch(page, site["url"])
    open_view(page, site["url"], "runs")
    row = page.locator(f"tr[data-id='{site['a'].id}']")
    assert row.locator("a.run-link").inner_text() == "digits-mlp"
    cells = row.locator("td").all_inner_texts()
    verdict = fitwatch.load(site["a"].id, dir=site["dir"]).info["diagnosis"]["verdict"]
    epochs = len(fitwatch.load(site["a"].id, dir=site["dir"]).epochs)
    assert "stopped" in cells and str(epochs) in cells  # ended by early stopping
    assert row.locator(".verdict").inner_text() == verdict.replace("_", " ")
    assert page.locator("#run-count").inner_text() == "3 runs"
    page.fill("#filter", "slow")  # the name filter
    wait_until(page, "document.querySelectorAll('#runs-table tbody tr').length === 1")
    assert page.locator("#runs-table tbody a.run-link").inner_text() == "digits-mlp-slow"
    page.fill("#filter", "")
    page.click("th[data-sort=name]")  # sort by name, ascending
    wait_until(page, "document.querySelector('th[data-sort=name]').getAttribute('aria-sort') === 'ascending'")
    names = page.locator("#runs-table tbody a.run-link").all_inner_texts()
    assert names == sorted(names, key=str.lower)
    page.select_option("#verdict-filter", verdict)
    assert "digits-mlp" in page.locator("#runs-table tbody a.run-link").all_inner_texts()
    page.select_option("#verdict-filter", "")
    page.click("th[data-sort=started_at]")
    page.screenshot(path=str(ARTIFACTS / "dashboard-runs.png"))
    clean(seen)


def test_run_page_draws_the_curves_and_the_verdict(page, site):
    seen = watch(page, site["url"])
    run = site["a"]
    open_view(page, f"{site['url']}#/run/{run.id}", "run")
    data = fitwatch.load(run.id, dir=site["dir"])
    # plotly drew SVG line paths for train and val loss, with every epoch
    paths = page.locator("#plot-loss .scatterlayer .trace path.js-line")
    assert paths.count() >= 2 and all(len(d or "") > 20 for d in paths.evaluate_all("ps => ps.map(p => p.getAttribute('d'))"))
    assert trace_points(page, "plot-loss", "val") == len(data.epochs) == trace_points(page, "plot-loss", "train")
    assert page.locator("#plot-accuracy .scatterlayer .trace").count() >= 2
    assert int(page.locator("#plot-steps").get_attribute("data-total")) == len(data.steps()[("train", "loss")][0])
    diag = data.info["diagnosis"]
    assert page.locator("#run-head .verdict").inner_text() == diag["verdict"].replace("_", " ")
    codes = page.locator("#diagnosis details.finding").evaluate_all("ds => ds.map(d => d.dataset.code)")
    assert codes == [f["code"] for f in diag["findings"]]
    assert diag["findings"][0]["message"].replace(" -> ", " → ") in page.locator("#diagnosis").inner_text()
    assert "0.003" in page.locator("#config").inner_text()
    shapes = page.evaluate("document.getElementById('plot-loss').layout.shapes.map(s => [s.type, s.x0])")
    stopped = data.info["early_stopping"]["stopped_epoch"]
    assert ["line", diag["best_epoch"]] in shapes and ["line", stopped] in shapes  # best epoch, early stop
    if diag["onset_epoch"] is not None:
        assert ["rect", diag["onset_epoch"]] in shapes  # the overfitting band
    assert page.locator("#early-stop").inner_text().count(str(stopped)) >= 1
    assert page.locator("#export-csv").get_attribute("href") == f"/api/runs/{run.id}/export.csv"
    page.screenshot(path=str(ARTIFACTS / "dashboard-run.png"))
    clean(seen)


def test_a_new_epoch_appears_while_the_page_is_open(page, site):
    seen = watch(page, site["url"])
    run = fitwatch.Run("live-run", dir=site["dir"], diagnose="quiet", progress=False)

    def epoch(e):
        for b in range(5):
            run.log("train", loss=1.0 / (e + 1) + 0.01 * b, n=16)
        run.log("val", loss=1.2 / (e + 1), n=16)
        run.end_epoch()

    try:
        open_live_run(page, site["url"], run, epoch)
        assert page.locator("#run-head .live").count() == 1
        assert trace_points(page, "plot-loss", "val") == 3
        for e in (3, 4):
            t0 = time.monotonic()
            epoch(e)  # written by this process while the page polls; no reload
            wait_until(page, """n => { const gd = document.getElementById('plot-loss');
                                    const t = gd.data.find(t => t.name === 'val' && t.meta.role === 'raw');
                                    return t.x.length === n; }""", e + 1, timeout=3000)
            assert time.monotonic() - t0 < 3.0
        assert page.evaluate("document.getElementById('plot-loss').data.find(t => t.name === 'val').y[4]") == 1.2 / 5
    finally:
        run.finish()
    wait_until(page, "!document.querySelector('#run-head .live')", timeout=5000)  # finished: polling stops
    assert "finished" in page.locator("#run-head").inner_text()
    clean(seen)


def test_a_script_tag_name_shows_as_text(page, site):
    seen = watch(page, site["url"])
    open_view(page, site["url"], "runs")
    link = page.locator(f"tr[data-id='{site['script'].id}'] a.run-link")
    assert link.inner_text() == SCRIPT_NAME
    open_view(page, f"{site['url']}#/run/{site['script'].id}", "run")
    assert page.locator("#run-name").inner_text() == SCRIPT_NAME
    config = page.locator("#config").inner_text()
    assert "<img src=x onerror=alert(2)>" in config and "<b>x</b>" in config
    assert page.locator("#config img, #view b, #view i").count() == 0  # no element made from data
    assert page.locator("#plot-_i_odd__i_ .gtitle").text_content() == "<i>odd</i>"  # plotly shows it as typed
    srcs = page.evaluate("[...document.scripts].map(s => s.getAttribute('src'))")
    assert sorted(srcs) == ["/assets/app.js", "/assets/plotly-basic.min.js"]
    page.wait_for_timeout(300)
    assert seen["dialogs"] == []
    clean(seen)


def test_compare_overlays_two_runs(page, site):
    seen = watch(page, site["url"])
    open_view(page, site["url"], "runs")
    for run in (site["a"], site["b"]):
        page.check(f"tr[data-id='{run.id}'] input[type=checkbox]")
    assert page.locator("#compare-btn").inner_text() == "Compare 2 runs"
    page.click("#compare-btn")
    page.wait_for_selector("#view[data-ready=compare]", state="attached", timeout=20_000)
    traces = page.evaluate("""document.getElementById('cmp-loss').data.filter(t => t.meta.role === 'raw')
                              .map(t => [t.name, t.line.color, t.line.dash, t.x.length])""")
    assert {(n, c, dsh) for n, c, dsh, _ in traces} == {
        ("digits-mlp · train", style.run_color(0), "dash"), ("digits-mlp · val", style.run_color(0), "solid"),
        ("digits-mlp-slow · train", style.run_color(1), "dash"),
        ("digits-mlp-slow · val", style.run_color(1), "solid")}
    lengths = {n: k for n, _, _, k in traces}
    for name, run in (("digits-mlp", site["a"]), ("digits-mlp-slow", site["b"])):
        assert lengths[f"{name} · val"] == lengths[f"{name} · train"] == len(fitwatch.load(run.id, dir=site["dir"]).epochs)
    assert page.locator("#cmp-accuracy .scatterlayer .trace").count() >= 4
    assert page.locator("#compare-runs a").all_inner_texts() == ["digits-mlp", "digits-mlp-slow"]
    page.screenshot(path=str(ARTIFACTS / "dashboard-compare.png"))
    clean(seen)


def test_smoothing_slider_and_log_toggle_change_the_plot(page, site):
    seen = watch(page, site["url"])
    run = site["a"]
    open_view(page, f"{site['url']}#/run/{run.id}", "run")
    roles = "document.getElementById('plot-loss').data.map(t => t.meta.role)"
    assert "smoothed" not in page.evaluate(roles)
    page.eval_on_selector("#smooth", "s => { s.value = '0.8'; s.dispatchEvent(new Event('input')); }")
    wait_until(page, f"{roles}.includes('smoothed')", timeout=5000)
    got = page.evaluate("""document.getElementById('plot-loss').data
                           .find(t => t.name === 'val' && t.meta.role === 'smoothed').y""")
    _, val = fitwatch.load(run.id, dir=site["dir"]).series("val", "loss")
    assert np.allclose(got, ema(val, 0.8), rtol=0, atol=1e-12)  # the same EMA as fitwatch.smoothing
    assert page.locator("#smooth-value").inner_text() == "0.80"
    raw_opacity = page.evaluate("document.getElementById('plot-loss').data.find(t => t.name === 'val').opacity")
    assert raw_opacity == style.ANNOTATION["raw_alpha"]  # the raw curve stays, faint
    axis = "document.getElementById('plot-loss').layout.yaxis.type"
    before = page.evaluate(axis)
    page.click("#logscale")
    wait_until(page, f"{axis} === '{'linear' if before == 'log' else 'log'}'", timeout=5000)
    page.click("#logscale")
    wait_until(page, f"{axis} === '{before}'", timeout=5000)
    page.eval_on_selector("#smooth", "s => { s.value = '0'; s.dispatchEvent(new Event('input')); }")
    wait_until(page, f"!{roles}.includes('smoothed')", timeout=5000)
    clean(seen)


# -- the batch panel's menu and the compare page's onsets: a small store of their own -------------
OVERFIT_VAL = [1.0, 0.7, 0.55, 0.5, 0.52, 0.56, 0.6, 0.65, 0.7, 0.75, 0.8, 0.86]
VAL_BATCHES = 1500  # a split's batches an epoch: 3 epochs are 4,500 values, over 2 x 2,000, so downsampled


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    d = tmp_path_factory.mktemp("browser-small") / "store"
    runs = {}
    for name, val in (("overfits", OVERFIT_VAL), ("improves", [1.0 - 0.05 * e for e in range(12)])):
        with fitwatch.Run(name, dir=d, diagnose="quiet", progress=False) as run:
            for epoch in run.epochs(len(val)):
                run.log("train", loss=1.0 / (epoch + 1), accuracy=0.5 + epoch / 30, n=32)
                run.log("val", loss=val[epoch], accuracy=0.45 + epoch / 40, n=32)
        runs[name] = run.id
    with ServerThread(d) as server:
        yield {"dir": d, "url": server.url, **runs}


def val_batch(e, b):
    """A val batch's loss: noisy, with one spike an epoch that downsampling must keep."""
    return 10.0 if b == 700 else 1.0 / (e + 1) + 0.05 * ((b * 7919) % 101) / 101


def steps_trace(page):
    return page.evaluate("""() => { const gd = document.getElementById('plot-steps');
        const raw = gd.data.find(t => t.meta.role === 'raw');
        return {series: gd.dataset.series, total: Number(gd.dataset.total), name: raw.name, x: raw.x, y: raw.y,
                smoothed: (gd.data.find(t => t.meta.role === 'smoothed') || {}).y || null,
                axis: gd.layout.yaxis.type, menu: document.getElementById('steps-series').value}; }""")


def stored_val_steps(small, run_id, smooth=0.0):
    """The run's val loss per batch, as /steps sends it: EMA on the full series, then 2,000 min/max buckets."""
    x, y = fitwatch.load(run_id, dir=small["dir"]).steps()[("val", "loss")]
    y = ema(y, smooth) if smooth else y
    return downsample(x, y, 2000) if len(y) > 2 * 2000 else (x, y)


def test_the_batch_panel_switches_to_val_loss_and_keeps_it_while_the_run_trains(page, small, monkeypatch):
    seen = watch(page, small["url"])
    monkeypatch.setattr(sys.modules["fitwatch.record.run"], "_FLUSH_EVERY_S", 0.0)  # batch values stored at each epoch's end
    run = fitwatch.Run("live-batches", dir=small["dir"], diagnose="quiet", progress=False)

    def epoch(e):
        for b in range(VAL_BATCHES):
            run.log("train", loss=1.0 / (e + 1) + 0.001 * b, accuracy=0.5, n=8)
        for b in range(VAL_BATCHES):
            run.log("val", loss=val_batch(e, b), n=8)
        run.end_epoch()

    try:
        open_live_run(page, small["url"], run, epoch)
        # the menu lists every split / metric with batch values and their counts; train loss drawn first
        options = page.locator("#steps-series option").evaluate_all("os => os.map(o => [o.value, o.textContent])")
        assert options == [["train/loss", "train / loss (4,500)"], ["train/accuracy", "train / accuracy (4,500)"],
                           ["val/loss", "val / loss (4,500)"]]
        assert page.locator("label[for=steps-series]").inner_text() == "Per batch"
        assert steps_trace(page)["series"] == "train/loss"
        page.focus("#steps-series")  # by keyboard: down twice from train / loss
        page.keyboard.press("ArrowDown")
        page.keyboard.press("ArrowDown")
        wait_until(page, "document.getElementById('plot-steps').dataset.series === 'val/loss'")
        got = steps_trace(page)
        want_x, want_y = stored_val_steps(small, run.id)
        assert len(want_x) < 4500 and 10.0 in want_y.tolist()  # downsampled, the spikes kept
        assert (got["name"], got["total"], got["menu"]) == ("val", 4500, "val/loss")
        assert got["x"] == want_x.tolist() and got["y"] == want_y.tolist()
        assert page.evaluate("document.getElementById('plot-steps').layout.xaxis.title.text") == "val step"

        epoch(3)  # written while the page polls: the new epoch appears, the panel stays on val loss
        wait_until(page, """() => document.getElementById('plot-loss').data
                              .find(t => t.name === 'val' && t.meta.role === 'raw').x.length === 4""", timeout=4000)
        assert steps_trace(page)["menu"] == "val/loss"
    finally:
        run.finish()
    # the run ended: header, diagnosis and the batch panel are fetched again, still val loss, now 4 epochs
    wait_until(page, "document.getElementById('plot-steps').dataset.total === '6000'", timeout=5000)
    got = steps_trace(page)
    want_x, want_y = stored_val_steps(small, run.id)
    assert (got["series"], got["menu"], got["name"]) == ("val/loss", "val/loss", "val")
    assert got["x"] == want_x.tolist() and got["y"] == want_y.tolist()
    assert page.locator("#steps-series option").all_inner_texts()[-1] == "val / loss (6,000)"
    # the smoothing slider and the log toggle act on it
    page.eval_on_selector("#smooth", "s => { s.value = '0.7'; s.dispatchEvent(new Event('input')); }")
    wait_until(page, "document.getElementById('plot-steps').data.some(t => t.meta.role === 'smoothed')")
    got = steps_trace(page)
    _, want_s = stored_val_steps(small, run.id, smooth=0.7)
    assert got["menu"] == "val/loss" and np.allclose(got["smoothed"], want_s, rtol=0, atol=1e-12)
    before = got["axis"]
    page.click("#logscale")
    wait_until(page, f"document.getElementById('plot-steps').layout.yaxis.type !== '{before}'")
    assert steps_trace(page)["series"] == "val/loss"
    clean(seen)


def test_compare_marks_each_overfitting_runs_onset_in_its_colour(page, small):
    seen = watch(page, small["url"])
    over = fitwatch.load(small["overfits"], dir=small["dir"]).info["diagnosis"]
    assert over["verdict"] == "overfitting" and over["onset_epoch"] is not None
    assert fitwatch.load(small["improves"], dir=small["dir"]).info["diagnosis"]["onset_epoch"] is None
    # the overfitting run second: its colour is the second run colour
    open_view(page, f"{small['url']}#/compare/{small['improves']},{small['overfits']}", "compare")
    for plot in ("cmp-loss", "cmp-accuracy"):
        shapes = page.evaluate(f"""document.getElementById('{plot}').layout.shapes
                                   .map(s => [s.type, s.x0, s.x1, s.line.color, s.line.dash, s.name, s.showlegend])""")
        assert shapes == [["line", over["onset_epoch"], over["onset_epoch"], style.run_color(1), "dash",
                           f"overfits · overfitting from epoch {over['onset_epoch']}", True]]
    # drawn: one dashed line in the plot, one legend entry, and a hover marker on its val loss at the onset
    assert page.locator("#cmp-loss .layer-below .shapelayer path").count() == 1
    legend = page.locator("#cmp-loss .legend .legendtext").all_text_contents()
    assert [t for t in legend if "overfitting" in t] == [f"overfits · overfitting from epoch {over['onset_epoch']}"]
    onset = page.evaluate("""document.getElementById('cmp-loss').data.filter(t => t.meta.role === 'onset')
                             .map(t => [t.x, t.y, t.marker.color, t.name])""")
    assert onset == [[[over["onset_epoch"]], [OVERFIT_VAL[over["onset_epoch"]]], style.run_color(1),
                      f"overfits: overfitting from epoch {over['onset_epoch']}"]]
    assert f"from epoch {over['onset_epoch']}" in page.locator("#compare-runs").inner_text()
    clean(seen)


def test_a_watched_runs_page_shows_inside_the_model(page, tmp_path, one_torch_thread):
    d = tmp_path / "store"
    run, _ = train_digits_mlp("watched", d, epochs=8, watch=True)
    with ServerThread(d) as server:
        seen = watch(page, server.url)
        open_view(page, f"{server.url}#/run/{run.id}", "run")
        assert page.locator("#inside h3").inner_text() == "Inside the model"
        ids = page.locator("#inside .plot").evaluate_all("ds => ds.map(d => d.id)")
        assert ids == ["layers-grad_norm", "layers-dead"]
        grad = page.evaluate("""() => { const gd = document.getElementById('layers-grad_norm');
            return {rows: [...new Set(gd.data[0].y)], n: gd.data[0].x.length, title: gd.layout.title.text}; }""")
        probes = fitwatch.load(run.id, dir=d).probes()
        assert grad["rows"] == ["0", "2"] and grad["title"] == "Gradient norm per layer"
        assert grad["n"] == 2 * len(probes[("0", "grad_norm")]["step"])  # every sampled step of both layers
        page.locator("#inside").screenshot(path=str(ARTIFACTS / "dashboard-inside.png"))
        clean(seen)


def test_a_run_page_shows_what_was_checked_before_training(page, tmp_path, one_torch_thread):
    """fitwatch.preflight's report and lr_find's sweep stored with a run: a "Before training" card
    (the checks, the suggested learning rate) and the range test's curve under the run's curves."""
    import torch
    from sklearn.datasets import load_digits

    d = tmp_path / "store"
    x, y = load_digits(return_X_y=True)
    data = torch.utils.data.TensorDataset(torch.tensor(x, dtype=torch.float32), torch.tensor(y))
    loader = torch.utils.data.DataLoader(data, batch_size=32, shuffle=True)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    report = fitwatch.preflight(model, loader, torch.nn.CrossEntropyLoss(), optimizer=opt)
    run = fitwatch.Run("checked", dir=d, preflight=report, diagnose=False)
    sweep = fitwatch.lr_find(model, loader, torch.nn.CrossEntropyLoss(), opt, run=run)
    for epoch in run.epochs(3):
        run.log_epoch(loss=[1.0, 0.7, 0.6][epoch], val_loss=[1.1, 0.8, 0.7][epoch])
    run.finish()
    with ServerThread(d) as server:
        seen = watch(page, server.url)
        open_view(page, f"{server.url}#/run/{run.id}", "run")
        card = page.locator("#before-training").inner_text()
        assert "pre-flight" in card and "unnormalised_input" in card, card
        assert f"{sweep.suggestion:.3g} suggested by fitwatch.lr_find" in card, card
        page.wait_for_function("() => document.getElementById('lrfind') && document.getElementById('lrfind').data")
        fig = page.evaluate("""() => { const gd = document.getElementById('lrfind');
            return {names: gd.data.map(t => t.name), log: gd.layout.xaxis.type}; }""")
        assert fig["log"] == "log" and f"suggested {sweep.suggestion:.3g}" in fig["names"], fig
        assert "unnormalised input" in page.locator("#diagnosis").inner_text()  # listed, before training
        page.locator("#before").screenshot(path=str(ARTIFACTS / "dashboard-before.png"))
        clean(seen)


# -- tags, config columns and the sweep view --------------------------------------------------------
@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    d = tmp_path_factory.mktemp("browser-sweep") / "store"
    for name, lr, best in [("lr-3e-4", 3e-4, 0.5), ("lr-3e-3", 3e-3, 0.3), ("lr-3e-2", 3e-2, 0.8)]:
        with fitwatch.Run(name, config={"lr": lr, "batch": 32}, dir=d, diagnose=False, progress=False,
                          tags=["lr-sweep"] if lr > 3e-4 else ["baseline"]) as run:
            run.log_epoch(loss=best + 0.2, val_loss=best + 0.1)
            run.log_epoch(loss=best, val_loss=best)
    with ServerThread(d) as server:
        yield {"dir": d, "url": server.url}


def test_runs_list_shows_tags_and_config_and_the_sweep_plots_best_loss_by_lr(page, swept):
    seen = watch(page, swept["url"])
    open_view(page, swept["url"] + "#/", "runs")
    heads = page.locator("#runs-table th.config").all_inner_texts()
    assert [h.strip() for h in heads] == ["lr"]  # batch is the same in every run: no column
    assert page.locator("#runs-table td.config").all_inner_texts() == ["0.03", "0.003", "0.0003"]  # newest first
    assert page.locator("#runs-table .tag").all_inner_texts() == ["lr-sweep", "lr-sweep", "baseline"]
    page.locator("#runs-table .tag", has_text="baseline").click()  # a tag filters the list
    assert page.locator("#tag-filter").input_value() == "baseline"
    assert page.locator("#runs-table a.run-link").all_inner_texts() == ["lr-3e-4"]
    page.locator("#sweep-link").click()
    page.wait_for_selector("#view[data-ready=sweep]", state="attached", timeout=20_000)
    assert page.locator("#sweep-key").input_value() == "lr" and page.locator("#sweep-tag").input_value() == "baseline"
    page.select_option("#sweep-tag", "")
    wait_until(page, "() => document.getElementById('sweep-plot').dataset.points === '3'")
    trace = page.evaluate("() => { const d = document.getElementById('sweep-plot');"
                          " return {x: d.data[0].x, y: d.data[0].y, text: d.data[0].text, xtype: d._fullLayout.xaxis.type}; }")
    assert trace == {"x": [3e-4, 3e-3, 3e-2], "y": [0.5, 0.3, 0.8], "text": ["lr-3e-4", "lr-3e-3", "lr-3e-2"],
                     "xtype": "log"}  # three decades of rates: log x by default
    page.uncheck("#sweep-log")
    wait_until(page, "() => document.getElementById('sweep-plot')._fullLayout.xaxis.type === 'linear'")
    page.screenshot(path=str(ARTIFACTS / "dashboard-sweep.png"), full_page=True)
    page.evaluate("() => { const d = document.getElementById('sweep-plot');"  # a click on a point opens its run
                  " d.emit('plotly_click', {points: [{customdata: d.data[0].customdata[1]}]}); }")
    page.wait_for_selector("#view[data-ready=run]", state="attached", timeout=20_000)
    assert page.url.endswith("#/run/2")
    clean(seen)


def test_a_multi_head_run_shows_each_heads_verdict(page, tmp_path):
    """No curve named loss, two heads with a validation curve each: a badge per head in the runs list
    and the run's header, and each head's verdict and findings in the diagnosis card."""
    d = tmp_path / "store"
    with fitwatch.Run("mt", dir=d, diagnose="quiet", progress=False) as run:
        for e in run.epochs(12):
            run.log("train", reg_loss=2.0 / (e + 1), cls_loss=1.0 / (e + 1), n=10)
            run.log("val", reg_loss=0.6 + 0.04 * (e - 4) ** 2, cls_loss=1.0 / (e + 1) + 0.2, n=10)
    with ServerThread(d) as server:
        seen = watch(page, server.url)
        open_view(page, server.url, "runs")
        assert page.locator(f"tr[data-id='{run.id}'] .verdict").all_inner_texts() == ["still improving", "overfitting"]
        open_view(page, f"{server.url}#/run/{run.id}", "run")
        assert page.locator("#run-head .verdict").all_inner_texts() == ["still improving", "overfitting"]
        assert page.locator("#diagnosis h3.head-name").all_inner_texts() == ["mt [cls_loss]", "mt [reg_loss]"]
        assert page.locator("#diagnosis .verdict-row .verdict").all_inner_texts() == ["still improving", "overfitting"]
        codes = page.locator("#diagnosis details.finding").evaluate_all("ds => ds.map(d => d.dataset.code)")
        assert "overfitting" in codes and "still_improving" in codes
        page.screenshot(path=str(ARTIFACTS / "dashboard-heads.png"))
        clean(seen)


def test_a_multi_head_run_is_filtered_by_any_heads_verdict_and_marked_per_head(page, tmp_path):
    """The verdict filter matched the last head's verdict only (cls_loss's still_improving hid the run),
    and every panel drew the last head's best epoch and onset: now a run matches a verdict any head has,
    and each head's best epoch and overfitting band are drawn on its own panel."""
    d = tmp_path / "store"
    with fitwatch.Run("mt", dir=d, diagnose="quiet", progress=False) as run:
        for e in run.epochs(12):
            run.log("train", reg_loss=2.0 / (e + 1), cls_loss=1.0 / (e + 1), n=10)
            run.log("val", reg_loss=0.6 + 0.04 * (e - 4) ** 2, cls_loss=1.0 / (e + 1) + 0.2, n=10)
    with fitwatch.Run("plain", dir=d, diagnose="quiet", progress=False) as plain:
        for e in plain.epochs(12):
            plain.log_epoch(loss=1.0 / (e + 1), val_loss=0.6 + 0.04 * (e - 4) ** 2)
    heads = {h["monitor"][4:]: h for h in fitwatch.load("mt", dir=d).info["diagnosis"]["runs"]}
    assert (heads["cls_loss"]["verdict"], heads["reg_loss"]["verdict"]) == ("still_improving", "overfitting")
    assert fitwatch.load("plain", dir=d).info["diagnosis"]["verdict"] == "overfitting"
    shown = "Array.from(document.querySelectorAll('#runs-table tbody a.run-link')).map(a => a.textContent).join(',')"
    with ServerThread(d) as server:
        seen = watch(page, server.url)
        open_view(page, server.url, "runs")
        for verdict, names in (("still_improving", "mt"), ("overfitting", "plain,mt"), ("good_fit", "")):
            page.select_option("#verdict-filter", verdict)
            wait_until(page, f"{shown} === {names!r}")
        open_view(page, f"{server.url}#/run/{run.id}", "run")
        marks = "(id) => document.getElementById(id).layout.shapes.map(s => [s.type, s.x0])"
        wait_until(page, "() => document.getElementById('plot-cls_loss') && document.getElementById('plot-reg_loss')")
        assert page.evaluate(marks, "plot-reg_loss") == [["rect", heads["reg_loss"]["onset_epoch"]],
                                                         ["line", heads["reg_loss"]["best_epoch"]]]
        assert page.evaluate(marks, "plot-cls_loss") == [["line", heads["cls_loss"]["best_epoch"]]]  # no onset
        labels = "(id) => document.getElementById(id).layout.annotations.map(a => a.text)"
        assert page.evaluate(labels, "plot-cls_loss") == [f"best {heads['cls_loss']['best_epoch']}"]
        best = ("(id) => document.getElementById(id).data.filter(t => t.meta && t.meta.role === 'best')"
                ".map(t => t.x[0])")
        assert page.evaluate(best, "plot-reg_loss") == [heads["reg_loss"]["best_epoch"]]
        page.screenshot(path=str(ARTIFACTS / "dashboard-heads-marks.png"))
        clean(seen)
