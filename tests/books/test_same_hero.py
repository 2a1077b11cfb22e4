"""Issue 23: the same hero on every page, and the next book with the same friends.

A whole book through the FLUX.1 Kontext reference workflow on the protocol-true fake ComfyUI:
the cover is painted first, on its own, and uploaded (`POST /upload/image`) as the book's
reference; every other page's graph names the uploaded file in its `reference` LoadImage. A
sequel keeps the character sheet, the characters, the style and paints every page after the
earlier book's cover, and its writer is told what happened in the earlier book.
"""

from __future__ import annotations

from typing import Any

from storybot.books import BookMaker
from storybot.models import Done
from storybot.paths import WORKFLOWS_DIR
from tests.books.test_book_runs import assert_free, collect
from tests.support.fake_comfyui import FakeComfyUI
from tests.support.fake_llama_server import FakeLlamaServer, Reply
from tests.support.stories import dumps, request, story

KONTEXT = WORKFLOWS_DIR / "flux_kontext_reference.json"
NEXT_ADVENTURE = [
    "눈 내린 궁궐에서 다시 만난 호랑이와 토끼",
    "하얀 눈이 소복소복 내린 아침이었어요. 토끼가 호랑이네 문을 똑똑 두드렸어요.",
    "둘은 썰매를 끌고 뒷산으로 갔어요. 호랑이가 앞에서 썰매를 끌어 주었지요.",
    "내리막길에서 썰매가 쌩쌩 달렸어요. 토끼는 신이 나서 깔깔 웃었답니다.",
    "해가 질 무렵 둘은 따뜻한 차를 나눠 마셨어요. 겨울 소풍은 정말 즐거웠어요.",
]


def reference_of(graph: dict[str, Any]) -> str | None:
    """The image the graph's node titled `reference` loads (None: painted without one)."""
    for node in graph.values():
        if node.get("_meta", {}).get("title") == "reference":
            return node["inputs"]["image"]
    return None


def page_of(body: dict[str, Any], texts: list[str]) -> int:
    graph = body["prompt"]
    words = " ".join(
        str(node["inputs"].get("text", "")) for node in graph.values() if "inputs" in node
    )
    return next(i for i, prompt in enumerate(texts) if prompt in words)


async def test_every_page_is_painted_after_the_cover_and_a_sequel_after_the_first_book(
    served_makers, comfy: FakeComfyUI, llama_server: FakeLlamaServer
) -> None:
    first, second = story(), story()
    second["title"] = "호랑이와 토끼의 겨울 소풍"
    second["character_sheet"] = "a different sheet the model wrote: it must not be kept"
    for page, text in zip(second["pages"], NEXT_ADVENTURE, strict=True):
        page["text"] = text
    llama_server.replies = [Reply(dumps(first)), Reply(dumps(second))]
    maker: BookMaker = served_makers(
        comfy.url, llama_server.url, comfyui_workflow=KONTEXT, book_video=False, image_steps=2
    )
    done = (await collect(maker.submit(request(), requester_id=1).events()))[-1]
    assert isinstance(done, Done), done
    run_id = done.book.run_id
    name = f"storybot/storybot-{run_id}-reference.png"
    prompts = [page["image_prompt"] for page in first["pages"]]
    by_page = {page_of(body, prompts): body for body in comfy.prompts}
    assert sorted(by_page) == [0, 1, 2, 3, 4]
    assert reference_of(by_page[0]["prompt"]) is None  # the cover is the reference
    for page in range(1, 5):
        assert reference_of(by_page[page]["prompt"]) == name, page
    cover = done.book.images[0]
    assert cover is not None
    [upload] = [u for u in comfy.uploads if u["name"] == name.split("/")[1]]
    assert upload["data"] == cover.read_bytes()  # what was shared is the book's cover
    assert comfy.log.index(("upload", name)) < comfy.log.index(("prompt", by_page[1]["prompt_id"]))
    assert_free(maker, 1)

    # The next adventure: the same friends, sheet and style, after the first book's cover.
    painted = len(comfy.prompts)
    sequel = maker.sequel_request(run_id, requester_id=1, topic="겨울 소풍")
    assert sequel.characters == request().characters and sequel.style == request().style
    events = await collect(maker.submit(sequel, requester_id=1).events())
    again = events[-1]
    assert isinstance(again, Done), again
    assert again.book.story.character_sheet == first["character_sheet"]
    asked = [r["messages"][-1]["content"] for r in llama_server.requests]
    told = [m for m in asked if m.startswith("그림책을 써 주세요")][-1]  # the sequel's story
    assert f"「{first['title']}」의 다음 이야기" in told
    assert first["character_sheet"] in told
    sequel_name = f"storybot/storybot-{again.book.run_id}-reference.png"
    bodies = comfy.prompts[painted:]
    assert len(bodies) == 5 and all(reference_of(b["prompt"]) == sequel_name for b in bodies)
    shared = [u for u in comfy.uploads if u["name"] == sequel_name.split("/")[1]]
    assert shared and shared[-1]["data"] == cover.read_bytes()  # the first book's cover
    assert_free(maker, 1)
