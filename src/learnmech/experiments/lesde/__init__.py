"""The LE-SDE lens (Zhang, Wang & Su 2021): one module an experiment, its id from its path."""
