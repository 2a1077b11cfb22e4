"""Where the project's own files are (grammars/, workflows/), wherever it is run from.

In a checkout they are the top-level folders the operator edits; an installed wheel carries
them as `storybot/grammars` and `storybot/workflows`, found through `importlib.resources`."""

from importlib.resources import files
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def project_dir(name: str) -> Path:
    """The checkout's `name/` folder, or the installed package's copy of it."""
    checkout = PROJECT_ROOT / name
    if checkout.is_dir():
        return checkout
    return Path(str(files("storybot").joinpath(name)))


GRAMMARS_DIR = project_dir("grammars")
WORKFLOWS_DIR = project_dir("workflows")


def project_file(path: Path) -> Path:
    """A relative `grammars/…` or `workflows/…` path means the project's own file when it is
    not found from where the program runs."""
    if path.is_absolute() or path.exists():
        return path
    for root in (PROJECT_ROOT, Path(str(files("storybot")))):
        if (root / path).exists():
            return root / path
    return path
