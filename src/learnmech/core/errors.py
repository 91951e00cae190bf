"""The one family of learnmech errors.

Every error learnmech raises on purpose derives from :class:`LearnmechError`. Refused input — a
config value, a command-line argument, a user data file, an output directory, a function
argument out of its range — is an :class:`InputError` (also a :class:`ValueError`, so
``except ValueError`` keeps working); the CLI catches this one type and exits with code 2 and
one ``error:`` line. :class:`UnavailableError` is for what the machine lacks (a data set's files,
an optional package), not for what the caller asked.
"""

from __future__ import annotations

__all__ = ["InputError", "LearnmechError", "UnavailableError"]


class LearnmechError(Exception):
    """The base of every error learnmech raises on purpose."""


class InputError(LearnmechError, ValueError):
    """An input was refused before any work; ``str(error)`` names the input and its range."""


class UnavailableError(LearnmechError, RuntimeError):
    """Something this machine lacks (files, a package); the message says what to install."""
