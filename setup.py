"""grammars/ and workflows/ stay at the top of a checkout (they are the operator's to edit) and
ship inside the wheel as `storybot/grammars` and `storybot/workflows` (see storybot/paths.py).
Everything else about the package is in pyproject.toml."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["storybot*"]), "storybot.grammars", "storybot.workflows"],
    package_dir={"storybot.grammars": "grammars", "storybot.workflows": "workflows"},
    package_data={"storybot.grammars": ["*.gbnf"], "storybot.workflows": ["*.json", "*.md"]},
)
