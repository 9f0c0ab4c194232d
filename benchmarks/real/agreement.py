"""How often two careful readers agree on the held-out real logs, and fitwatch against each.

``tests/data/real/second_labels.csv`` holds a second label for every held-out run of the corpus as
it stood at 195 held-out runs, written blind (the second labeller saw neither the first label nor
fitwatch's verdict, only the numbers and docs/labelling.md). A verdict is accepted by a labeller
when it is the label or the ``also``, as in ``benchmarks/diagnosis_accuracy.py``. Only totals are
printed: no held-out run is named.

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
    pairs = [(first[r["file"]], r) for r in csv.DictReader(open(REAL / "second_labels.csv"))]
    n = len(pairs)

    def share(k: int) -> str:
        return f"{k}/{n} = {100 * k / n:.1f} %"

    print(f"{n} held-out runs labelled twice, blind")
    print(f"  the second reader's first choice, accepted by the first's labels: "
          f"{share(sum(accepted(b['label'], a) for a, b in pairs))}")
    print(f"  the first reader's first choice, accepted by the second's labels: "
          f"{share(sum(accepted(a['label'], b) for a, b in pairs))}")
    print(f"  the same first choice: {share(sum(a['label'] == b['label'] for a, b in pairs))}; "
          f"a second verdict given by the first reader on {sum(bool(a['also']) for a, _ in pairs)}, "
          f"by the second on {sum(bool(b['also']) for _, b in pairs)}")
    verdicts = [_real_verdict(a) for a, _ in pairs]
    print(f"  fitwatch accepted by the first reader: {share(sum(accepted(v, a) for v, (a, _) in zip(verdicts, pairs)))}; "
          f"by the second: {share(sum(accepted(v, b) for v, (_, b) in zip(verdicts, pairs)))}; "
          f"by both: {share(sum(accepted(v, a) and accepted(v, b) for v, (a, b) in zip(verdicts, pairs)))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
