"""The theory lens's experiments: one module an experiment, its id from its path."""
