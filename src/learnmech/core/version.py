"""The package version, in the bottom layer so run directories can record it."""

__version__ = "0.1.0"
