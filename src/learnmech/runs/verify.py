"""``learnmech verify``: run the mechanics catalogue, print the scorecard, write it as HTML.

Each entry runs through the ordinary run layer (:func:`learnmech.runs.run_experiment`) as
``mechanics.<id>`` with ``size`` set, into ``<out>/<id>/`` (the full run contract); the
scorecard (entry, kind, claim, agreement ± standard error, tolerance, verdict, seconds,
references) is then written beside them as ``scorecard.html`` (figures embedded, each entry's
references in its row and its section, a banner at the quick size), ``scorecard.csv`` and
``scorecard.txt``. Verdicts are the catalogue's four
(:data:`learnmech.mechanics.catalogue.VERDICTS`: holds, fails, inconclusive, out of regime); a
consistency check (an identity true by construction) is marked as such, apart from the
predictions. A failing verdict is a result; an entry that raises is recorded with verdict
``"error"`` and the others still run.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from learnmech.core.atomic import atomic_write_text
from learnmech.core.errors import InputError

__all__ = ["Score", "VerifyError", "render_scorecard", "scorecard_text", "verify"]


class VerifyError(InputError):
    """Bad input to :func:`verify` (unknown entry id, unusable output directory)."""


@dataclass(frozen=True)
class Score:
    """One row of the scorecard.

    Attributes
    ----------
    id, claim, tolerance : str
    agreement : float or None
    verdict : str
        ``holds`` / ``fails`` / ``inconclusive`` / ``out of regime`` / ``error``.
    seconds : float
        Wall time of the entry's run (seconds).
    run_dir : Path
    error : str
        The exception, for verdict ``error``; empty otherwise.
    stderr : float or None
        Standard error of the agreement (None: exact or a single run).
    kind : str
        ``prediction`` or ``consistency check``.
    references : tuple of str
    """

    id: str
    claim: str
    agreement: float | None
    tolerance: str
    verdict: str
    seconds: float
    run_dir: Path
    error: str = ""
    stderr: float | None = None
    kind: str = "prediction"
    references: tuple[str, ...] = ()


def verify(only: Sequence[str] | None = None, *, size: str = "quick",
           out: str | Path | None = None, progress: bool = True) -> tuple[list[Score], Path]:
    """Run the chosen entries (all by default) at ``size`` and write the scorecard.

    Returns
    -------
    (scores, out)
        The rows in the issue's order and the directory written.

    Raises
    ------
    VerifyError
        An id that is no entry, a bad size, or an ``out`` that exists and is not empty.
    """
    import json

    from learnmech.mechanics.catalogue import all_entries
    from learnmech.runs.rundir import run_experiment

    if size not in ("quick", "full"):
        raise VerifyError(f"size must be 'quick' or 'full'; got {size!r}")
    known = {e.id: e for e in all_entries()}
    chosen = list(known) if not only else list(dict.fromkeys(only))
    unknown = [i for i in chosen if i not in known]
    if unknown:
        raise VerifyError(f"--only: unknown entries {', '.join(unknown)}; known entries: "
                          f"{', '.join(known)}")
    out = Path(out) if out is not None else Path("runs") / (
        f"verify-{datetime.now().strftime('%Y%m%d-%H%M%S')}")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise VerifyError(f"--out {str(out)!r} exists and is not an empty directory")
    out.mkdir(parents=True, exist_ok=True)
    scores = []
    for entry_id in chosen:
        entry = known[entry_id]
        run_dir = out / entry_id
        if progress:
            print(f"[verify] {entry_id} ({size}) ...", flush=True)
        start = time.perf_counter()
        try:
            quick = size == "quick"  # the entry's quick size is its scorecard size
            run_experiment(f"mechanics.{entry_id}", overrides={"size": size}, quick=quick,
                           out=run_dir, command=f"learnmech run mechanics.{entry_id} "
                           + ("--quick" if quick else f"--set size={size}"))
            found = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
            score = Score(entry_id, entry.claim, found.get("agreement"), found["tolerance"],
                          found["verdict"], time.perf_counter() - start, run_dir,
                          stderr=found.get("stderr"), kind=entry.kind,
                          references=entry.references)
        except Exception as exc:  # one broken entry must not hide the others
            score = Score(entry_id, entry.claim, None, entry.tolerance.text, "error",
                          time.perf_counter() - start, run_dir, f"{type(exc).__name__}: {exc}",
                          kind=entry.kind, references=entry.references)
        scores.append(score)
    atomic_write_text(out / "scorecard.txt", scorecard_text(scores) + "\n")
    atomic_write_text(out / "scorecard.csv", _csv(scores))
    atomic_write_text(out / "scorecard.html", render_scorecard(scores, size=size))
    return scores, out


TALLY = ("holds", "fails", "inconclusive", "out of regime", "error")


def scorecard_text(scores: Sequence[Score]) -> str:
    """The scorecard as a fixed-width table (entry, agreement ± s.e., tolerance, verdict,
    seconds); a consistency check is marked ``[check]`` after its id and tallied apart."""
    header = ("entry", "agreement", "tolerance", "verdict", "time (s)")
    rows = [(s.id + (" [check]" if s.kind != "prediction" else ""),
             _fmt(s.agreement, s.stderr), s.tolerance, s.verdict, f"{s.seconds:.1f}")
            for s in scores]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
             for r in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append(_tally(scores))
    return "\n".join(lines)


def _tally(scores: Sequence[Score]) -> str:
    """'24 entries: N holds, …; consistency checks: …; T s' (predictions and checks apart)."""
    predictions = [s for s in scores if s.kind == "prediction"]
    checks = [s for s in scores if s.kind != "prediction"]

    def count(group):
        return ", ".join(f"{sum(s.verdict == v for s in group)} {v}" for v in TALLY)

    total = sum(s.seconds for s in scores)
    text = f"{len(scores)} entries: {len(predictions)} predictions: {count(predictions)}"
    if checks:
        text += f"; {len(checks)} consistency check(s): " + ", ".join(
            f"{sum(s.verdict == v for s in checks)} {v}" for v in TALLY
            if any(s.verdict == v for s in checks))
    return text + f"; {total:.1f} s"


def render_scorecard(scores: Sequence[Score], *, size: str = "quick") -> str:
    """A self-contained HTML page: the scorecard table, then each entry's claim and figures."""
    import base64
    import html

    colour = {"holds": "#1a7f37", "fails": "#cf222e", "inconclusive": "#0969da",
              "out of regime": "#9a6700", "error": "#6e7781"}
    rows, sections = [], []
    for s in scores:
        refs = html.escape("; ".join(s.references))
        rows.append(
            f"<tr><td><a href='#{s.id}'>{html.escape(s.id)}</a></td>"
            f"<td>{html.escape(s.kind)}</td>"
            f"<td>{html.escape(s.claim)}</td><td>{html.escape(_fmt(s.agreement, s.stderr))}</td>"
            f"<td>{html.escape(s.tolerance)}</td>"
            f"<td style='color:{colour.get(s.verdict, '#000')};font-weight:600'>"
            f"{html.escape(s.verdict)}</td><td>{s.seconds:.1f}</td><td>{refs}</td></tr>")
        figures = sorted((s.run_dir / "figures").glob("*.png")) \
            if (s.run_dir / "figures").is_dir() else []
        images = "".join(
            f"<figure><img alt='{html.escape(p.stem)}' src='data:image/png;base64,"
            f"{base64.b64encode(p.read_bytes()).decode()}'/><figcaption>{html.escape(p.stem)}"
            f"</figcaption></figure>" for p in figures)
        notes = s.run_dir / "notes.md"
        note = f"<p>{html.escape(notes.read_text(encoding='utf-8'))}</p>" if notes.exists() \
            else ""
        error = f"<pre>{html.escape(s.error)}</pre>" if s.error else ""
        sections.append(f"<section id='{s.id}'><h2>{html.escape(s.id)}: "
                        f"{html.escape(s.verdict)}</h2><p>{html.escape(s.claim)} "
                        f"<em>({html.escape(s.kind)})</em></p>"
                        f"<p>References: {html.escape('; '.join(s.references))}</p>{note}"
                        f"{error}{images}</section>")
    style = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
             "table{border-collapse:collapse;font-size:13px}td,th{border-bottom:1px solid #ddd;"
             "padding:4px 8px;text-align:left;vertical-align:top}img{max-width:100%}"
             "figure{margin:1em 0}figcaption{font-size:12px;color:#555}")
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>learnmech verify "
            f"({size})</title><style>{style}</style></head><body>"
            f"<h1>Mechanics catalogue scorecard ({size} size)</h1>{_size_banner(size)}"
            f"<p>{html.escape(scorecard_text(scores).splitlines()[-1])}</p>"
            "<p>Verdicts: holds / fails / inconclusive (agreement ± 2 s.e. straddles the "
            "tolerance) / out of regime (a measured quantity left the claim's regime). A "
            "consistency check is an identity, not a prediction.</p>"
            "<table><tr><th>entry</th><th>kind</th><th>claim</th><th>agreement ± s.e.</th>"
            "<th>tolerance</th><th>verdict</th><th>time (s)</th><th>references</th></tr>"
            f"{''.join(rows)}</table>"
            f"{''.join(sections)}</body></html>")


def _size_banner(size: str) -> str:
    """A visible note on a scorecard computed at the quick size (empty at full size)."""
    if size != "quick":
        return ""
    return ("<p style='background:#fff1c2;border:2px solid #d4a72c;border-radius:6px;"
            "padding:.6em 1em'><strong>Quick size.</strong> Every entry ran at its quick size "
            "(seconds to minutes each, to check that everything runs): the numbers are rough and "
            "some verdicts differ from the documented ones, which come from "
            "<code>learnmech verify --full</code>.</p>")


def _csv(scores: Sequence[Score]) -> str:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["entry", "agreement", "stderr", "tolerance", "verdict", "seconds", "kind",
                     "claim", "references"])
    for s in scores:
        writer.writerow([s.id, "" if s.agreement is None else repr(s.agreement),
                         "" if s.stderr is None else repr(s.stderr), s.tolerance, s.verdict,
                         f"{s.seconds:.2f}", s.kind, s.claim, "; ".join(s.references)])
    return buffer.getvalue()


def _fmt(value: float | None, stderr: float | None = None) -> str:
    if value is None:
        return "—"
    return f"{value:.3g}" + ("" if stderr is None else f" ± {stderr:.2g}")
