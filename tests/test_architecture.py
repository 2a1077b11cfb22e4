"""The shape of storybot/: the layers in pyproject.toml hold, no import cycle, small modules,
private names stay in their package, and an installed wheel finds its grammars and workflows."""

from __future__ import annotations

import ast
import graphlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

from storybot.config import PROJECT_ROOT

MAX_LINES = 400


@pytest.mark.skipif(
    shutil.which("lint-imports") is None, reason="import-linter is in the test extra"
)
def test_the_import_linter_contracts_are_kept() -> None:
    result = subprocess.run(
        ["lint-imports", "--config", "pyproject.toml", "--no-cache"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_no_import_cycle_in_storybot() -> None:
    """Imports inside functions count (a cycle dodged that way is still one); TYPE_CHECKING
    imports do not, since they never run."""
    graph = grimp.build_graph("storybot", exclude_type_checking_imports=True, cache_dir=None)
    imports = {module: graph.find_modules_directly_imported_by(module) for module in graph.modules}
    try:
        graphlib.TopologicalSorter(imports).prepare()
    except graphlib.CycleError as exc:
        pytest.fail(f"import cycle: {' -> '.join(exc.args[1])}")


def test_the_package_root_imports_nothing_of_its_own() -> None:
    """`storybot/__init__.py` stays empty of imports, so importing any module loads only what
    that module needs (`import storybot.books.pipeline` must not load the doctor or the bot)."""
    graph = grimp.build_graph("storybot", exclude_type_checking_imports=True, cache_dir=None)
    assert graph.find_modules_directly_imported_by("storybot") == set()
    pipeline = graph.find_upstream_modules("storybot.books.pipeline")
    assert not {m for m in pipeline if m.startswith(("storybot.doctor", "storybot.bot"))}


def test_every_module_is_under_400_lines() -> None:
    long = {
        str(path.relative_to(PROJECT_ROOT)): lines
        for path in (PROJECT_ROOT / "storybot").rglob("*.py")
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) >= MAX_LINES
    }
    assert long == {}


def _private_imports(path: Path) -> list[tuple[str, str]]:
    """(module, name) of every `from storybot… import …` and `import storybot…` in a file,
    with name "" for a whole module."""
    found: list[tuple[str, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("storybot"):
            found += [(node.module, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(a.name, "") for a in node.names if a.name.startswith("storybot")]
    return found


def _owner(module: str, name: str) -> str | None:
    """The package a private part belongs to: `storybot.safety._english` → `storybot.safety`;
    a private name of a module belongs to the module's package."""
    parts = module.split(".")
    for index, part in enumerate(parts):
        if part.startswith("_") and not part.startswith("__"):
            return ".".join(parts[:index])
    if name.startswith("_") and not name.startswith("__"):
        is_package = (PROJECT_ROOT / Path(*parts)).is_dir()
        return module if is_package else ".".join(parts[:-1])
    return None


def test_nothing_outside_a_package_imports_its_private_names() -> None:
    """A module or name that starts with `_` is its package's own: tests, the bench and other
    packages use what the package exports."""
    offenders = []
    for folder in ("storybot", "tests", "bench", "redteam"):
        for path in (PROJECT_ROOT / folder).rglob("*.py"):
            here = ".".join(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
            for module, name in _private_imports(path):
                owner = _owner(module, name)
                if owner is not None and not (here + ".").startswith(owner + "."):
                    offenders.append(f"{here}: {module} {name}".strip())
    assert offenders == []


def test_an_installed_wheel_finds_its_grammars_and_workflows(tmp_path: Path) -> None:
    """Not every operator runs from a checkout: `pip install storybot-….whl` must carry
    grammars/ and workflows/ and find them through importlib.resources."""
    wheels, target = tmp_path / "wheels", tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheels),
            str(PROJECT_ROOT),
        ],
        check=True,
        timeout=300,
        capture_output=True,
    )
    (wheel,) = wheels.glob("storybot-*.whl")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        timeout=300,
        capture_output=True,
    )
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from storybot.paths import GRAMMARS_DIR, WORKFLOWS_DIR;"
        "print(GRAMMARS_DIR); print(WORKFLOWS_DIR)"
    )
    # -S: no site-packages, so neither the checkout's editable install nor its folder is seen.
    out = subprocess.run(
        [sys.executable, "-S", "-c", code, str(target)],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    ).stdout.split()
    grammars, workflows = Path(out[0]), Path(out[1])
    assert grammars.is_relative_to(target) and workflows.is_relative_to(target)
    shipped = sorted(p.name for p in grammars.glob("*.gbnf"))
    assert shipped == sorted(p.name for p in (PROJECT_ROOT / "grammars").glob("*.gbnf"))
    assert (workflows / "flux_schnell.json").read_bytes() == (
        PROJECT_ROOT / "workflows" / "flux_schnell.json"
    ).read_bytes()
    assert (workflows / "styles.json").is_file()
