"""The ``learnmech`` command: list, show and run experiments. Thin: all logic lives elsewhere.

One flag, ``--quick``, asks every command for the quick size: ``run``, ``sweep``, ``tune`` and
``compare`` apply the experiment's quick overrides (seconds to minutes of compute; ``show``
lists them; a catalogue entry's is ``size: quick``, its scorecard size), and ``verify --quick``
(its default; ``--full`` for the documented size) runs every catalogue entry at that size, so
``run mechanics.X --quick`` and ``verify --quick`` give the same numbers. Runs record
``quick: true`` in config.yaml. ``--smoke``, the older name on ``sweep`` and ``tune``, still
works (hidden, with a warning). Reports of quick results carry a banner.

Bad input -- any :class:`~learnmech.core.errors.InputError` (unknown experiment, refused config
value, unreadable YAML, malformed ``--set``, unusable ``--out``, a bad user data file) or a
malformed command line (``--seed abc``) -- prints one line ``error: <message>`` on stderr and
exits with code 2 before anything is created; one place, :class:`_Group`, does this for every
command. An experiment that fails midway prints ``run failed: ...`` and exits with code 1.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperGroup

from learnmech.core.errors import InputError
from learnmech.core.registry import all_experiments, get


def _fail(message: object) -> None:
    """Print ``error: <message>`` (one line) on stderr and exit with code 2."""
    text = " ".join(str(message).split()) or "bad input"
    typer.echo(f"error: {text}", err=True)
    raise typer.Exit(2)


class _Group(TyperGroup):
    """The command group: refused input of any command becomes one ``error:`` line, exit 2."""

    def invoke(self, ctx):  # noqa: ANN001, ANN201 - click's signature
        try:
            return super().invoke(ctx)
        except InputError as exc:
            _fail(exc)
        except typer.TyperException as exc:  # a malformed command line (click's UsageError)
            if getattr(exc, "exit_code", None) != 2 or not hasattr(exc, "format_message"):
                raise
            _fail(exc.format_message())


app = typer.Typer(
    name="learnmech",
    help="A lab for the science of deep learning: run named experiments, write run directories.",
    cls=_Group,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _seed(text: str) -> int:
    """A ``--seed`` read as an integer (its range is checked with the config); a usage error
    naming the accepted range when it is not one."""
    try:
        return int(text)
    except ValueError:
        from learnmech.core.config import MAX_SEED

        raise typer.BadParameter(f"must be an integer in [0, {MAX_SEED}]; got {text!r}") from None


@app.command("list")
def list_() -> None:
    """List every experiment id with a one-line description."""
    experiments = all_experiments()
    if not experiments:
        typer.echo("no experiments registered")
        return
    width = max(len(e.id) for e in experiments)
    for e in experiments:
        typer.echo(f"{e.id:<{width}}  {e.description}")


@app.command()
def show(experiment: Annotated[str, typer.Argument(help="experiment id")]) -> None:
    """Print the experiment's references, quick size and config keys (type in words, default,
    description)."""
    from learnmech.core.describe import key_fields, type_in_words

    found = get(experiment)
    typer.echo(f"{found.id}: {found.description}\n")
    if found.references:
        typer.echo("references:")
        for i, reference in enumerate(found.references, 1):
            typer.echo(f"  {i}. {reference}")
        typer.echo("")
    if found.quick_overrides:
        quick = ", ".join(f"{k}={_yaml_text(v)}" for k, v in found.quick_overrides.items())
        typer.echo(f"quick size (--quick): {quick}\n")
    fields = key_fields(found.config_cls)
    width = max(len(k) for k in fields)
    typer.echo("config keys (set with --set KEY=VALUE):")
    for key, info in fields.items():
        default = _yaml_text(info.get_default(call_default_factory=True))
        typer.echo(f"{key:<{width}}  {type_in_words(info)}; default {default}")
        if info.description:
            typer.echo(f"{'':<{width}}  {info.description}")


def _yaml_text(value: object) -> str:
    """A value as it is written after ``--set KEY=`` (YAML flow style: [2, 4], relu, null)."""
    import yaml

    if isinstance(value, tuple):
        value = [list(v) if isinstance(v, tuple) else v for v in value]
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10**6)
    return text.strip().removesuffix("...").strip()


@app.command()
def run(
    experiment: Annotated[str, typer.Argument(help="experiment id (see `learnmech list`)")],
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="override a config key: KEY=VALUE (dotted keys, YAML values); repeatable",
    )] = None,
    config: Annotated[Path | None, typer.Option(
        "--config", help="YAML file of config keys (applied before --set)",
    )] = None,
    seed: Annotated[int | None, typer.Option(
        "--seed", parser=_seed, help="the seed, an integer in [0, 2³² − 1] (applied last)",
    )] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", help="run directory (default runs/<experiment>-<timestamp>)",
    )] = None,
    quick: Annotated[bool, typer.Option(
        "--quick", help="the quick size: apply the experiment's quick overrides (see `show`; "
                        "after --config, before --set)",
    )] = False,
) -> None:
    """Run an experiment and write its run directory (config, summary, metrics, figures, report)."""
    from learnmech.runs.rundir import run_experiment

    try:
        with _terminate_cleanly():
            run_dir = run_experiment(
                experiment, sets=set_ or (), config_file=config, seed=seed, out=out, quick=quick,
            )
    except Exception as exc:
        if isinstance(exc, InputError) and not getattr(exc, "__notes__", None):
            raise  # refused before any work: one error line, exit 2 (_Group)
        _failed("run", exc)
    import json

    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    typer.echo(f"run directory: {run_dir}")
    width = max((len(k) for k in summary), default=0)
    for key, value in summary.items():
        typer.echo(f"  {key:<{width}}  {value}")


def _failed(what: str, exc: BaseException) -> None:
    """An experiment failed midway: say what and where (its notes) and exit with code 1."""
    typer.echo(f"{what} failed: {type(exc).__name__}: {exc}", err=True)
    for note in getattr(exc, "__notes__", ()):
        typer.echo(note, err=True)
    raise typer.Exit(1) from None


@contextlib.contextmanager
def _terminate_cleanly() -> Iterator[None]:
    """Within the block, SIGTERM raises SystemExit(143), so a run's partial folder is removed."""
    import signal

    def _exit(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    try:
        previous = signal.signal(signal.SIGTERM, _exit)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _quick(quick: bool, smoke: bool) -> bool:
    """The quick size from ``--quick`` or its older name ``--smoke`` (which warns)."""
    if smoke:
        typer.echo("warning: --smoke is now called --quick; --smoke will be removed", err=True)
    return quick or smoke


def _command_line() -> str:
    """This process's command line, shell-quoted, as recorded in run directories."""
    import shlex
    import sys

    return " ".join(shlex.quote(a) for a in ["learnmech", *sys.argv[1:]])


@app.command()
def sweep(
    experiment: Annotated[str, typer.Argument(help="experiment id (see `learnmech list`)")],
    grid: Annotated[list[str] | None, typer.Option(
        "--grid", help="a swept key: KEY=V1,V2,... (values read as YAML); repeatable",
    )] = None,
    seeds: Annotated[str, typer.Option("--seeds", help="seeds: 0-9, 0,3,7 or 0-4,10")] = "0",
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="a fixed override for every run: KEY=VALUE; repeatable",
    )] = None,
    config: Annotated[Path | None, typer.Option("--config", help="YAML config for every run")]
    = None,
    quick: Annotated[bool, typer.Option(
        "--quick", help="the quick size: apply the experiment's quick overrides to every run",
    )] = False,
    smoke: Annotated[bool, typer.Option("--smoke", hidden=True)] = False,
    executor: Annotated[str, typer.Option(
        "--executor", help="local (processes), dask, ray, or inline (this process, debugging)",
    )] = "local",
    address: Annotated[str | None, typer.Option(
        "--address", help="cluster address for dask (tcp://host:8786) or ray",
    )] = None,
    workers: Annotated[int | None, typer.Option(
        "--workers", help="worker processes (default: every core)",
    )] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", help="sweep directory (default runs/sweep-<experiment>-<hash>)",
    )] = None,
) -> None:
    """Run an experiment over a grid of settings and seeds; resumable; writes sweep.csv."""
    from learnmech.runs.executors import make_executor
    from learnmech.runs.sweep import plan_sweep, run_sweep

    plan = plan_sweep(experiment, grid=grid or (), seeds=seeds, sets=set_ or (),
                      smoke=_quick(quick, smoke), config_file=config, out=out)
    pool = make_executor(executor, address=address, workers=workers)
    with pool:
        result = run_sweep(plan, pool, command=_command_line())
    typer.echo(f"sweep directory: {result.out}")
    typer.echo(f"  runs finished now: {result.finished}; already finished: {result.skipped}; "
               f"failed: {len(result.failed)} ({result.seconds:.1f} s, {pool.describe()})")
    typer.echo(f"  table: {result.out / 'sweep.csv'}")
    typer.echo(f"  report: {result.out / 'report.html'}")
    for failure in result.failed:
        typer.echo(f"run failed: {failure.out}: {failure.error}", err=True)
    if failure_count := len(result.failed):
        typer.echo(f"{failure_count} run(s) failed; rerun the same command to retry them",
                   err=True)
        raise typer.Exit(1)


@app.command()
def tune(
    experiment: Annotated[str, typer.Argument(help="experiment id (see `learnmech list`)")],
    param: Annotated[list[str] | None, typer.Option(
        "--param", help="a searched key: KEY=LOW:HIGH[:log] or KEY=A,B,...; repeatable",
    )] = None,
    metric: Annotated[str, typer.Option("--metric", help="numeric summary key to optimise")]
    = "",
    direction: Annotated[str, typer.Option("--direction", help="minimize or maximize")]
    = "minimize",
    trials: Annotated[int, typer.Option("--trials", help="trials this process runs")] = 20,
    storage: Annotated[str | None, typer.Option(
        "--storage", help="Optuna storage URL (default sqlite:///<out>/study.db)",
    )] = None,
    study: Annotated[str | None, typer.Option("--study", help="study name (default derived)")]
    = None,
    seed: Annotated[int, typer.Option("--seed", parser=_seed,
                                      help="experiment seed of every trial")] = 0,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="a fixed override for every trial: KEY=VALUE; repeatable",
    )] = None,
    config: Annotated[Path | None, typer.Option("--config", help="YAML config for every trial")]
    = None,
    quick: Annotated[bool, typer.Option(
        "--quick", help="the quick size: apply the experiment's quick overrides to every trial",
    )] = False,
    smoke: Annotated[bool, typer.Option("--smoke", hidden=True)] = False,
    keep: Annotated[str, typer.Option("--keep", help="trial run dirs kept: best or all")]
    = "best",
    executor: Annotated[str, typer.Option(
        "--executor", help="local (processes), dask, ray, or inline (this process, debugging)",
    )] = "local",
    address: Annotated[str | None, typer.Option("--address", help="dask or ray cluster")]
    = None,
    workers: Annotated[int | None, typer.Option("--workers", help="trials at once")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", help="tune directory (default runs/tune-<study>)",
    )] = None,
) -> None:
    """Search hyperparameters with Optuna; trials are runs; the best run is kept."""
    from learnmech.runs.executors import make_executor
    from learnmech.runs.tune import plan_tune, run_tune

    plan = plan_tune(experiment, params=param or (), metric=metric, direction=direction,
                     trials=trials, storage=storage, study=study, seed=seed,
                     sets=set_ or (), smoke=_quick(quick, smoke), config_file=config,
                     out=out, keep=keep)
    pool = make_executor(executor, address=address, workers=workers)
    with pool:
        result = run_tune(plan, pool, command=_command_line())
    typer.echo(f"tune directory: {result.out}")
    typer.echo(f"  study {result.study}: {result.trials_total} trials in all; this process ran "
               f"{result.ran} ({len(result.failed)} failed) in {result.seconds:.1f} s")
    if result.best:
        typer.echo(f"  best: trial {result.best['number']}, {plan.metric} = "
                   f"{result.best['value']:.6g}, params {result.best['params']}")
        if result.best.get("run"):
            typer.echo(f"  best run: {result.out / result.best['run']}")
    typer.echo(f"  report: {result.out / 'report.html'}")
    for failure in result.failed:
        typer.echo(f"trial failed: {failure}", err=True)


@app.command()
def report(
    dirs: Annotated[list[Path], typer.Argument(help="run, sweep or tune directories")],
    out: Annotated[Path | None, typer.Option(
        "--out", help="HTML file (default <dir>/report.html, or index.html for several)",
    )] = None,
) -> None:
    """Build one self-contained HTML page from run, sweep and tune directories."""
    from learnmech.report.html import build_report

    path = build_report(list(dirs), out)
    typer.echo(f"report: {path}")


@app.command()
def compare(
    phenomenon: Annotated[str, typer.Argument(help="phenomenon, e.g. label-noise (all lenses)")],
    quick: Annotated[bool, typer.Option(
        "--quick", help="the quick size: apply each lens's quick overrides")] = False,
    out: Annotated[Path | None, typer.Option(
        "--out", help="output directory (default runs/compare-<phenomenon>-<timestamp>)")] = None,
    seed: Annotated[int | None, typer.Option("--seed", parser=_seed,
                                             help="seed for every lens")] = None,
) -> None:
    """Run every lens of a phenomenon and write agree/disagree verdicts per claim."""
    from learnmech.runs.compare import run_compare

    try:
        found = run_compare(phenomenon, quick=quick, out=out, seed=seed)
    except Exception as exc:
        if isinstance(exc, InputError) and not getattr(exc, "__notes__", None):
            raise  # refused before any work: one error line, exit 2 (_Group)
        _failed("compare", exc)
    typer.echo((found / "notes.md").read_text(encoding="utf-8").rstrip())
    typer.echo(f"comparison directory: {found}")


@app.command()
def verify(
    only: Annotated[str | None, typer.Option(
        "--only", help="comma-separated entry ids (default: every entry)",
    )] = None,
    quick: Annotated[bool, typer.Option(
        "--quick/--full", help="the quick size (the scorecard's, default) or the full size",
    )] = True,
    out: Annotated[Path | None, typer.Option(
        "--out", help="output directory (default runs/verify-<timestamp>)",
    )] = None,
) -> None:
    """Run the mechanics catalogue and print the scorecard; write it as HTML with its figures."""
    from learnmech.runs.verify import scorecard_text
    from learnmech.runs.verify import verify as run_verify

    ids = [part.strip() for part in only.split(",") if part.strip()] if only else None
    scores, folder = run_verify(ids, size="quick" if quick else "full", out=out)
    typer.echo(scorecard_text(scores))
    typer.echo(f"scorecard: {folder / 'scorecard.html'}")
    for score in scores:
        if score.error:
            typer.echo(f"entry failed: {score.id}: {score.error}", err=True)
    if any(score.error for score in scores):
        raise typer.Exit(1)


def main() -> None:
    """Console-script entry point (``learnmech``)."""
    app(prog_name="learnmech")


if __name__ == "__main__":
    main()
