"""The shape of storybot/: the layers in pyproject.toml hold, no import cycle, small modules."""

from __future__ import annotations

import graphlib
import shutil
import subprocess

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
    that module needs (`import storybot.pipeline` must not load the doctor or the bot)."""
    graph = grimp.build_graph("storybot", exclude_type_checking_imports=True, cache_dir=None)
    assert graph.find_modules_directly_imported_by("storybot") == set()
    pipeline = graph.find_upstream_modules("storybot.pipeline")
    assert not {m for m in pipeline if m.startswith(("storybot.doctor", "storybot.bot"))}


def test_every_module_is_under_400_lines() -> None:
    long = {
        str(path.relative_to(PROJECT_ROOT)): lines
        for path in (PROJECT_ROOT / "storybot").rglob("*.py")
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) >= MAX_LINES
    }
    assert long == {}
