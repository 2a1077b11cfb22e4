"""Where the project's own files are (grammars/, workflows/), wherever it is run from."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
