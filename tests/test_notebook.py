"""Jupyter support (docs/notebooks.md), tested in a real notebook: one built with nbformat and run by
nbclient on an IPython kernel. Its outputs are checked as a frontend would receive them: the HTML of
``Run``, ``RunData`` and ``Diagnosis`` (every run-provided string escaped), the live plot of
``Run.epochs`` (its display message, then one update per epoch) and ``RunData.to_pandas()``."""

import base64
import json
import re
import sys
import xml.etree.ElementTree as ET

import pytest

from conftest import run_python

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NAME = '<script>alert("x")</script>'
CONFIG_KEY, CONFIG_VALUE = "<img src=x onerror=alert(1)>", "</details><b>"
EPOCHS = 5

CELLS = [
    # 0: setup; the live plot redrawn after every epoch, so that the test can count the redraws
    f"""import json, math, time, fitwatch
import fitwatch.record.notebook_live as live
live.EVERY_S = 0
NAME, DIR = {NAME!r}, {{dir!r}}""",
    # 1: the live plot, then the running run's repr
    f"""run = fitwatch.Run(NAME, config={{{CONFIG_KEY!r}: {CONFIG_VALUE!r}}}, dir=DIR, diagnose="quiet")
for epoch in run.epochs({EPOCHS}):
    run.log("train", loss=1.0 / (epoch + 1), n=10)
    run.log("train", **{{"m<i>": 0.5}})
    if epoch % 2 == 0:
        run.log("val", loss=1.2 / (epoch + 1) + 0.05 * epoch, n=10)
run""",
    # 2: the run read back, finished and diagnosed
    """run.finish()
data = fitwatch.load(run.id, dir=DIR)
data""",
    # 3: its diagnosis
    "run.diagnosis_",
    # 4: to_pandas, and the history it must equal (NaN as None)
    """df = data.to_pandas()
nan = lambda xs: [None if isinstance(x, float) and math.isnan(x) else x for x in xs]
print(json.dumps({"index": df.index.tolist(), "index_name": df.index.name, "columns": list(df.columns),
                  "frame": {c: nan(df[c].tolist()) for c in df.columns},
                  "history": {k: nan(v) for k, v in data.history.items()}}))
df""",
    # 5: progress=False: nothing shown
    """with fitwatch.Run("quiet", dir=DIR, progress=False, diagnose=False) as r:
    for epoch in r.epochs(3):
        r.log_epoch(loss=1.0)""",
    # 6: the default pace: a fast loop of 200 epochs is redrawn a few times, its end always
    """live.EVERY_S = 0.5
with fitwatch.Run("fast", dir=DIR, diagnose=False) as r:
    for epoch in r.epochs(200):
        r.log_epoch(loss=1.0 / (epoch + 1), val_loss=1.1 / (epoch + 1))""",
]


class CountingClient(nbclient.NotebookClient):
    """Keeps every display message the kernel sent, as the frontend received it, before nbclient folds
    the updates into the output they update."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.displays = []  # (cell index, msg_type, display_id, html)

    def process_message(self, msg, cell, cell_index):
        kind = msg["msg_type"]
        if kind in ("display_data", "update_display_data"):
            content = msg["content"]
            display_id = (content.get("transient") or {}).get("display_id")
            self.displays.append((cell_index, kind, display_id, content["data"].get("text/html", "")))
        return super().process_message(msg, cell, cell_index)


@pytest.fixture(scope="module")
def notebook(tmp_path_factory):
    """The notebook, executed once: ``(notebook, client)``."""
    tmp = tmp_path_factory.mktemp("nb")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src.replace("{dir!r}", repr(str(tmp / "store")))) for src in CELLS]
    client = CountingClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp)}})
    client.execute()
    nbformat.write(nb, tmp / "executed.ipynb")  # a saved notebook holds the final views
    return nb, client


def _html(cell, output_type="execute_result") -> str:
    outs = [o for o in cell.outputs if o.output_type == output_type]
    assert len(outs) == 1, [o.output_type for o in cell.outputs]
    return outs[0].data["text/html"]


def _svg(html: str) -> str:
    """The plot of a view: its SVG, parsed (it is well-formed XML) and returned as text."""
    data = re.search(r'<img src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', html).group(1)
    svg = base64.b64decode(data).decode()
    ET.fromstring(svg)
    return svg


def _escaped(html: str) -> None:
    """Nothing a run brought became markup: no script, no injected element, <details> balanced."""
    assert "<script" not in html.lower() and "<img src=x" not in html and "<b>x" not in html
    assert html.count("<details") == html.count("</details>")


def test_the_live_plot_is_updated_after_every_epoch(notebook):
    nb, client = notebook
    msgs = [m for m in client.displays if m[0] == 1]
    assert msgs[0][1] == "display_data" and msgs[0][2]
    updates = [m for m in msgs[1:] if m[1] == "update_display_data"]
    assert len(msgs) == 1 + len(updates) and all(m[2] == msgs[0][2] for m in updates)
    assert len(updates) == EPOCHS + 1  # after each epoch, and once at the loop's end
    for epoch, (_, _, _, html) in enumerate(updates[:EPOCHS]):
        assert f"epoch {epoch + 1} / {EPOCHS}" in html and "loop ended" not in html
        _escaped(html)
    final = _html(nb.cells[1], "display_data")  # the saved notebook holds the last update
    assert final == updates[-1][3]
    assert f"epoch {EPOCHS} / {EPOCHS}" in final and "loop ended" in final and "loss <b>0.2</b>" in final
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in final
    _escaped(final)
    svg = _svg(final)
    assert ">loss<" in svg and ">val_loss<" in svg  # the legend: the two losses, not m<i>
    text = [o for o in nb.cells[1].outputs if o.output_type == "display_data"][0].data["text/plain"]
    assert text.startswith(f"{NAME}: epoch {EPOCHS}/{EPOCHS}")


def test_a_run_shows_its_status_values_plot_and_folded_table(notebook):
    nb, _ = notebook
    html = _html(nb.cells[1])
    _escaped(html)
    assert "&lt;script&gt;" in html and "running" in html and f"{EPOCHS} epochs" in html
    assert "best epoch <b>" in html and "last loss 0.2" in html
    assert "<details" in html and "per-epoch values" in html and "m&lt;i&gt;" in html
    assert "<polyline" in _svg(html)


def test_run_data_shows_the_verdict_config_and_table_escaped(notebook):
    nb, _ = notebook
    html = _html(nb.cells[2])
    _escaped(html)
    assert "\u25cf finished" in html
    assert len(re.findall(r'color:#fff;[^>]*>[a-z ]+</span>', html)) == 1  # the verdict badge
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "&lt;/details&gt;&lt;b&gt;" in html
    assert html.count("<tr") >= EPOCHS + 1  # the per-epoch table: a header and one row an epoch


def test_a_diagnosis_shows_its_verdict_plot_and_findings(notebook):
    nb, _ = notebook
    html = _html(nb.cells[3])
    _escaped(html)
    assert "&lt;script&gt;" in html and "monitor val_loss" in html and "<li" in html
    assert "<polyline" in _svg(html)


def test_to_pandas_equals_the_history(notebook):
    nb, _ = notebook
    printed = json.loads("".join(o.text for o in nb.cells[4].outputs if o.output_type == "stream"))
    assert printed["index"] == list(range(EPOCHS)) and printed["index_name"] == "epoch"
    assert printed["frame"] == printed["history"]
    assert printed["columns"] == ["loss", "val_loss", "m<i>"]
    assert printed["frame"]["val_loss"][1] is None and printed["frame"]["val_loss"][2] == pytest.approx(0.5)
    assert "<table" in _html(nb.cells[4])  # pandas' own HTML


def test_progress_false_shows_nothing_and_a_fast_loop_is_redrawn_rarely(notebook):
    nb, client = notebook
    assert nb.cells[5].outputs == [] and not [m for m in client.displays if m[0] == 5]
    updates = [m for m in client.displays if m[0] == 6 and m[1] == "update_display_data"]
    assert 1 <= len(updates) < 20  # 200 epochs in well under 10 s: every 0.5 s at most, and the end
    assert "epoch 200 / 200" in updates[-1][3] and "loop ended" in updates[-1][3]


def test_outside_a_notebook_nothing_changes_and_ipython_is_not_imported():
    out = run_python(
        "import io, sys, tempfile, fitwatch\n"
        "from fitwatch.record import notebook_live\n"
        "with fitwatch.Run('plain', dir=tempfile.mkdtemp(), diagnose=False) as run:\n"
        "    for epoch in run.epochs(3):\n"
        "        run.log_epoch(loss=1.0)\n"
        "print('IPython' in sys.modules, 'fitwatch.show' in ' '.join(sys.modules))\n"
        "import IPython\n"  # imported, but no kernel: a terminal IPython or a script
        "print(notebook_live.in_notebook(), notebook_live.epoch_display('r', 3, 0, None))\n"
    ).stdout.split("\n")
    assert out[0] == "False False" and out[1] == "False None"


def test_to_pandas_without_pandas_says_how_to_install_it(monkeypatch):
    import fitwatch

    data = fitwatch.RunData.from_rows({"id": 1, "name": "r"}, [{"epoch": 0, "split": "train", "metric": "loss",
                                                                "value": 1.0}])
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"pip install pandas"):
        data.to_pandas()


def test_the_svg_is_well_formed_whatever_the_metric_names_and_values():
    from fitwatch.show.notebook import curves_svg

    nan, inf = float("nan"), float("inf")
    svg = curves_svg({"a<b>&'\"": ([0, 1, 2, 3], [1.0, nan, 0.5, inf]), "val_loss": ([1, 3], [2.0, 1.0])},
                     best=3, onset=2, raw=True)
    ET.fromstring(svg)
    assert "a&lt;b&gt;&amp;&#x27;&quot;" in svg and svg.count("<polyline") == 1  # val_loss's: NaN, inf break lines
    assert svg.count("<circle") == 3  # the broken curve's two lone points, the best epoch on val_loss
    assert 'stroke="#8b0000"' in svg  # the first non-finite value marked
    assert curves_svg({"loss": ([0], [nan])}) == ""  # nothing to draw
    long = curves_svg({"loss": (list(range(100_000)), [1.0 / (i + 1) for i in range(100_000)])}, raw=True)
    assert long.count(",") < 1500  # drawn from min/max buckets, not 100,000 points
