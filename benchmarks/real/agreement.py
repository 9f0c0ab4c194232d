"""How often two careful readers agree on the held-out real logs, and fitwatch against each.

``tests/data/real/second_labels.csv`` holds a second label for three batches of held-out runs,
written blind (the second labeller saw neither the first label nor fitwatch's verdict, only the
numbers and docs/labelling.md): ``batch`` 1 for the 195 held-out runs of the corpus at 562 runs, 2
for the 225 added by collection rounds 4-7, 3 for the 46 of round 13 (rounds 8-12's held-out runs
have one label only). A verdict is accepted by a labeller when it is the label or the ``also``, as in ``benchmarks/diagnosis_accuracy.py``. Runs since moved to the tune half are left
out. Only totals are printed, for all runs, per batch and per first label: no held-out run is named.

Run: .venv/bin/python benchmarks/real/agreement.py
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REAL = ROOT / "tests" / "data" / "real"
sys.path.insert(0, str(ROOT / "benchmarks"))


def accepted(verdict: str, row: dict) -> bool:
    return verdict in (row["label"], row["also"] or row["label"])


def main() -> int:
    from diagnosis_accuracy import _real_verdict

    first = {r["file"]: r for r in csv.DictReader(open(REAL / "manifest.csv"))}
    pairs = [(first[r["file"]], r) for r in csv.DictReader(open(REAL / "second_labels.csv"))
             if r["file"] in first and first[r["file"]]["half"] == "heldout"]
    verdicts = {a["file"]: _real_verdict(a) for a, _ in pairs}
    for batch in [None] + sorted({b.get("batch") or "1" for _, b in pairs}):
        report([(a, b) for a, b in pairs if batch is None or (b.get("batch") or "1") == batch], verdicts,
               "all" if batch is None else f"batch {batch}")
    by_verdict(pairs, verdicts)
    return 0


def by_verdict(pairs: list, verdicts: dict) -> None:
    """Per first label: how often each reader accepts the other's first choice, and fitwatch's verdict
    is accepted by each (totals only): where the readers themselves differ, a verdict's share is
    bounded by their agreement, not by the 85 % the target sets."""
    print("per first label (n: second's first choice accepted by the first's labels / first's by the "
          "second's / fitwatch by the first / fitwatch by the second)")
    for label in sorted({a["label"] for a, _ in pairs}):
        sub = [(a, b) for a, b in pairs if a["label"] == label]
        n = len(sub)
        pct = lambda k: f"{100 * k / n:5.1f} %"  # noqa: E731
        print(f"  {label:16s} {n:4d}  {pct(sum(accepted(b['label'], a) for a, b in sub))}  "
              f"{pct(sum(accepted(a['label'], b) for a, b in sub))}  "
              f"{pct(sum(accepted(verdicts[a['file']], a) for a, _ in sub))}  "
              f"{pct(sum(accepted(verdicts[a['file']], b) for a, b in sub))}")


def report(pairs: list, verdicts: dict, what: str) -> None:
    """The agreement totals of ``pairs`` (first row, second row), and fitwatch's against each."""
    n = len(pairs)

    def share(k: int) -> str:
        return f"{k}/{n} = {100 * k / max(n, 1):.1f} %"

    print(f"{what}: {n} held-out runs labelled twice, blind")
    print(f"  the second reader's first choice, accepted by the first's labels: "
          f"{share(sum(accepted(b['label'], a) for a, b in pairs))}")
    print(f"  the first reader's first choice, accepted by the second's labels: "
          f"{share(sum(accepted(a['label'], b) for a, b in pairs))}")
    print(f"  the same first choice: {share(sum(a['label'] == b['label'] for a, b in pairs))}; "
          f"a second verdict given by the first reader on {sum(bool(a['also']) for a, _ in pairs)}, "
          f"by the second on {sum(bool(b['also']) for _, b in pairs)}")
    v = [verdicts[a["file"]] for a, _ in pairs]
    print(f"  fitwatch accepted by the first reader: {share(sum(accepted(x, a) for x, (a, _) in zip(v, pairs)))}; "
          f"by the second: {share(sum(accepted(x, b) for x, (_, b) in zip(v, pairs)))}; "
          f"by both: {share(sum(accepted(x, a) and accepted(x, b) for x, (a, b) in zip(v, pairs)))}; "
          f"by either: {share(sum(accepted(x, a) or accepted(x, b) for x, (a, b) in zip(v, pairs)))}")


if __name__ == "__main__":
    sys.exit(main())
