"""The ``learnmech`` command: list, show and run experiments. Thin: all logic lives elsewhere.

Bad input (unknown experiment, refused config value, unreadable YAML, malformed ``--set``,
unusable ``--out``) prints one line ``error: <message>`` on stderr and exits with code 2
before anything is created; an experiment that fails midway prints ``run failed: ...`` and
exits with code 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from learnmech.experiments.config import ConfigError, config_keys
from learnmech.experiments.registry import UnknownExperimentError, all_experiments, get

app = typer.Typer(
    name="learnmech",
    help="A lab for the science of deep learning: run named experiments, write run directories.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_BAD_INPUT = (ConfigError, UnknownExperimentError)


def _fail(message: object) -> None:
    """Print ``error: <message>`` on stderr and exit with code 2."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


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
    """Print the experiment's config keys with types, defaults and accepted values."""
    try:
        found = get(experiment)
    except _BAD_INPUT as exc:
        _fail(exc)
    typer.echo(f"{found.id}: {found.description}\n")
    keys = config_keys(found.config_cls)
    width = max(len(k) for k in keys)
    for key, info in keys.items():
        typer.echo(f"{key:<{width}}  {info.type} = {info.default!r}")
        typer.echo(f"{'':<{width}}  must be {info.accepted}; {info.description}")


@app.command()
def run(
    experiment: Annotated[str, typer.Argument(help="experiment id (see `learnmech list`)")],
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="override a config key: KEY=VALUE (dotted keys, YAML values); repeatable",
    )] = None,
    config: Annotated[Path | None, typer.Option(
        "--config", help="YAML file of config keys (applied before --set)",
    )] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="the seed (applied last)")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", help="run directory (default runs/<experiment>-<timestamp>)",
    )] = None,
) -> None:
    """Run an experiment and write its run directory (config, summary, metrics, figures, report)."""
    from learnmech.runs.rundir import RunDirError, run_experiment

    try:
        run_dir = run_experiment(
            experiment, sets=set_ or (), config_file=config, seed=seed, out=out
        )
    except (*_BAD_INPUT, RunDirError) as exc:
        _fail(exc)
    except Exception as exc:  # the experiment failed midway: say what and where
        typer.echo(f"run failed: {type(exc).__name__}: {exc}", err=True)
        for note in getattr(exc, "__notes__", ()):
            typer.echo(note, err=True)
        raise typer.Exit(1) from None
    import json

    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    typer.echo(f"run directory: {run_dir}")
    width = max((len(k) for k in summary), default=0)
    for key, value in summary.items():
        typer.echo(f"  {key:<{width}}  {value}")


def main() -> None:
    """Console-script entry point (``learnmech``)."""
    app(prog_name="learnmech")


if __name__ == "__main__":
    main()
