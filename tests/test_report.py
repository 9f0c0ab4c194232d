"""`fitwatch report`: one self-contained HTML file, read as text and opened in a real browser.

The run is a real PyTorch loop on scikit-learn's digits stopped by fitwatch.EarlyStopping (so the
report has a stop, an overfitting onset and restored weights to show); the browser is Debian's
Chromium driven by Playwright, with the network switched off and every request recorded.
"""

import html
import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

import fitwatch
from conftest import ARTIFACTS, ROOT, run_python, train_digits_mlp
from fitwatch.cli import main
from fitwatch.diagnosis.readers import read_curves
from fitwatch.show.report import MAX_CHART_POINTS, collect
from fitwatch.show.smoothing import downsample, ema
from fitwatch.show.tables import fmt_number


XSS_NAME = "<script>alert(1)</script>"
XSS_VALUE = "<img src=x onerror=alert(1)>"
CSV_LOG = ROOT / "tests" / "data" / "logs" / "keras_csvlogger.csv"
CONFIG = {"lr": 3e-3, "hidden": 256, "optimizer": {"name": "Adam", "betas": [0.9, 0.999]}, "augment": False,
          "dataset": "sklearn digits"}


# -- fixtures ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def store(tmp_path_factory, one_torch_thread):
    """A store with a real digits run that early stopping ends, and a run named like a script tag."""
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    d = tmp_path_factory.mktemp("report-store")
    train_digits_mlp("digits-es", d, config=CONFIG, diagnose=False)
    with fitwatch.Run(XSS_NAME, dir=d, config={"note": XSS_VALUE, "<b>bold key</b>": 1}, diagnose=False) as bad:
        for e in bad.epochs(6):
            bad.log_epoch(loss=[1.0, 0.7, 0.5, 0.4, 0.35, 0.3][e], val_loss=[1.1, 0.8, 0.6, 0.55, 0.56, 0.6][e])
    return d


@pytest.fixture(scope="module")
def report(store, tmp_path_factory):
    """`fitwatch report digits-es -o r.html`: the path and the text."""
    out = tmp_path_factory.mktemp("report") / "r.html"
    assert main(["report", "digits-es", "--dir", str(store), "-o", str(out)]) == 0
    return out, out.read_text(encoding="utf-8")


class Markup(HTMLParser):
    """Every element with its attributes, and the text of each <script>."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.tags, self.scripts, self._in_script = [], [], False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = True
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


def figures(text: str) -> dict:
    m = re.search(r'<script type="application/json" id="fitwatch-figures">(.*?)</script>', text, re.S)
    return json.loads(m.group(1))


def epoch_rows(text: str, table_index: int = 0) -> list[tuple[bool, list[str]]]:
    """(highlighted, cells) of each row of the table_index-th per-epoch table."""
    table = re.findall(r'<table class="epochs-table">.*?<tbody>(.*?)</tbody>', text, re.S)[table_index]
    rows = re.findall(r"<tr( class=\"best\")?>(.*?)</tr>", table, re.S)
    return [(bool(best), [html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", cells, re.S)])
            for best, cells in rows]


def markup_outside_scripts(text: str) -> str:
    return re.sub(r"<script\b[^>]*>.*?</script>", "<script></script>", text, flags=re.S)


# -- the file -----------------------------------------------------------------------------------
def test_report_is_self_contained(report):
    path, text = report
    doc = Markup(text)
    for tag, attrs in doc.tags:
        for name in ("src", "href", "action", "data", "poster"):
            value = (attrs.get(name) or "").strip().lower()
            assert not value.startswith(("http:", "https:", "//")), (tag, attrs)
        assert not (tag == "script" and "src" in attrs), attrs
        assert tag not in ("link", "iframe", "img", "object", "embed"), (tag, attrs)
    # no address at all in the page's own markup and styles (plotly.js itself names some it never fetches)
    assert not re.search(r"https?://|url\(|@import", markup_outside_scripts(text))
    assert len(doc.scripts) == 3  # the figures' JSON, plotly.js, the few lines that draw
    assert "plotly.js (basic - minified) v4.1.1" in doc.scripts[1][:300]  # the bundle fitwatch ships
    assert 1_150_000 < path.stat().st_size < 1_600_000  # plotly.js's basic bundle is in it, not the full 4.8 MB


def test_report_holds_verdict_findings_config_and_every_epoch(report, store):
    _, text = report
    data = fitwatch.load("digits-es", dir=store)
    d = fitwatch.diagnose("digits-es", dir=store)
    stop = data.info["early_stopping"]
    assert data.status == "stopped" and stop["stopped"] and d.verdict == "overfitting"
    # header: name, status, verdict, epochs, best epoch and value, the stop
    assert "<h1>digits-es</h1>" in text and ">stopped</span>" in text and ">overfitting</span>" in text
    best_value = data.history["val_loss"][list(data.epochs).index(d.best_epoch)]
    assert f"epoch {d.best_epoch} (val_loss {fmt_number(best_value)})" in text
    assert f"Stopped early at epoch {stop['stopped_epoch']} (200 planned): " in text
    # every finding: code, severity, message, evidence keys, remedies
    codes = [f.code for f in d.findings]
    assert codes[:2] == ["overfitting", "stopped_early"]
    for f in d.findings:
        assert f'<code class="code">{f.code}</code>' in text
        assert html.escape(f.message) in text
        for key in f.evidence:
            assert f"<th>{html.escape(key)}</th>" in text
        for remedy in f.remedies:
            assert f"<li>{html.escape(remedy)}</li>" in text
    # the config: keys and values, nested ones as JSON
    assert "<th>lr</th><td>0.003</td>" in text and "<th>hidden</th><td>256</td>" in text
    assert "<th>augment</th><td>False</td>" in text and "<th>dataset</th><td>sklearn digits</td>" in text
    assert f"<th>optimizer</th><td><code>{html.escape(json.dumps(CONFIG['optimizer']))}</code></td>" in text
    # every epoch, every metric, the best row highlighted and marked
    rows = epoch_rows(text)
    assert [int(cells[0]) for _, cells in rows] == data.epochs.tolist()
    header = re.search(r'<table class="epochs-table"><thead><tr>(.*?)</tr>', text).group(1)
    assert re.findall(r"<th[^>]*>([^<]*)</th>", header) == ["epoch", *data.history, ""]
    for i, (best, cells) in enumerate(rows):
        assert cells[1:-1] == [fmt_number(v[i]) for v in data.history.values()]
        assert best == (data.epochs[i] == d.best_epoch)
    marks = {int(cells[0]): cells[-1] for _, cells in rows}
    assert "best" in marks[d.best_epoch] and "early stop" in marks[stop["stopped_epoch"]]
    assert "weights restored" in marks[stop["restored_epoch"]]
    assert "overfitting onset" in marks[d.onset_epoch]


def test_report_curves_are_the_runs_values_with_its_marks(report, store):
    _, text = report
    data = fitwatch.load("digits-es", dir=store)
    d = fitwatch.diagnose("digits-es", dir=store)
    spec = figures(text)
    loss, acc = spec["panels"]
    assert [t["name"] for t in loss["data"]] == ["training", "validation", f"best epoch {d.best_epoch}"]
    assert [t["name"] for t in acc["data"]] == ["training", "validation"]
    train, val = loss["data"][:2]
    assert train["x"] == data.epochs.tolist() and np.allclose(train["y"], data.history["loss"])
    assert np.allclose(val["y"], data.history["val_loss"]) and np.allclose(acc["data"][1]["y"],
                                                                           data.history["val_accuracy"])
    # the shared look: training blue, validation orange, in both panels
    for panel in (loss, acc):
        assert [t["line"]["color"] for t in panel["data"][:2]] == ["#1f77b4", "#ff7f0e"]
    # best epoch (star on the validation curve, dotted line), onset band, early-stop line
    star = loss["data"][2]
    assert star["x"] == [d.best_epoch] and star["y"][0] == pytest.approx(min(data.history["val_loss"]), rel=0.05)
    shapes = {s.get("name") or s["line"].get("dash"): s for s in loss["layout"]["shapes"]}
    assert shapes["dot"]["x0"] == d.best_epoch
    band = shapes[f"overfitting from epoch {d.onset_epoch}"]
    assert band["type"] == "rect" and band["x0"] == d.onset_epoch and band["x1"] == data.epochs[-1]
    stop_epoch = data.info["early_stopping"]["stopped_epoch"]
    assert shapes[f"early stop (epoch {stop_epoch})"]["x0"] == stop_epoch
    # interactive and offline: hover per epoch, no plotly logo or cloud link
    assert loss["layout"]["hovermode"] == "x unified"
    assert spec["config"]["displaylogo"] is False and spec["config"].get("showLink") is False


def test_a_run_named_like_a_script_tag_is_text(store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["report", XSS_NAME, "--dir", str(store)]) == 0  # default: <name>.html here, made safe
    [path] = tmp_path.glob("*.html")
    assert path.name == "script_alert_1_script.html"
    text = path.read_text(encoding="utf-8")
    for raw in (XSS_NAME, XSS_VALUE, "<b>bold key</b>"):
        assert raw not in text
    assert f"<h1>{html.escape(XSS_NAME)}</h1>" in text
    assert f"<td>{html.escape(XSS_VALUE)}</td>" in text and f"<th>{html.escape('<b>bold key</b>')}</th>" in text
    assert len(Markup(text).scripts) == 3
    # overlaid, the name is in the figures' JSON too: escaped for plotly (which shows entities as
    # text), and it cannot close the script element
    assert main(["report", XSS_NAME, "digits-es", "--dir", str(store), "-o", "both.html"]) == 0
    text = (tmp_path / "both.html").read_text(encoding="utf-8")
    assert XSS_NAME not in text and len(Markup(text).scripts) == 3
    names = [t["name"] for t in figures(text)["panels"][0]["data"]]
    assert f"{html.escape(XSS_NAME)} · validation" in names
    assert "\\u0026lt;script\\u0026gt;alert(1)" in text


def test_report_of_a_csv_log(tmp_path):
    out = tmp_path / "csv.html"
    assert main(["report", str(CSV_LOG), "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    [curves] = read_curves(str(CSV_LOG))
    d = fitwatch.diagnose(str(CSV_LOG))
    assert f"<h1>{html.escape(curves.name)}</h1>" in text
    assert f">{d.verdict.replace('_', ' ')}</span>" in text
    assert "holds curves only: no config" in text and html.escape(str(CSV_LOG)) in text
    assert [int(c[0]) for _, c in epoch_rows(text)] == curves.epochs.tolist()
    titles = re.findall(r"<figcaption><span>([^<]*)</span>", text)
    assert titles[:2] == ["Loss", "Accuracy"] and "Learning rate" in titles


def test_sparse_validation_is_gaps_not_nan(tmp_path):
    """Validation every 3rd epoch: the unvalidated epochs are gaps ('–'), not NaN marks."""
    d = tmp_path / "sparse"
    with fitwatch.Run("sparse-val", dir=d, diagnose=False) as run:
        for e in run.epochs(12):
            run.log("train", loss=1 / (e + 1), n=10)
            if e % 3 == 2:
                run.log("val", loss=1.2 / (e + 1) + 0.05, n=10)
    out = tmp_path / "sparse.html"
    assert main(["report", "sparse-val", "--dir", str(d), "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "NaN/inf from epoch" not in text
    rows = epoch_rows(text)
    assert len(rows) == 12
    assert text.count('<td class="absent">–</td>') == 8 and 'class="bad"' not in text


def test_several_sources_overlay(store, tmp_path):
    out = tmp_path / "both.html"
    assert main(["report", "digits-es", str(CSV_LOG), "--dir", str(store), "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "<h1>2 runs compared</h1>" in text
    assert text.count('<section class="run"') == 2 and text.count("<h3 class=\"part\">Diagnosis</h3>") == 2
    loss = figures(text)["panels"][0]
    names = [t["name"] for t in loss["data"]]
    assert "digits-es · training" in names and "keras_csvlogger.csv · validation" in names
    colors = {t["name"].split(" · ")[0]: t["line"]["color"] for t in loss["data"] if "line" in t}
    assert len(set(colors.values())) == 2  # one colour a run
    dashes = {t["name"]: t["line"]["dash"] for t in loss["data"] if "line" in t}
    assert dashes["digits-es · training"] == "dash" and dashes["digits-es · validation"] == "solid"
    assert len(epoch_rows(text, 0)) == len(fitwatch.load("digits-es", dir=store).epochs)
    assert len(epoch_rows(text, 1)) == 4


def test_unknown_run_is_one_line_exit_2(store, tmp_path):
    p = subprocess.run([sys.executable, "-m", "fitwatch", "report", "no-such-run", "--dir", str(store),
                        "-o", str(tmp_path / "x.html")], capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and "no-such-run" in p.stderr and "fitwatch runs" in p.stderr
    assert not (tmp_path / "x.html").exists()


def test_needs_no_plotly_package(tmp_path):
    p = run_python("import sys\nsys.modules['plotly'] = None  # as if plotly were not installed\n"
                   "from fitwatch.cli import main\n"
                   f"sys.exit(main(['report', {str(CSV_LOG)!r}, '-o', {str(tmp_path / 'r.html')!r}]))\n",
                   check=False)
    assert p.returncode == 0, p.stderr
    assert "plotly.js (basic - minified) v4.1.1" in (tmp_path / "r.html").read_text(encoding="utf-8")


def test_safe_filename_and_output_folder(store, tmp_path):
    from fitwatch.show.report import write_report

    path = write_report("digits-es", str(tmp_path / "reports") + "/", dir=store)
    assert Path(path) == tmp_path / "reports" / "digits-es.html" and Path(path).exists()


def test_safe_filename_keeps_unicode_letters_and_never_merges_empty_names():
    from fitwatch.show.report import safe_filename

    assert safe_filename("résumé ü 日本語 🚀") == "résumé_ü_日本語"
    assert safe_filename("日本語") == "日本語" and safe_filename("Ελληνικά-2") == "Ελληνικά-2"
    assert safe_filename("digits-mlp") == "digits-mlp" and safe_filename("../a b/<c>") == "a_b_c"
    for unsafe in ("a/b", "a\\b", "a\x00b", "a\nb", "a:b", "a*b?", "..", "a\u202eb"):
        name = safe_filename(unsafe)
        assert name.isprintable() and not any(c in name for c in '/\\:*?"<>|'), (unsafe, name)
        assert not name.startswith("."), (unsafe, name)
    # names with nothing usable left get distinct names of their own, the same each time
    empty = ["...", "***", "🚀", "🚀🚀", "", "/", "\x00"]
    fallbacks = [safe_filename(n) for n in empty]
    assert len(set(fallbacks)) == len(empty), fallbacks
    assert all(re.fullmatch(r"report-[0-9a-f]{8}", f) for f in fallbacks), fallbacks
    assert safe_filename("...") == fallbacks[0]
    # long names are cut to a length every file system takes (255 bytes with ".html")
    assert len(safe_filename("日" * 300).encode()) <= 120 and safe_filename("日" * 300).startswith("日")


# -- in a real browser, offline -------------------------------------------------------------------
def open_offline(page, path: Path) -> tuple[list[str], list[str]]:
    """Open ``path`` with the network off; returns (requests not to file:/data:/blob:, console errors)."""
    outside, errors = [], []
    page.context.set_offline(True)

    def route(r):
        if r.request.url.startswith(("file:", "data:", "blob:")):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("request", lambda req: None if req.url.startswith(("file:", "data:", "blob:")) else outside.append(req.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: (errors.append(f"dialog: {d.message}"), d.dismiss()))
    page.goto(path.as_uri())
    page.wait_for_selector(".js-plotly-plot .scatterlayer .trace")
    return outside, errors


def test_report_draws_offline_in_chromium(page, report, store):
    path, _ = report
    d = fitwatch.diagnose("digits-es", dir=store)
    outside, errors = open_offline(page, path)
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length === 2")
    # plotly drew both panels: traces with real paths
    assert page.locator("#plot-0 .scatterlayer .trace").count() >= 2
    drawn = page.eval_on_selector_all(".js-plotly-plot .scatterlayer .trace path.js-line",
                                      "ps => ps.filter(p => (p.getAttribute('d') || '').length > 20).length")
    assert drawn >= 4  # training and validation, in the loss and the accuracy panels
    assert page.locator("h1").inner_text() == "digits-es"
    assert page.locator("header .badge.verdict").is_visible()
    assert page.locator("header .badge.verdict").inner_text() == "overfitting"
    assert page.locator(".finding").count() == len(d.findings)
    # hover: the unified label says which epoch, and the values
    box = page.locator("#plot-0 .nsewdrag").first.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    page.wait_for_selector("#plot-0 .hoverlayer .legend", timeout=5000)
    hover = page.locator("#plot-0 .hoverlayer").text_content()
    assert re.search(r"epoch \d+", hover) and "training" in hover and "validation" in hover
    ARTIFACTS.mkdir(exist_ok=True)
    page.mouse.move(0, 0)
    page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
    # legend click hides the training curve; the linear/log switch changes the axis
    page.locator("#plot-0 .legend .traces").first.click()
    page.wait_for_function("document.getElementById('plot-0').data[0].visible === 'legendonly'")
    assert page.evaluate("document.getElementById('plot-0').data[1].visible") in (None, True)
    before = page.evaluate("document.getElementById('plot-0').layout.yaxis.type")
    other = "linear" if before == "log" else "log"
    page.locator(f'.scale[data-plot="plot-0"] button[data-scale="{other}"]').click()
    page.wait_for_function(f"document.getElementById('plot-0')._fullLayout.yaxis.type === '{other}'")
    assert page.locator(f'button[data-scale="{other}"]').get_attribute("aria-pressed") == "true"
    assert outside == [] and errors == []


def test_script_tag_run_shows_as_text_in_chromium(page, store, tmp_path):
    out = tmp_path / "xss.html"
    assert main(["report", XSS_NAME, "digits-es", "--dir", str(store), "-o", str(out)]) == 0
    outside, errors = open_offline(page, out)
    assert page.locator("section.run h2").first.inner_text().startswith(XSS_NAME)
    assert page.locator(".runs-table a").first.inner_text() == XSS_NAME
    assert f"{XSS_NAME} · validation" in page.locator("#plot-0 .legend").text_content()
    assert XSS_VALUE in page.locator("table.kv").first.inner_text()
    assert page.evaluate("document.querySelectorAll('script').length") == 3
    assert page.evaluate("document.querySelectorAll('main img').length") == 0
    assert outside == [] and errors == []  # no alert() dialog either


# -- the smoothing slider, in a real browser --------------------------------------------------------
def set_smoothing(page, weight: str) -> None:
    """Move the slider to ``weight`` and wait until the page has redrawn for it."""
    page.locator("#smooth").fill(weight)
    page.wait_for_function(f"document.getElementById('smooth-value').textContent === {float(weight):.2f}.toFixed(2)")


def plotted(page, plot_id: str) -> list[dict]:
    """What plotly holds for each trace of a panel (after any restyle)."""
    return page.evaluate("id => document.getElementById(id).data.map(t => ({name: t.name, x: t.x, y: t.y, "
                         "opacity: t.opacity, zorder: t.zorder, showlegend: t.showlegend, "
                         "hovertemplate: t.hovertemplate}))", plot_id)


def marks(page, plot_id: str) -> dict:
    """The panel's annotations and axis: they must not move when the curves are smoothed."""
    return page.evaluate("id => { const gd = document.getElementById(id); return {shapes: gd.layout.shapes, "
                         "axis: gd._fullLayout.yaxis.type, stars: gd.data.filter(t => t.marker && "
                         "t.marker.symbol === 'star').map(t => [t.x, t.y])}; }", plot_id)


def assert_smoothed(trace: dict, epochs, values, weight: float) -> None:
    """``trace`` is fitwatch.smoothing.ema of the run's full series (NaN and gaps included) at the
    epochs it draws, to 1e-9."""
    expected = dict(zip(np.asarray(epochs).tolist(), ema(values, weight).tolist()))
    assert trace["x"] and all(np.isfinite(expected[x]) for x in trace["x"])
    diff = np.abs(np.array(trace["y"]) - np.array([expected[x] for x in trace["x"]]))
    assert diff.max() <= 1e-9, (trace["name"], diff.max())


def test_smoothing_slider_in_chromium(page, report, store):
    """The slider, by keyboard and by value: every curve becomes the EMA, the raw one faint underneath;
    0 gives back the raw values; marks and axes stay."""
    path, text = report
    data = fitwatch.load("digits-es", dir=store)
    keys = {"plot-0": ["loss", "val_loss"], "plot-1": ["accuracy", "val_accuracy"]}
    assert [p["curves"] for p in figures(text)["panels"]] == [[{"trace": 0}, {"trace": 1}]] * 2
    outside, errors = open_offline(page, path)
    slider = page.get_by_label("Smoothing")
    assert slider.get_attribute("type") == "range" and slider.input_value() == "0"
    assert page.locator("#smooth-value").inner_text() == "0.00"
    before = {p: marks(page, p) for p in keys}
    # keyboard: one step right
    slider.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("document.getElementById('smooth-value').textContent === '0.01'")
    assert_smoothed(plotted(page, "plot-0")[0], data.epochs, data.history["loss"], 0.01)
    set_smoothing(page, "0.6")
    for plot_id, panel_keys in keys.items():
        traces = plotted(page, plot_id)
        curves, faint = traces[:2], traces[-2:]
        for trace, raw, key in zip(curves, faint, panel_keys):
            assert_smoothed(trace, data.epochs, data.history[key], 0.6)
            assert trace["hovertemplate"].endswith("(smoothed)") and trace["name"] == raw["name"]
            assert raw["x"] == data.epochs.tolist() and raw["y"] == list(data.history[key])
            assert raw["opacity"] == fitwatch.style.ANNOTATION["raw_alpha"] and raw["zorder"] == -1
            assert raw["showlegend"] is False
        assert marks(page, plot_id) == before[plot_id]
    page.mouse.move(0, 0)
    page.screenshot(path=str(ARTIFACTS / "report-smoothed.png"), full_page=True)
    set_smoothing(page, "0")
    for plot_id, panel_keys in keys.items():
        traces = plotted(page, plot_id)
        for trace, key in zip(traces[:2], panel_keys):
            assert trace["y"] == list(data.history[key]) and trace["hovertemplate"] == "%{y:.4g}"
        assert [t["y"] for t in traces[-2:]] == [[], []]
        assert marks(page, plot_id) == before[plot_id]
    assert outside == [] and errors == []


def test_smoothing_skips_nan_and_gaps_and_smooths_long_curves_whole(page, tmp_path):
    """NaN and unvalidated epochs are skipped as ema skips them, a constant stays exact, and a curve
    drawn from min/max buckets is smoothed over every epoch, then bucketed like downsample."""
    d = tmp_path / "store"
    with fitwatch.Run("gappy", dir=d, diagnose=False) as run, pytest.warns(fitwatch.NonFiniteValue):
        for e in run.epochs(12):
            run.log("train", loss=float("nan") if e == 4 else 1 / (e + 1), lr=0.01, n=10)
            if e % 3 == 2:
                run.log("val", loss=1.2 / (e + 1) + 0.05, n=10)
    rng = np.random.default_rng(0)
    epochs = np.arange(2500)
    loss = 5.0 * np.exp(-epochs / 300) + 0.01 + rng.uniform(0, 0.01, epochs.size)  # a log axis
    csv = tmp_path / "long.csv"
    csv.write_text("epoch,loss,val_loss\n" + "".join(f"{e},{a!r},{a * 1.1!r}\n" for e, a in zip(epochs, loss)))
    out = tmp_path / "smooth.html"
    assert main(["report", "gappy", str(csv), "--dir", str(d), "-o", str(out)]) == 0
    names = {"loss": "training", "val_loss": "validation", "lr": "lr"}
    series = {f"{r.label} · {names[k]}": (r.curves.epochs, v) for r in collect(["gappy", str(csv)], dir=d)
              for k, v in r.curves.series.items()}
    spec = figures(out.read_text(encoding="utf-8"))
    assert [[("x" in c) for c in p["curves"]] for p in spec["panels"]] == [[False, False, True, True], [False]]
    outside, errors = open_offline(page, out)
    before = {p["id"]: marks(page, p["id"]) for p in spec["panels"]}
    assert before["plot-0"]["axis"] == "log"
    set_smoothing(page, "0.9")
    for panel in spec["panels"]:
        traces = plotted(page, panel["id"])
        for c in panel["curves"]:
            trace = traces[c["trace"]]
            x, values = series[trace["name"]]
            assert_smoothed(trace, x, values, 0.9)
            if "x" in c:  # long: bucketed after smoothing, as fitwatch.smoothing.downsample buckets
                assert trace["x"] == downsample(x, ema(values, 0.9), MAX_CHART_POINTS // 2)[0].tolist()
                assert len(trace["x"]) <= MAX_CHART_POINTS + 2 < len(x)
        assert marks(page, panel["id"]) == before[panel["id"]]
    gappy = plotted(page, "plot-0")
    assert 4 not in gappy[0]["x"] and gappy[1]["x"] == [2, 5, 8, 11]  # NaN and gaps are not drawn
    assert plotted(page, "plot-1")[0]["y"] == [0.01] * 12  # a constant stays exactly constant
    assert outside == [] and errors == []


def test_report_opens_smoothed_with_smooth_option(page, store, tmp_path):
    """``fitwatch report --smooth 0.6``: the slider opens at 0.6 and the curves are drawn smoothed
    at once; a weight outside [0, 1) is a one-line error."""
    out = tmp_path / "smoothed.html"
    assert main(["report", "digits-es", "--dir", str(store), "-o", str(out), "--smooth", "0.6"]) == 0
    data = fitwatch.load("digits-es", dir=store)
    outside, errors = open_offline(page, out)
    assert page.get_by_label("Smoothing").input_value() == "0.6"
    assert page.locator("#smooth-value").inner_text() == "0.60"
    page.wait_for_function("document.getElementById('plot-0').data[0].hovertemplate.endsWith('(smoothed)')")
    assert_smoothed(plotted(page, "plot-0")[0], data.epochs, data.history["loss"], 0.6)
    assert outside == [] and errors == []
    with pytest.raises(SystemExit) as e:
        main(["report", "digits-es", "--dir", str(store), "-o", str(out), "--smooth", "1.5"])
    assert e.value.code == 2
    with pytest.raises(ValueError, match="smooth must be a weight"):
        fitwatch.report.write_report("digits-es", out, dir=store, smooth=1.0)
