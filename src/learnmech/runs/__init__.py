"""Run directories: run an experiment and write the run contract (see :mod:`.rundir`)."""

from learnmech.runs.rundir import (
    RunDirError,
    default_run_dir,
    package_versions,
    run_experiment,
    write_config,
    write_run_dir,
)

__all__ = [
    "RunDirError",
    "default_run_dir",
    "package_versions",
    "run_experiment",
    "write_config",
    "write_run_dir",
]
