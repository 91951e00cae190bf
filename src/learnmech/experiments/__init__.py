"""Named experiments: a validated config and ``run(config) -> Result``, in one registry.

Importing this package loads pydantic only; see :mod:`.registry` for the list of experiments.
"""
