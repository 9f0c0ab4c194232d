"""Merge the collectors' manifests into tests/data/real/manifest.csv and give every row its half.

The half is fixed by the repository alone, before any rule is changed: ``heldout`` when the first
byte of SHA-256(owner/name, lower case) is odd, else ``tune`` (docs/labelling.md, "The split"), so
every file of a repository lands in the same half, and a repository added later keeps the half it
would always have had. Rows already in the manifest keep theirs (a held-out case looked at moves to
``tune`` by hand, with a word in the closing note).

Run: python benchmarks/real/merge_manifest.py PART.csv [PART.csv ...]
"""

from __future__ import annotations

import csv
import hashlib
import sys
from pathlib import Path

MANIFEST = Path(__file__).resolve().parents[2] / "tests" / "data" / "real" / "manifest.csv"
FIELDS = ["id", "file", "format", "repo", "path", "commit", "label", "also", "monitor", "half", "why"]


def half_of(repo: str) -> str:
    """``heldout`` or ``tune``, from the repository's name alone."""
    return "heldout" if hashlib.sha256(repo.strip().lower().encode()).digest()[0] % 2 else "tune"


def main(parts: list[str]) -> int:
    rows = {r["file"]: r for r in csv.DictReader(open(MANIFEST))} if MANIFEST.exists() else {}
    for part in parts:
        for r in csv.DictReader(open(part)):
            key = r["file"]
            if key in rows:
                continue
            r["half"] = half_of(r["repo"])
            rows[key] = {f: (r.get(f) or "").strip() for f in FIELDS}
    with open(MANIFEST, "w", newline="") as f:
        w = csv.DictWriter(f, FIELDS)
        w.writeheader()
        for r in sorted(rows.values(), key=lambda r: r["file"]):
            w.writerow(r)
    print(f"{len(rows)} rows in {MANIFEST}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
