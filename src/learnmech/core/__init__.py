"""The contract every room stands on; imports nothing else of learnmech.

config sections and the one message shape, the run :class:`~learnmech.core.result.Result`, the
experiment registry (discovery), the error family, seeding, atomic writes, progress bars and the
lazy-exports helper.
"""
