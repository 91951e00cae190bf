"""The network lens's experiments: one module an experiment, its id from its path."""
