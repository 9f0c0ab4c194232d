"""Do the readers hold under bad bytes? Fuzzed copies of the real logs, read one by one.

Mutated copies of the logs in tests/data/real/ (Keras CSVs and printouts, JSON histories, Lightning
``metrics.csv``, Hugging Face ``trainer_state.json``, TensorBoard event files): cut at a random
point, bytes flipped or inserted, NUL bytes, a BOM, other line ends, fields of up to 1 MB, long runs
of one character and lines that start like a log's (bait for a backtracking regular expression),
numbers of 5,000 digits or ``1e999``, JSON nested 100,000 deep or of odd shapes, one row repeated
thousands of times, thousands of columns, cells emptied, a gzip-compressed copy (whole, cut short,
damaged, or a bomb of 300 MB); one to three of them on each file. Each file is read with :func:`fitwatch.diagnosis.readers.read_curves`, then each run
read is diagnosed (what ``fitwatch diagnose FILE`` does; only exceptions are counted, never the
verdicts; the first 200 runs of a file), in a pool of worker processes with a watchdog: a file that
takes longer than the limit is counted as a hang and its worker killed, not waited for. The slowest
file is timed on reading alone.

The rule (docs/reliability.md, "Readers"): a reader returns runs or raises ``ReadError`` (one line
that names the file), within bounded time and memory, whatever the bytes. Targets: 0 other
exceptions, 0 bad messages, 0 hangs.

Run: .venv/bin/python benchmarks/reader_fuzz.py [--files 5000] [--seed 0] [--workers N] [--keep DIR]
(about a minute on 2 CPUs). :func:`fuzz` returns the counts (benchmarks/reliability.py uses it).
"""

from __future__ import annotations

import argparse
import gzip
import multiprocessing as mp
import os
import random
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from multiprocessing.connection import wait
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / "tests" / "data" / "real"
HANG_S = 5.0  # a file read (and diagnosed) for longer than this is a hang
DIAGNOSED = 200  # runs of a file diagnosed (a file of 20,000 runs: judging them all is the diagnosis' speed)

#: (folder, name pattern, how many files) of the real corpus mutated: every format
_PICKS = (("keras", r"\.csv$", 10), ("keras", r"\.(txt|log)$", 10), ("keras", r"\.json$", 8),
          ("lightning", r"\.csv$", 10), ("hf", r"\.json$", 8), ("hf", r"\.(csv|txt)$", 4))


# -- the corpus -------------------------------------------------------------------------------------
def corpus() -> list[tuple[str, bytes]]:
    """``(file name, bytes)`` of the real logs mutated: a spread of each format (every n-th file,
    so that the pick does not depend on the seed), and the TensorBoard event files."""
    out = []
    for folder, pattern, n in _PICKS:
        files = sorted(p for p in (REAL / folder).iterdir() if p.is_file() and re.search(pattern, p.name))
        step = max(1, len(files) // n)
        out += [(p.name, p.read_bytes()) for p in files[::step][:n]]
    events = sorted(p for p in (REAL / "tb").rglob("*") if p.is_file() and "tfevents" in p.name)
    out += [(p.name, p.read_bytes()) for p in events[::max(1, len(events) // 6)][:6]]
    return out


# -- mutations ------------------------------------------------------------------------------------
_NUMBER = re.compile(rb"(?<![\w.])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w.])")


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True) or [data]


def truncate(rng, data):
    return data[: rng.randrange(len(data) + 1)]


def flip_bytes(rng, data):
    b = bytearray(data)
    for _ in range(rng.randint(1, 20)):
        if b:
            b[rng.randrange(len(b))] = rng.randrange(256)
    return bytes(b)


def insert_bytes(rng, data):
    at = rng.randrange(len(data) + 1)
    return data[:at] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 64))) + data[at:]


def nul_bytes(rng, data):
    at = rng.randrange(len(data) + 1)
    return data[:at] + b"\x00" * rng.choice((1, 2, 100, 70_000)) + data[at:]


def bom(rng, data):
    return rng.choice((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf\xef\xbb\xbf")) + data


def utf16(rng, data):
    return data.decode("utf-8", "replace").encode(rng.choice(("utf-16", "utf-16-le", "utf-32")))


def line_ends(rng, data):
    ends = rng.choice(((b"\r\n",), (b"\r",), (b"\n", b"\r\n", b"\r"), (b"\n\n",), (b"\x0b", b"\x1c", "\u2028".encode())))
    return b"".join(ln.rstrip(b"\r\n") + rng.choice(ends) for ln in _lines(data))


def huge_field(rng, data):
    lines = _lines(data)
    i = rng.randrange(len(lines))
    field = rng.choice((b"x", b"9", b"\"", b",", b" ", b"[")) * rng.choice((140_000, 300_000, 1_100_000))
    at = rng.randrange(len(lines[i]) + 1)
    lines[i] = lines[i][:at] + field + lines[i][at:]
    return b"".join(lines)


def huge_number(rng, data):
    numbers = list(_NUMBER.finditer(data))
    new = rng.choice((b"9" * 5000, b"1" + b"0" * 4400, b"1e999", b"-1e999", b"1e-999", b"1" * 400 + b".5",
                      b"0." + b"0" * 5000 + b"1", b"1e99999999999", b"NaN", b"-Infinity", b"0x1p3", b"1_000"))
    if not numbers:
        return data + new
    for m in rng.sample(numbers, min(len(numbers), rng.choice((1, 3, 50)))):
        data = data[: m.start()] + b"\x00MARK\x00" + data[m.end():]  # keep offsets valid below
    return data.replace(b"\x00MARK\x00", new)


def deep_nesting(rng, data):
    depth = rng.choice((1_000, 5_000, 100_000))
    at = rng.randrange(len(data) + 1)
    opener, closer = rng.choice(((b"[", b"]"), (b"{\"a\":", b"}"), (b"[{\"loss\":", b"}]")))
    closed = rng.random() < 0.5
    return data[:at] + opener * depth + (closer * depth if closed else b"") + data[at:]


def repeat_rows(rng, data):
    lines = _lines(data)
    i = rng.randrange(len(lines))
    times = min(rng.choice((2, 100, 2_000, 20_000)), max(2, 8_000_000 // max(1, len(lines[i]))))  # up to 8 MB
    return b"".join(lines[:i] + [lines[i]] * times + lines[i + 1:])


def shuffle_lines(rng, data):
    lines = _lines(data)
    how = rng.randrange(3)
    if how == 0:
        rng.shuffle(lines)
    elif how == 1:  # drop some
        lines = [ln for ln in lines if rng.random() > 0.3]
    else:  # the header again, somewhere
        lines.insert(rng.randrange(len(lines) + 1), lines[0])
    return b"".join(lines)


def empty_cells(rng, data):
    """Every number gone (a CSV whose cells are all empty), every cell blank but the separators, or
    every cell but the first (the epoch numbers kept, no value)."""
    how = rng.randrange(3)
    if how == 0:
        return _NUMBER.sub(b"", data)
    lines = _lines(data)
    if how == 1:
        return b"".join(lines[:1] + [re.sub(rb"[^,;\t\r\n]", b"", ln) for ln in lines[1:]])
    return b"".join(lines[:1] + [re.sub(rb"(?<=[,;\t])[^,;\t\r\n]+", b"", ln) for ln in lines[1:]])


def long_run(rng, data):
    """A run of one character, thousands long (spaces, dashes, digits...): what makes a regular
    expression that backtracks take minutes."""
    at = rng.randrange(len(data) + 1)
    run = rng.choice((b" ", b"\t", b"-", b"9", b"a", b".", b"\n", b"\r", b"|", b"=", b":", b"(", b"%", b"\n ", b"{"))
    return data[:at] + run * rng.choice((3_000, 30_000, 200_000)) + data[at:]


_BAIT = (b"Epoch", b"Epoch 1 a", b"Epoch: [", b"tensor(", b" - loss: ", b"train", b"[train] ", b"Val:", b"float(",
         b"loss ", b"Val (", b"epoch:", b"| val", b"{'loss': [np.float64(", b"Epoch 3/10\n")


def regex_bait(rng, data):
    """A line that starts like a log's (``Epoch 3``, ``tensor(``, `` - loss:``...) and runs on."""
    lines = _lines(data)
    run = rng.choice((b" ", b"9", b"a", b"-", b"\n", b" a", b"1."))
    line = rng.choice(_BAIT) + run * rng.choice((2_000, 50_000)) + rng.choice((b"x", b"", b")", b"%")) + b"\n"
    lines.insert(rng.randrange(len(lines) + 1), line)
    return b"".join(lines)


def many_columns(rng, data):
    """The first line (a header) or a row given thousands of fields more."""
    lines = _lines(data)
    i = 0 if rng.random() < 0.5 else rng.randrange(len(lines))
    extra = rng.choice((b",x", b",1", b",", b";a", b"\tb")) * rng.choice((5_000, 20_000, 200_000))
    lines[i] = lines[i].rstrip(b"\r\n") + extra + b"\n"
    return b"".join(lines)


def json_shapes(rng, data):
    """JSON of an odd shape: thousands of keys, of tiny runs, of one-value lists; a list of a
    million numbers; strings where numbers go."""
    how = rng.randrange(6)
    n = rng.choice((1_000, 30_000))
    if how == 0:
        return b"{" + b",".join(b'"k%d": %d' % (i, i) for i in range(n)) + b', "loss": 0.5}'
    if how == 1:
        return b'{"loss": [1, 0.5], "val_loss": [1, 0.6]}\n' * n
    if how == 2:
        return b"{" + b",".join(b'"r%d": {"loss": [%d]}' % (i, i) for i in range(n)) + b"}"
    if how == 3:
        return b"[" + b"0.5," * 1_100_000 + b"0.5]"
    if how == 4:
        return b'{"loss": [' + b",".join(b'"%d"' % i for i in range(n)) + b"]}"
    return b'{"log_history": [' + b",".join(b'{"epoch": 1e999, "step": %d, "loss": NaN}' % i for i in range(n)) + b"]}"


def random_text(rng, data):
    alphabet = "0123456789.,;-+eE \t\n\r\"'{}[]:naifloss_val epoch NaN Infinity null #/%é€\u2028"
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 4000))).encode("utf-8")


def gzip_whole(rng, data):
    return gzip.compress(data, mtime=0)


def gzip_cut(rng, data):
    z = gzip.compress(data, mtime=0)
    return z[: rng.randrange(1, max(2, len(z)))]


def gzip_flip(rng, data):
    return flip_bytes(rng, gzip.compress(data, mtime=0))


_BOMB: dict[int, bytes] = {}


def gzip_bomb(rng, data):
    """300 MB of one row repeated, compressed to well under a megabyte (made once)."""
    if not _BOMB:
        row = b"1,0.5,0.6\n"
        chunk = b"epoch,loss,val_loss\n" + row * 100_000
        co = __import__("zlib").compressobj(9, 8, 31)  # gzip container
        parts = [co.compress(chunk)] + [co.compress(row * 100_000) for _ in range(300)] + [co.flush()]
        _BOMB[0] = b"".join(parts)
    return _BOMB[0]


_TEXT = (truncate, flip_bytes, insert_bytes, nul_bytes, bom, utf16, line_ends, huge_field, huge_number,
         deep_nesting, repeat_rows, shuffle_lines, empty_cells, long_run, regex_bait, many_columns)
_GZ = (gzip_whole, gzip_cut, gzip_flip)


def mutate(seed: int, i: int, sources: list[tuple[str, bytes]]) -> tuple[str, bytes, str]:
    """File ``i`` of the run seeded ``seed``: ``(file name, bytes, what was done)``; the same
    arguments give the same file."""
    rng = random.Random(f"{seed}-{i}")
    name, data = rng.choice(sources)
    done = []
    if rng.random() < 0.01:
        return f"{i:05d}_bomb.csv.gz", gzip_bomb(rng, data), "gzip_bomb"
    if rng.random() < 0.02:
        return f"{i:05d}_{name}", random_text(rng, data), "random_text"
    if rng.random() < 0.02:
        return f"{i:05d}_shape.json", json_shapes(rng, data), "json_shapes"
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
        fn = rng.choice(_TEXT)
        data = fn(rng, data)
        done.append(fn.__name__)
        if len(data) > 8_000_000:  # repeated rows of a repeated huge field: enough
            break
    if rng.random() < 0.15 and "tfevents" not in name:
        fn = rng.choice(_GZ)
        data = fn(rng, data)
        done.append(fn.__name__)
        name += ".gz"
    return f"{i:05d}_{name}", data, "+".join(done)


# -- reading, in workers with a watchdog ------------------------------------------------------------
def _worker(conn) -> None:
    """Read each path sent, answer ``(outcome, detail, seconds, peak MB)``."""
    import warnings

    try:
        import resource
    except ImportError:  # not on Windows: no peak memory
        resource = None

    warnings.simplefilter("ignore")
    from fitwatch.diagnosis.analyze import diagnose_curves
    from fitwatch.diagnosis.readers import ReadError, read_curves

    while True:
        try:
            path = conn.recv()
        except EOFError:
            return
        if path is None:
            return
        name = os.path.basename(path)
        t0 = time.perf_counter()
        try:
            runs = read_curves(path)
            outcome, detail = "ok", f"{len(runs)} runs"
        except ReadError as e:
            msg = str(e)
            if "\n" in msg or name not in msg:
                outcome, detail = "bad message", msg[:300]
            elif getattr(e, "unforeseen", None):  # a reader's own exception, caught by read_curves' last resort
                outcome, detail = "last resort", msg[:300]
            else:
                outcome, detail = "ReadError", msg[:300]
        except BaseException as e:  # noqa: BLE001 - what the fuzz counts
            outcome, detail = "traceback", f"{type(e).__name__}: {str(e)[:300]}"
        dt = time.perf_counter() - t0
        if outcome == "ok":  # what `fitwatch diagnose FILE` does next: a KeyError or ValueError of one
            try:  # line (a monitor to name) is its message to the user, anything else a traceback
                for c in runs[:DIAGNOSED]:
                    diagnose_curves(c)
            except (KeyError, ValueError) as e:
                msg = e.args[0] if e.args and isinstance(e.args[0], str) else str(e)
                if "\n" in msg:
                    outcome, detail = "diagnosis error", f"{type(e).__name__}: {msg[:300]}"
            except BaseException as e:  # noqa: BLE001
                outcome, detail = "diagnosis error", f"{type(e).__name__}: {str(e)[:300]}"
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 if resource else 0.0
        conn.send((outcome, detail, dt, peak))


class _Pool:
    """Worker processes fed one path at a time; one past the time limit is killed and replaced."""

    def __init__(self, n: int):
        self.ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
        self.workers = [self._start() for _ in range(n)]

    def _start(self):
        parent, child = self.ctx.Pipe()
        p = self.ctx.Process(target=_worker, args=(child,), daemon=True)
        p.start()
        child.close()
        return {"proc": p, "conn": parent, "task": None, "t0": 0.0}

    def run(self, tasks: list, limit: float, done) -> None:
        """Read every ``(index, path)`` of ``tasks``; ``done(index, outcome, detail, seconds, peak)``."""
        todo = list(reversed(tasks))
        busy = 0
        for w in self.workers:
            if todo:
                self._give(w, todo.pop())
                busy += 1
        while busy:
            ready = wait([w["conn"] for w in self.workers if w["task"] is not None], timeout=0.2)
            now = time.perf_counter()
            for w in list(self.workers):
                if w["task"] is None:
                    continue
                if w["conn"] in ready:
                    try:
                        res = w["conn"].recv()
                    except (EOFError, OSError):  # the worker died (a crash, or killed for memory)
                        res = ("crash", f"worker died (exit code {w['proc'].exitcode})", now - w["t0"], 0.0)
                        w = self._replace(w)
                    done(w["task"], *res)
                elif now - w["t0"] > limit:
                    done(w["task"], "hang", f"still reading after {limit:g} s: killed", now - w["t0"], 0.0)
                    w = self._replace(w)
                else:
                    continue
                w["task"] = None
                busy -= 1
                if todo:
                    self._give(w, todo.pop())
                    busy += 1

    def _give(self, w, task) -> None:
        w["task"], w["t0"] = task[0], time.perf_counter()
        w["conn"].send(task[1])

    def _replace(self, w):
        task = w["task"]
        w["proc"].kill()
        w["proc"].join()
        w["conn"].close()
        new = self._start()
        new["task"] = task
        self.workers[self.workers.index(w)] = new
        return new

    def close(self) -> None:
        for w in self.workers:
            try:
                w["conn"].send(None)
            except OSError:
                pass
        for w in self.workers:
            w["proc"].join(timeout=5)
            if w["proc"].is_alive():
                w["proc"].kill()


def fuzz(n_files: int, seed: int, *, workers: int | None = None, limit: float = HANG_S, keep: str | None = None,
         verbose: bool = False) -> dict:
    """Write ``n_files`` mutated copies of the real logs (seeded by ``seed``, in a temporary folder,
    or ``keep``), read each one, and return the counts: ``files``, ``ok``, ``read_error``,
    ``traceback`` (any other exception from the reader), ``last_resort`` (a ReadError that
    read_curves made of another exception inside a reader: no traceback, but a reader's bug),
    ``bad_message`` (a ReadError of more than one line, or without the file's name),
    ``diagnosis_error`` (an exception diagnosing what was read), ``hang`` (longer than ``limit``
    seconds, killed), ``crash`` (the worker died), ``slowest_s`` and ``slowest_file`` (reading
    alone), ``peak_mb`` (the largest worker's peak memory), and ``examples``: up to 20 ``(file,
    what was done, outcome, detail)`` of each failing outcome."""
    sources = corpus()
    folder = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="fitwatch-fuzz-"))
    folder.mkdir(parents=True, exist_ok=True)
    tasks, how = [], {}
    for i in range(n_files):
        name, data, what = mutate(seed, i, sources)
        path = folder / name
        path.write_bytes(data)
        tasks.append((i, str(path)))
        how[i] = (name, what)
    counts: Counter = Counter()
    slowest = (0.0, "")
    peak = 0.0
    examples: list = []

    def done(i, outcome, detail, dt, mb):
        nonlocal slowest, peak
        counts[outcome] += 1
        peak = max(peak, mb)
        if dt > slowest[0]:
            slowest = (dt, how[i][0])
        if outcome not in ("ok", "ReadError") and sum(e[2] == outcome for e in examples) < 20:
            examples.append((how[i][0], how[i][1], outcome, detail))
            if verbose:
                print(f"  {outcome}: {how[i][0]} ({how[i][1]}): {detail[:200]}", flush=True)

    pool = _Pool(workers or min(os.cpu_count() or 2, 8))
    try:
        pool.run(tasks, limit, done)
    finally:
        pool.close()
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)
    return {"files": n_files, "ok": counts["ok"], "read_error": counts["ReadError"],
            "traceback": counts["traceback"], "last_resort": counts["last resort"],
            "bad_message": counts["bad message"],
            "diagnosis_error": counts["diagnosis error"], "hang": counts["hang"], "crash": counts["crash"],
            "slowest_s": round(slowest[0], 3), "slowest_file": slowest[1], "peak_mb": round(peak),
            "examples": examples}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--limit", type=float, default=HANG_S, help="seconds after which a file is a hang")
    ap.add_argument("--keep", default=None, help="write the files here and keep them")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    r = fuzz(args.files, args.seed, workers=args.workers, limit=args.limit, keep=args.keep, verbose=True)
    print(f"== reader fuzz: {r['files']:,} files (seed {args.seed}) in {time.perf_counter() - t0:.0f} s ==")
    print(f"  read ok                  {r['ok']:6,}")
    print(f"  ReadError (one line)     {r['read_error']:6,}")
    print(f"  other exceptions         {r['traceback']:6,}   (tracebacks)")
    print(f"  ReadError, last resort   {r['last_resort']:6,}   (another exception inside a reader, turned into "
          f"a ReadError)")
    print(f"  ReadError, bad message   {r['bad_message']:6,}   (several lines, or no file name)")
    print(f"  diagnosis errors         {r['diagnosis_error']:6,}   (diagnosing what was read)")
    print(f"  hangs (> {args.limit:g} s)           {r['hang']:6,}")
    print(f"  workers crashed          {r['crash']:6,}")
    print(f"  slowest file             {r['slowest_s']:.2f} s ({r['slowest_file']})")
    print(f"  peak worker memory       {r['peak_mb']:,} MB")
    bad = r["traceback"] + r["bad_message"] + r["diagnosis_error"] + r["hang"] + r["crash"]
    print(f"  [{'PASS' if bad == 0 else 'FAIL'}] target: 0 tracebacks, 0 bad messages, 0 diagnosis errors, 0 hangs")
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
