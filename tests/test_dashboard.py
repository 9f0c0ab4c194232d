"""The dashboard's JSON API (``fitwatch serve``), against real stores written by ``fitwatch.Run``.

Requests go through starlette's TestClient (the real ASGI app, in process), through a real uvicorn
server in a thread (concurrent requests while a run writes), or through ``fitwatch serve`` itself
in a child process.
"""

import csv
import io
import json
import math
import os
import re
import signal
import subprocess
import sys
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

import httpx  # noqa: E402

with warnings.catch_warnings():  # starlette 1.x would rather have httpx2; httpx is what we have
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient  # noqa: E402

import fitwatch  # noqa: E402
from conftest import run_python  # noqa: E402
from dashboard_server import ServerThread  # noqa: E402
from fitwatch.show import style  # noqa: E402
from fitwatch.show.dashboard import create_app  # noqa: E402
from fitwatch.show.dashboard.app import plotly_js  # noqa: E402
from fitwatch.show.smoothing import downsample, ema  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::fitwatch.NonFiniteValue")

OVERFIT_VAL = [1.0, 0.7, 0.55, 0.5, 0.52, 0.56, 0.6, 0.65, 0.7, 0.75, 0.8, 0.86]
SCRIPT_NAME = "<script>alert(1)</script>"


def strict_json(text: str):
    """Parse as a browser's JSON.parse would: NaN, Infinity and -Infinity are errors."""
    def refuse(token):
        raise ValueError(f"not JSON: {token}")
    return json.loads(text, parse_constant=refuse)


def get(client, path, status=200):
    r = client.get(path)
    assert r.status_code == status, (path, r.status_code, r.text[:300])
    return strict_json(r.text) if r.headers["content-type"].startswith("application/json") else r


def write_runs(d):
    """The store the API tests read: written by real fitwatch.Run loops (batches and epochs)."""
    runs = {}
    with fitwatch.Run("overfit-mlp", config={"lr": 0.003, "layers": [64, 32], "note": "<b>bold</b>"}, dir=d,
                      diagnose="quiet", progress=False) as run:
        for epoch in run.epochs(len(OVERFIT_VAL)):
            for b in range(20):
                run.log("train", loss=1.0 / (epoch + 1) + 0.01 * (b % 3), accuracy=0.5 + epoch / 30, n=32)
            run.log("val", loss=OVERFIT_VAL[epoch], accuracy=0.45 + epoch / 40, n=64)
    runs["overfit"] = run.id
    with fitwatch.Run("Improving-CNN", config={"lr": 0.1}, dir=d, diagnose="quiet", progress=False) as run:
        for epoch in run.epochs(10):
            run.log_epoch(loss=2.0 - 0.15 * epoch, val_loss=2.1 - 0.15 * epoch)
    runs["improving"] = run.id
    with fitwatch.Run(SCRIPT_NAME, config={"<img src=x onerror=alert(2)>": "<script>x</script>"}, dir=d,
                      diagnose="quiet", progress=False) as run:
        for epoch in run.epochs(4):
            run.log_epoch(loss=1.0 / (epoch + 1), val_loss=1.2 / (epoch + 1), **{"val_<b>acc</b>": 0.5})
    runs["script"] = run.id
    with fitwatch.Run("no-val", dir=d, diagnose=False, progress=False) as run:  # no val_loss: best is None
        for epoch in run.epochs(3):
            run.log_epoch(loss=1.0 - 0.1 * epoch)
    runs["no_val"] = run.id
    with fitwatch.Run("diverged", dir=d, diagnose="quiet", progress=False) as run:
        for epoch in run.epochs(6):
            bad = [0.9, 0.8, 0.7, 5.0, float("inf"), float("nan")][epoch]
            run.log("train", loss=bad, n=8)
            run.log("val", loss=bad * 1.1, n=8)
    runs["diverged"] = run.id
    with fitwatch.Run("constant", dir=d, diagnose=False, progress=False) as run:
        for epoch in run.epochs(30):
            run.log_epoch(loss=0.3, val_loss=0.3)
    runs["constant"] = run.id
    return runs


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    d = tmp_path_factory.mktemp("dash") / "store"
    ids = write_runs(d)
    fitwatch.Store.shared(d).flush(30)
    return d, ids


@pytest.fixture(scope="module")
def client(store):
    return TestClient(create_app(store[0]))


# -- the runs list ------------------------------------------------------------------------------
def test_runs_list_summarises_every_run(client, store):
    d, ids = store
    body = get(client, "/api/runs")
    assert body["total"] == body["count"] == 6
    assert body["store"] == str(fitwatch.Store.open(d).path)
    by = {r["name"]: r for r in body["runs"]}
    r = by["overfit-mlp"]
    assert (r["id"], r["status"], r["epochs"], r["last_epoch"]) == (ids["overfit"], "finished", 12, 11)
    assert r["best_val_loss"] == 0.5 and r["best_epoch"] == 3
    assert r["verdict"] == "overfitting" and r["verdict_pending"] is False
    assert by["Improving-CNN"]["verdict"] == "still_improving"
    assert by["no-val"]["best_val_loss"] is None and by["no-val"]["best_epoch"] is None
    assert by["diverged"]["verdict"] == "diverged"
    # a run without a stored diagnosis (diagnose=False) gets one computed: within the request's
    # budget, else on a later request (the page polls while a verdict is pending)
    for _ in range(20):
        if not by["constant"]["verdict_pending"]:
            break
        time.sleep(0.1)
        by = {r["name"]: r for r in get(client, "/api/runs")["runs"]}
    assert by["constant"]["verdict"] is not None
    assert [r["id"] for r in body["runs"]] == sorted(ids.values(), reverse=True)  # newest first by default
    for r in body["runs"]:
        assert r["started_at"] <= r["updated_at"] and r["duration_s"] >= 0


def test_runs_filter_and_sort(client):
    names = lambda body: [r["name"] for r in body["runs"]]  # noqa: E731
    assert names(get(client, "/api/runs?q=CNN")) == ["Improving-CNN"]
    assert names(get(client, "/api/runs?q=improving")) == ["Improving-CNN"]  # case-insensitive
    body = get(client, "/api/runs?verdict=overfitting")
    assert names(body) == ["overfit-mlp"] and body["total"] == 6 and body["count"] == 1
    body = get(client, "/api/runs?sort=best_val_loss&order=asc")
    values = [r["best_val_loss"] for r in body["runs"]]
    assert values[-1] is None  # a run without val_loss sorts last
    assert values[:-1] == sorted(values[:-1])
    body = get(client, "/api/runs?sort=best_val_loss&order=desc")
    assert body["runs"][-1]["best_val_loss"] is None  # last in both orders
    assert [r["best_val_loss"] for r in body["runs"][:-1]] == sorted(values[:-1], reverse=True)
    assert names(get(client, "/api/runs?sort=name&order=asc")) == sorted(names(body), key=str.casefold)
    assert names(get(client, "/api/runs?sort=epochs&order=desc"))[0] == "constant"
    err = get(client, "/api/runs?sort=colour", 400)["error"]
    assert "sort='colour'" in err and "best_val_loss" in err
    assert "order" in get(client, "/api/runs?order=up", 400)["error"]


def test_a_killed_run_is_killed_and_gets_a_verdict_computed(tmp_path):
    d = tmp_path / "store"
    run_python(
        "import os, signal, sys, fitwatch\n"
        "run = fitwatch.Run('doomed', dir=sys.argv[1], progress=False)\n"
        "for epoch in run.epochs(50):\n"
        "    run.log_epoch(loss=1.0 / (epoch + 1), val_loss=1.1 / (epoch + 1))\n"
        "    if epoch == 7:\n"
        "        run.store.flush(30)\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n",
        str(d), check=False)
    client = TestClient(create_app(d))
    (r,) = get(client, "/api/runs")["runs"]
    assert (r["name"], r["status"], r["epochs"]) == ("doomed", "killed", 7)  # epoch 7 had not ended
    assert r["verdict"] == "still_improving"  # no diagnosis stored: computed, and cached
    detail = get(client, f"/api/runs/{r['id']}")
    assert detail["status"] == "killed" and detail["stored_status"] == "running"
    assert detail["diagnosis_source"] == "computed" and detail["diagnosis"]["verdict"] == "still_improving"


# -- one run ------------------------------------------------------------------------------------
def test_run_detail_has_config_diagnosis_and_annotations(client, store):
    _, ids = store
    d = get(client, f"/api/runs/{ids['overfit']}")
    assert d["name"] == "overfit-mlp" and d["status"] == "finished" and d["epochs"] == 12
    assert d["config"] == {"lr": 0.003, "layers": [64, 32], "note": "<b>bold</b>"}
    assert "diagnosis" not in d["info"]  # given once, as "diagnosis"
    diag = d["diagnosis"]
    assert d["diagnosis_source"] == "stored" and diag["verdict"] == "overfitting"
    assert diag["findings"][0]["code"] == "overfitting"
    assert all({"code", "severity", "epochs", "evidence", "message", "remedies"} <= set(f) for f in diag["findings"])
    assert d["annotations"]["best_epoch"] == diag["best_epoch"] == 3
    assert d["annotations"]["onset_epoch"] == diag["onset_epoch"] and d["annotations"]["last_epoch"] == 11
    assert {(m["split"], m["metric"]) for m in d["metrics"]} == {("train", "loss"), ("val", "loss"),
                                                                  ("train", "accuracy"), ("val", "accuracy")}
    steps = {(s["split"], s["metric"]): s["n"] for s in d["steps"]}
    assert steps[("train", "loss")] == 12 * 20 and steps[("val", "loss")] == 12
    assert get(client, "/api/runs/9999", 404)["error"].startswith("no run with id 9999")


def test_run_detail_carries_the_early_stop(tmp_path):
    d = tmp_path / "store"
    stopper = fitwatch.EarlyStopping(patience=2)
    with fitwatch.Run("stopped", dir=d, diagnose="quiet", progress=False) as run:
        for epoch in run.epochs(len(OVERFIT_VAL), stop=stopper):
            run.log_epoch(loss=1.0 / (epoch + 1), val_loss=OVERFIT_VAL[epoch])
    detail = get(TestClient(create_app(d)), f"/api/runs/{run.id}")
    assert detail["status"] == "stopped"
    es = detail["early_stopping"]
    assert es["stopped"] is True and es["stopped_epoch"] == stopper.stopped_epoch == 5
    assert detail["annotations"]["stopped_epoch"] == 5 and detail["annotations"]["best_epoch"] == 3
    assert any(f["code"] == "stopped_early" for f in detail["diagnosis"]["findings"])


def test_ids_are_ids_even_when_a_run_is_named_like_one(tmp_path):
    d = tmp_path / "store"
    with fitwatch.Run("first", dir=d, diagnose=False, progress=False) as first:
        first.log_epoch(loss=1.0)
    with fitwatch.Run(str(first.id), dir=d, diagnose=False, progress=False) as named:  # a run named "1"
        named.log_epoch(loss=2.0)
    client = TestClient(create_app(d))
    assert get(client, f"/api/runs/{first.id}")["name"] == "first"
    assert get(client, f"/api/runs/{first.id}/curves")["series"][0]["y"] == [1.0]


# -- curves -------------------------------------------------------------------------------------
def test_curves_give_every_series_and_since_epoch_only_new_ones(client, store):
    _, ids = store
    c = get(client, f"/api/runs/{ids['overfit']}/curves")
    assert c["status"] == "finished" and c["last_epoch"] == 11
    by = {s["key"]: s for s in c["series"]}
    assert set(by) == {"loss", "val_loss", "accuracy", "val_accuracy"}
    assert by["val_loss"]["x"] == list(range(12)) and by["val_loss"]["y"] == OVERFIT_VAL
    assert by["val_loss"]["n"] == 12 and not by["val_loss"]["downsampled"]
    assert by["loss"]["color"] == style.SPLIT_COLORS["train"] and by["val_loss"]["color"] == style.SPLIT_COLORS["val"]
    tail = {s["key"]: s for s in get(client, f"/api/runs/{ids['overfit']}/curves?since_epoch=9")["series"]}
    assert tail["val_loss"]["x"] == [10, 11] and tail["val_loss"]["y"] == OVERFIT_VAL[10:]
    assert tail["val_loss"]["n"] == 12  # the full length, for the client to check
    assert all(s["x"] == [] for s in get(client, f"/api/runs/{ids['overfit']}/curves?since_epoch=11")["series"])
    assert "since_epoch" in get(client, f"/api/runs/{ids['overfit']}/curves?since_epoch=x", 400)["error"]


@pytest.mark.parametrize("w", [0.6, 0.9, 0.99])
def test_smoothing_is_ema_of_the_full_series(client, store, w):
    _, ids = store
    full = {s["key"]: s for s in get(client, f"/api/runs/{ids['overfit']}/curves?smooth={w}")["series"]}
    want = ema(OVERFIT_VAL, w)
    assert np.allclose(full["val_loss"]["smoothed"]["y"], want, rtol=0, atol=1e-12)
    assert full["val_loss"]["y"] == OVERFIT_VAL  # the raw curve is there too
    # live polling gets the smoothed tail of the full series, not a smoothing of the tail alone
    tail = {s["key"]: s for s in get(client, f"/api/runs/{ids['overfit']}/curves?smooth={w}&since_epoch=8")["series"]}
    assert np.allclose(tail["val_loss"]["smoothed"]["y"], want[9:], rtol=0, atol=1e-12)
    const = get(client, f"/api/runs/{ids['constant']}/curves?smooth={w}")["series"]
    assert all(s["smoothed"]["y"] == [0.3] * 30 for s in const)  # a constant stays exactly constant


def test_bad_smoothing_weights_are_400(client, store):
    _, ids = store
    for bad in ("1", "1.5", "-0.1", "abc", "nan"):
        err = get(client, f"/api/runs/{ids['overfit']}/curves?smooth={bad}", 400)["error"]
        assert "smooth" in err and "[0, 1)" in err


def test_nan_and_inf_are_valid_json(client, store):
    _, ids = store
    c = get(client, f"/api/runs/{ids['diverged']}/curves?smooth=0.6")  # strict parse inside get()
    by = {s["key"]: s for s in c["series"]}
    assert by["loss"]["y"] == [0.9, 0.8, 0.7, 5.0, None, None]
    assert by["loss"]["nonfinite"] == [[4, "inf"], [5, "nan"]]
    assert by["loss"]["smoothed"]["y"][4:] == [None, None]
    detail = get(client, f"/api/runs/{ids['diverged']}")
    assert detail["annotations"]["first_nonfinite"] == [4, "inf"]
    assert detail["diagnosis"]["verdict"] == "diverged"
    for path in ("/api/runs", f"/api/runs/{ids['diverged']}/steps", f"/api/runs/{ids['diverged']}/export.json",
                 f"/api/compare?ids={ids['diverged']},{ids['overfit']}"):
        get(client, path)


# -- batch-level steps --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def spiky(tmp_path_factory):
    """A run of 100,000 batches with one spike and one NaN."""
    d = tmp_path_factory.mktemp("spiky") / "store"
    rng = np.random.default_rng(0)
    values = 1.0 + 0.01 * rng.standard_normal(100_000)
    values[54_321] = 40.0
    values[77_777] = float("nan")
    with fitwatch.Run("spiky", dir=d, diagnose=False, progress=False) as run:
        for epoch in run.epochs(10):
            for v in values[epoch * 10_000:(epoch + 1) * 10_000].tolist():
                run.log("train", loss=v)
            run.log("val", loss=1.0)
    return d, run.id, values


def test_steps_are_downsampled_keeping_the_spike_and_the_nan(spiky):
    d, run_id, values = spiky
    client = TestClient(create_app(d))
    body = get(client, f"/api/runs/{run_id}/steps?split=train&metric=loss&max_points=500")
    (s,) = body["series"]
    assert s["n"] == 100_000 and s["downsampled"] is True
    assert len(s["x"]) <= 2 * 500 + 3 and len(s["x"]) == len(s["y"])  # min and max a bucket, the ends, the NaN
    assert max(y for y in s["y"] if y is not None) == 40.0 and 54_321 in s["x"]  # the spike survives
    assert s["nonfinite"] == [[77_777, "nan"]]
    assert s["x"] == sorted(s["x"]) and s["x"][0] == 0 and s["x"][-1] == 99_999
    # the default: every split and metric, 2000 buckets
    body = get(client, f"/api/runs/{run_id}/steps")
    assert {x["key"] for x in body["series"]} == {"loss", "val_loss"} and body["max_points"] == 2000
    assert "max_points" in get(client, f"/api/runs/{run_id}/steps?max_points=0", 400)["error"]


def test_each_split_and_metric_with_batches_is_listed_and_served_on_its_own_steps(client, store):
    # what the run page's batch menu lists (the run detail's "steps") and draws (/steps of one pair)
    _, ids = store
    listed = {(s["split"], s["metric"]): s["n"] for s in get(client, f"/api/runs/{ids['overfit']}")["steps"]}
    assert listed == {("train", "loss"): 240, ("train", "accuracy"): 240, ("val", "loss"): 12, ("val", "accuracy"): 12}
    for (split, metric), n in listed.items():
        (s,) = get(client, f"/api/runs/{ids['overfit']}/steps?split={split}&metric={metric}")["series"]
        assert (s["split"], s["metric"], s["n"], s["x"]) == (split, metric, n, list(range(n)))  # its own count
        assert s["color"] == style.SPLIT_COLORS[split]
    (val,) = get(client, f"/api/runs/{ids['overfit']}/steps?split=val&metric=loss")["series"]
    assert val["y"] == OVERFIT_VAL  # one val batch an epoch
    assert get(client, f"/api/runs/{ids['overfit']}/steps?split=test&metric=loss")["series"] == []
    assert get(client, f"/api/runs/{ids['improving']}")["steps"] == []  # log_epoch only: no batch panel


def test_steps_smoothing_runs_on_the_full_series_before_downsampling(spiky):
    d, run_id, values = spiky
    client = TestClient(create_app(d))
    (s,) = get(client, f"/api/runs/{run_id}/steps?split=train&metric=loss&max_points=300&smooth=0.9")["series"]
    want_x, want_y = downsample(np.arange(100_000), ema(values, 0.9), 300)
    assert s["smoothed"]["x"] == want_x.tolist()
    got = np.array([np.nan if v is None else v for v in s["smoothed"]["y"]])
    assert np.allclose(got, want_y, rtol=0, atol=1e-12, equal_nan=True)


# -- exports ------------------------------------------------------------------------------------
def test_export_csv_and_json_hold_the_full_series(spiky):
    d, run_id, values = spiky
    client = TestClient(create_app(d))
    r = client.get(f"/api/runs/{run_id}/export.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert f'filename="fitwatch-run-{run_id}.csv"' in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    steps = [row for row in rows if row["level"] == "step" and row["split"] == "train"]
    assert len(steps) == 100_000  # not downsampled
    got = np.array([float(row["value"]) for row in steps])
    assert np.array_equal(got, values, equal_nan=True)  # every value, exactly (repr round-trips)
    assert [int(row["step"]) for row in steps[:3]] == [0, 1, 2] and steps[-1]["epoch"] == "9"
    assert len([row for row in rows if row["level"] == "epoch"]) == 20  # train and val loss, 10 epochs
    body = strict_json(client.get(f"/api/runs/{run_id}/export.json").text)
    assert body["name"] == "spiky" and len(body["epochs"]) == 2
    (train,) = [s for s in body["steps"] if s["split"] == "train"]
    assert train["n"] == len(train["value"]) == len(train["step"]) == len(train["epoch"]) == 100_000
    assert train["value"][77_777] is None and train["nonfinite"] == [[77_777, "nan"]]
    assert train["value"][54_321] == 40.0 and train["batch_size"][:2] == [1, 1]


def test_export_of_a_run_with_quotes_and_commas_in_names_is_valid_csv(tmp_path):
    d = tmp_path / "store"
    with fitwatch.Run("x", dir=d, diagnose=False, progress=False) as run:
        for epoch in run.epochs(2):
            run.log('holdout, "b"', loss=0.5)
    rows = list(csv.DictReader(io.StringIO(TestClient(create_app(d)).get(f"/api/runs/{run.id}/export.csv").text)))
    assert {row["split"] for row in rows} == {'holdout, "b"'} and len(rows) == 4


# -- compare ------------------------------------------------------------------------------------
def test_compare_gives_each_run_its_colour(client, store):
    _, ids = store
    body = get(client, f"/api/compare?ids={ids['overfit']},{ids['improving']}&smooth=0.6")
    a, b = body["runs"]
    assert (a["name"], b["name"]) == ("overfit-mlp", "Improving-CNN")
    assert a["color"] == style.run_color(0) and b["color"] == style.run_color(1)
    assert all(s["color"] == a["color"] for s in a["series"]) and all(s["color"] == b["color"] for s in b["series"])
    assert {s["split"]: s["dash"] for s in a["series"]} == {"train": "dash", "val": "solid"}
    assert a["verdict"] == "overfitting" and a["best_epoch"] == 3 and "smoothed" in a["series"][0]
    # the compare page's onset lines: the overfitting run's onset, none for the other
    assert a["annotations"]["onset_epoch"] == get(client, f"/api/runs/{ids['overfit']}")["diagnosis"]["onset_epoch"]
    assert a["annotations"]["onset_epoch"] is not None and b["annotations"]["onset_epoch"] is None
    assert get(client, "/api/compare?ids=", 400)["error"].startswith("ids is empty")
    assert "ids" in get(client, "/api/compare?ids=1,x", 400)["error"]
    assert get(client, f"/api/compare?ids={ids['overfit']},4242", 404)["error"].startswith("no run with id 4242")


# -- safety -------------------------------------------------------------------------------------
def test_script_names_come_back_as_plain_json_strings(client, store):
    _, ids = store
    r = client.get("/api/runs?q=script")
    assert r.headers["content-type"] == "application/json" and r.headers["x-content-type-options"] == "nosniff"
    assert strict_json(r.text)["runs"][0]["name"] == SCRIPT_NAME
    detail = get(client, f"/api/runs/{ids['script']}")
    assert detail["name"] == SCRIPT_NAME
    assert detail["config"] == {"<img src=x onerror=alert(2)>": "<script>x</script>"}
    assert "val_<b>acc</b>" in {m["key"] for m in detail["metrics"]}
    page = client.get("/").text  # the page is static: no data is ever templated into HTML
    assert "alert(" not in page and "overfit-mlp" not in page and "<script src=\"/assets/app.js\" defer></script>" in page


ASSET_PROBES = [
    "/assets/../../etc/passwd", "/assets/..%2F..%2Fetc%2Fpasswd", "/assets/%2e%2e/%2e%2e/etc/passwd",
    "/assets/%2e%2e%2fapp.py", "/assets//etc/passwd", "/assets/%2Fetc%2Fpasswd", "/assets/app.py",
    "/assets/__init__.py", "/assets/", "/assets/index.html/../app.py", "/assets/..", "/etc/passwd",
    "/assets/app.js%00.py", "/assets/APP.JS", "/../pyproject.toml", "/assets/plotly-basic.min.js/../../../../etc/passwd",
]


@pytest.fixture(scope="module")
def server(store):
    with ServerThread(store[0]) as srv:
        yield srv


def raw_get(server, path: str) -> tuple[int, bytes]:
    """GET ``path`` exactly as written (an HTTP client would normalise ``..`` away before sending)."""
    import socket

    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


@pytest.mark.parametrize("path", ASSET_PROBES)
def test_no_file_outside_the_assets_is_served(server, path):
    assert raw_get(server, "/assets/style.css")[0] == 200  # the probe itself works
    status, body = raw_get(server, path)
    assert status in (400, 404), (path, status)
    assert b"root:" not in body and b"import" not in body and b"[project]" not in body


def test_the_assets_are_served_with_their_types(client):
    for name, kind in [("app.js", "text/javascript"), ("style.css", "text/css"), ("plotly-basic.min.js", "text/javascript")]:
        r = client.get(f"/assets/{name}")
        assert r.status_code == 200 and r.headers["content-type"].startswith(kind)
    assert client.get("/assets/plotly-basic.min.js").content == plotly_js().read_bytes()  # the copy fitwatch ships
    etag = client.get("/assets/plotly-basic.min.js").headers["etag"]
    again = client.get("/assets/plotly-basic.min.js", headers={"if-none-match": etag})
    assert again.status_code == 304 and again.content == b""  # a returning browser keeps its copy
    page = client.get("/")
    assert page.headers["content-type"].startswith("text/html")
    assert not re.search(r"(src|href)=\"(https?:)?//", page.text)  # nothing from the network


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("path", ["/api/runs", "/api/runs/1", "/api/runs/1/curves", "/", "/assets/app.js"])
def test_only_get(client, method, path):
    r = client.request(method, path)
    assert r.status_code == 405
    if path.startswith("/api"):
        assert "read-only" in strict_json(r.text)["error"]


def test_head_is_allowed(client):
    assert client.head("/api/runs").status_code == 200


def test_security_headers_on_every_response(client):
    for r in (client.get("/"), client.get("/api/runs"), client.get("/nope"), client.post("/api/runs")):
        csp = r.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp and "connect-src 'self'" in csp
        assert "unsafe-eval" not in csp and "script-src 'self' 'unsafe-inline'" not in csp
        assert r.headers["x-content-type-options"] == "nosniff" and r.headers["referrer-policy"] == "no-referrer"


def test_a_foreign_host_header_is_refused_when_bound_to_loopback(store):
    client = TestClient(create_app(store[0], allowed_hosts=["127.0.0.1", "localhost", "::1"]))
    assert client.get("/api/runs", headers={"host": "evil.example"}).status_code == 400
    assert client.get("/api/runs", headers={"host": "evil.example:6007"}).status_code == 400
    for host in ("127.0.0.1:6007", "localhost:6007", "[::1]:6007", "localhost"):
        assert client.get("/api/runs", headers={"host": host}).status_code == 200, host


def test_the_dashboard_never_writes(tmp_path):
    d = tmp_path / "store"
    run_python(  # written by another process: this one holds no writer on the store
        "import sys, fitwatch\n"
        "with fitwatch.Run('r', config={'a': 1}, dir=sys.argv[1], progress=False) as run:\n"
        "    for epoch in run.epochs(8):\n"
        "        for b in range(50): run.log('train', loss=1.0 / (epoch + 1 + b / 50))\n"
        "        run.log('val', loss=1.2 / (epoch + 1))\n", str(d))
    db = d / "fitwatch.db"
    before = db.read_bytes()
    app = create_app(d)
    client = TestClient(app)
    for path in ["/", "/api", "/api/style", "/api/runs", "/api/runs/1", "/api/runs/1/curves?smooth=0.5",
                 "/api/runs/1/steps", "/api/runs/1/export.csv", "/api/runs/1/export.json", "/api/compare?ids=1"]:
        assert client.get(path).status_code == 200, path
    store = app.state.data.store
    assert store._conn.total_changes == 0  # not one row inserted, updated or deleted
    assert db.read_bytes() == before
    assert not (d / "fitwatch.db.pending").exists() or not any((d / "fitwatch.db.pending").iterdir())


# -- a real server: concurrent readers while a run writes ---------------------------------------
def test_concurrent_requests_while_a_run_writes(tmp_path):
    d = tmp_path / "store"
    run = fitwatch.Run("live", dir=d, diagnose=False, progress=False)
    run.log_epoch(loss=1.0, val_loss=1.1)
    run.store.flush(30)
    errors, stop = [], threading.Event()

    def writer():
        epoch = 1
        while not stop.is_set():
            for b in range(100):
                run.log("train", loss=1.0 / (epoch + 1) + b * 1e-4)
            run.log("val", loss=1.1 / (epoch + 1))
            run.end_epoch()
            epoch += 1
            time.sleep(0.01)

    with ServerThread(d) as server:
        t = threading.Thread(target=writer)
        t.start()
        paths = ["api/runs", f"api/runs/{run.id}", f"api/runs/{run.id}/curves?smooth=0.6",
                 f"api/runs/{run.id}/curves?since_epoch=3", f"api/runs/{run.id}/steps", f"api/compare?ids={run.id}"]

        def hit(i):
            with httpx.Client(base_url=server.url, timeout=30) as c:
                for k in range(6):
                    r = c.get(paths[(i + k) % len(paths)])
                    if r.status_code != 200:
                        errors.append((r.status_code, r.text[:200]))
                    strict_json(r.text)

        try:
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(hit, range(16)))
        finally:
            stop.set()
            t.join()
        run.finish()
        c = httpx.get(server.url + f"api/runs/{run.id}/curves").json()
        assert c["status"] == "finished" and c["epochs"] == run.epoch
    assert errors == []


# -- fitwatch serve -----------------------------------------------------------------------------
def serve_process(*args):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "fitwatch", "serve", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def test_serve_prints_the_real_port_and_listens_on_loopback(store):
    d, ids = store
    p = serve_process("--dir", d, "--port", "0")
    try:
        line = p.stdout.readline()
        m = re.fullmatch(r"fitwatch dashboard: http://127\.0\.0\.1:(\d+)/ \(store: (.+)\) — Ctrl-C to stop\n", line)
        assert m, line
        port = int(m.group(1))
        assert port != 0 and m.group(2) == str(fitwatch.Store.open(d).path)
        runs = httpx.get(f"http://127.0.0.1:{port}/api/runs", timeout=30).json()["runs"]
        assert {r["name"] for r in runs} >= {"overfit-mlp", SCRIPT_NAME}
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=30).status_code == 200
        assert httpx.get(f"http://localhost:{port}/api", timeout=30).status_code == 200
        # a page on another site that a DNS trick points at 127.0.0.1 still says its own name
        assert httpx.get(f"http://127.0.0.1:{port}/api/runs", headers={"host": "attacker.example"}).status_code == 400
        out = subprocess.run(["ss", "-ltn"], capture_output=True, text=True).stdout if _has("ss") else ""
        if out:
            listening = [ln for ln in out.splitlines() if f":{port} " in ln]
            assert listening and all("127.0.0.1:" in ln for ln in listening), listening
    finally:
        p.send_signal(signal.SIGINT)
        p.wait(20)
    assert "Traceback" not in p.stderr.read()


def _has(cmd):
    import shutil

    return shutil.which(cmd) is not None


def test_serve_on_all_interfaces_warns(store):
    p = serve_process("--dir", store[0], "--port", "0", "--host", "0.0.0.0")
    try:
        line = p.stdout.readline()
        assert re.match(r"fitwatch dashboard: http://0\.0\.0\.0:\d+/ ", line), line
        warning = p.stderr.readline()
        assert "no authentication" in warning and "0.0.0.0" in warning
    finally:
        p.send_signal(signal.SIGINT)
        p.wait(20)


def test_serve_errors_are_one_line(tmp_path, store):
    p = subprocess.run([sys.executable, "-m", "fitwatch", "serve", "--dir", str(tmp_path / "none"), "--port", "0"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "no fitwatch store here" in p.stderr and len(p.stderr.strip().splitlines()) == 1
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        p = subprocess.run([sys.executable, "-m", "fitwatch", "serve", "--dir", str(store[0]), "--port", str(port)],
                           capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1, p.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in p.stderr and "--port" in p.stderr


def test_the_core_does_not_import_the_web_stack():
    out = run_python("import sys, fitwatch; print(sorted(m for m in ('starlette', 'uvicorn', 'plotly', "
                     "'fitwatch.dashboard') if m in sys.modules))").stdout
    assert out.strip() == "[]"


def test_api_index_lists_the_endpoints(client):
    body = get(client, "/api")
    assert {e["path"] for e in body["endpoints"]} >= {"/api/runs", "/api/runs/{id}", "/api/runs/{id}/curves",
                                                       "/api/runs/{id}/steps", "/api/compare"}
    s = get(client, "/api/style")
    assert s["split_colors"] == style.SPLIT_COLORS and s["run_colors"] == style.RUN_COLORS
    assert s["verdict_colors"] == style.VERDICT_COLORS and s["annotation"] == json.loads(json.dumps(style.ANNOTATION))
    assert not math.isnan(s["log_span"])


@pytest.mark.parametrize("missing", ["starlette", "uvicorn"])
def test_a_missing_extra_is_named_with_its_install_command(store, missing):
    p = run_python(f"import sys; sys.modules[{missing!r}] = None\n"  # as if it were not installed
                   "from fitwatch.cli import main\n"
                   "sys.exit(main(['serve', '--dir', sys.argv[1], '--port', '0']))", str(store[0]), check=False)
    assert p.returncode == 2, p.stderr
    assert p.stderr.strip() == "fitwatch serve needs starlette and uvicorn: pip install 'fitwatch[dashboard]'"


# -- tags, notes, config columns and the sweep (fitwatch tag / note; docs/runs.md) -------------------
@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    d = tmp_path_factory.mktemp("sweep") / "store"
    for name, lr, opt, best in [("lr-1e-3", 1e-3, "adam", 0.4), ("lr-1e-2", 1e-2, "adam", 0.3), ("lr-1e-1", 1e-1, "sgd", 0.9)]:
        with fitwatch.Run(name, config={"lr": lr, "opt": {"name": opt}, "seed": 1}, dir=d, diagnose=False,
                          progress=False, tags=["sweep"] if lr > 1e-3 else ["baseline"], note=f"{opt} at {lr}") as run:
            run.log_epoch(loss=best + 0.2, val_loss=best + 0.1)
            run.log_epoch(loss=best, val_loss=best)
    with fitwatch.Run("no-config", dir=d, diagnose=False, progress=False) as run:
        run.log_epoch(loss=1.0, val_loss=1.0)
    fitwatch.Store.shared(d).flush(30)
    return TestClient(create_app(d))


def test_runs_carry_tags_note_and_flattened_config_and_filter_by_tag(swept):
    body = get(swept, "/api/runs")
    assert body["config_keys"] == ["lr", "opt.name"] and body["tags"] == ["baseline", "sweep"]  # seed is the same
    by = {r["name"]: r for r in body["runs"]}
    assert by["lr-1e-2"]["tags"] == ["sweep"] and by["lr-1e-2"]["note"] == "adam at 0.01"
    assert by["lr-1e-2"]["config"] == {"lr": 0.01, "opt.name": "adam", "seed": 1}
    assert by["no-config"]["tags"] == [] and by["no-config"]["note"] is None and by["no-config"]["config"] == {}
    tagged = get(swept, "/api/runs?tag=sweep")
    assert (tagged["total"], tagged["count"]) == (4, 2) and {r["name"] for r in tagged["runs"]} == {"lr-1e-2", "lr-1e-1"}


def test_sweep_plots_best_val_loss_against_a_config_value(swept):
    body = get(swept, "/api/sweep")
    assert body["key"] == "lr" and body["kind"] == "numeric" and body["log_x"] is True
    assert [(p["name"], p["value"], p["best_val_loss"], p["best_epoch"]) for p in body["points"]] == [
        ("lr-1e-3", 0.001, 0.4, 1), ("lr-1e-2", 0.01, 0.3, 1), ("lr-1e-1", 0.1, 0.9, 1)]
    assert body["left_out"] == [{"id": 4, "name": "no-config", "why": "no lr in its config"}]
    assert {k["key"]: k["kind"] for k in body["keys"]} == {"lr": "numeric", "opt.name": "categorical", "seed": "numeric"}
    cat = get(swept, "/api/sweep?key=opt.name&tag=sweep")
    assert cat["kind"] == "categorical" and cat["log_x"] is False
    assert [(p["value"], p["tags"]) for p in cat["points"]] == [("adam", ["sweep"]), ("sgd", ["sweep"])]
    err = get(swept, "/api/sweep?key=momentum", status=400)
    assert "momentum" in err["error"] and "keys: lr, opt.name, seed" in err["error"]
    assert "/api/sweep" in {e["path"] for e in get(swept, "/api")["endpoints"]}


def record_heads(d):
    """A finished multi-head run "mt" without a total loss: reg_loss overfits from epoch 4, cls_loss
    still improves (best epoch 11)."""
    with fitwatch.Run("mt", dir=d, diagnose="quiet", progress=False) as run:
        for e in run.epochs(12):
            run.log("train", reg_loss=2.0 / (e + 1), cls_loss=1.0 / (e + 1), n=10)
            run.log("val", reg_loss=0.6 + 0.04 * (e - 4) ** 2, cls_loss=1.0 / (e + 1) + 0.2, n=10)
    fitwatch.Store.shared(d).flush(30)
    return run


def test_a_multi_head_run_has_each_heads_verdict(tmp_path):
    from fitwatch.show.dashboard.data import _diagnose

    d = tmp_path / "store"
    run = record_heads(d)
    body = get(TestClient(create_app(d)), f"/api/runs/{run.id}")
    assert body["diagnosis_source"] == "stored"
    assert [(r["name"], r["verdict"]) for r in body["diagnosis"]["runs"]] == [("mt [cls_loss]", "still_improving"),
                                                                               ("mt [reg_loss]", "overfitting")]
    computed = _diagnose(fitwatch.load(run.id, dir=d))  # as for a running run: none before (no curve named loss)
    assert computed["verdicts"] == body["diagnosis"]["verdicts"]


def test_a_multi_head_run_is_filtered_by_any_head_and_annotated_per_head(tmp_path):
    """/api/runs?verdict= kept a multi-head run only for its last head's verdict; its annotations were
    the last head's best epoch and onset (drawn on every panel): now any head's verdict matches, and
    annotations.heads holds each head's marks by its metric (the top level's are null)."""
    d = tmp_path / "store"
    run = record_heads(d)
    client = TestClient(create_app(d))
    for verdict, names in (("still_improving", ["mt"]), ("overfitting", ["mt"]), ("good_fit", []), ("none", [])):
        assert [r["name"] for r in get(client, f"/api/runs?verdict={verdict}")["runs"]] == names, verdict
    ann = get(client, f"/api/runs/{run.id}")["annotations"]
    assert ann["heads"] == {"cls_loss": {"best_epoch": 11, "onset_epoch": None},
                            "reg_loss": {"best_epoch": 4, "onset_epoch": 4}}
    assert (ann["best_epoch"], ann["onset_epoch"]) == (None, None)


def test_a_multi_head_run_gives_each_heads_best_as_fitwatch_runs_does(tmp_path):
    """A new user's trial: `fitwatch runs` gave val_cls_loss and val_reg_loss bests, the dashboard's list
    and run page none ("–", best_val_loss null)."""
    d = tmp_path / "store"
    run = record_heads(d)
    client = TestClient(create_app(d))
    want = [{"key": "val_cls_loss", "best_epoch": 11, "best_value": pytest.approx(1 / 12 + 0.2)},
            {"key": "val_reg_loss", "best_epoch": 4, "best_value": pytest.approx(0.6)}]
    [listed] = get(client, "/api/runs")["runs"]
    assert listed["best_val_loss"] is None and listed["heads"] == want
    assert get(client, f"/api/runs/{run.id}")["heads"] == want
    runs = subprocess.run([sys.executable, "-m", "fitwatch", "runs", "--dir", str(d), "--json"], capture_output=True,
                          text=True, timeout=60)
    assert json.loads(runs.stdout)[0]["heads"] == want
