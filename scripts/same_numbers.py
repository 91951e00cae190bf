"""Compare the numbers of two trees of run directories (before and after a refactor).

Usage::

    python scripts/same_numbers.py BEFORE_DIR AFTER_DIR

Finds every ``summary.json`` and ``metrics.csv`` under BEFORE_DIR, reads the file at the same
relative path under AFTER_DIR, and reports each value that differs (wall-clock keys such as
``*seconds*`` and ``elapsed`` aside; floats compared exactly). Exits 1 when anything differs or
is missing, so "same seed, same numbers" is a command, not a claim.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

#: Keys that hold wall-clock time or paths, which differ between any two runs.
VOLATILE = ("seconds", "elapsed", "wall", "duration", "path", "_dir", "command", "timestamp")


def _volatile(key: str) -> bool:
    return any(word in key for word in VOLATILE)


def _summary_diffs(before: Path, after: Path) -> list[str]:
    old, new = json.loads(before.read_text()), json.loads(after.read_text())
    diffs = [f"{key}: {old.get(key)!r} -> {new.get(key)!r}"
             for key in sorted(set(old) | set(new))
             if not _volatile(key) and old.get(key) != new.get(key)]
    return diffs


def _metrics_diffs(before: Path, after: Path) -> list[str]:
    with before.open(newline="") as a, after.open(newline="") as b:
        old, new = list(csv.DictReader(a)), list(csv.DictReader(b))
    if len(old) != len(new):
        return [f"{len(old)} rows -> {len(new)} rows"]
    diffs = []
    for i, (row_a, row_b) in enumerate(zip(old, new, strict=True)):
        if _volatile(str(row_a.get("metric", ""))):
            continue
        keys = {k for k in set(row_a) | set(row_b) if not _volatile(k)}
        if any(row_a.get(k) != row_b.get(k) for k in keys):
            diffs.append(f"row {i}: {row_a} -> {row_b}")
    return diffs[:5] + ([f"... {len(diffs) - 5} more rows"] if len(diffs) > 5 else [])


def main(argv: list[str]) -> int:
    before_root, after_root = Path(argv[0]), Path(argv[1])
    compared, bad = 0, 0
    for before in sorted(before_root.rglob("*")):
        if before.name not in ("summary.json", "metrics.csv"):
            continue
        rel = before.relative_to(before_root)
        after = after_root / rel
        if not after.exists():
            print(f"MISSING {rel}")
            bad += 1
            continue
        diffs = (_summary_diffs if before.suffix == ".json" else _metrics_diffs)(before, after)
        compared += 1
        if diffs:
            bad += 1
            print(f"DIFFERS {rel}")
            for line in diffs:
                print(f"    {line}")
    print(f"{compared} files compared, {bad} differ or are missing")
    return 1 if bad or not compared else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
