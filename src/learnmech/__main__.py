"""``python -m learnmech``: the same as the ``learnmech`` command."""

from learnmech.cli import main

if __name__ == "__main__":
    main()
