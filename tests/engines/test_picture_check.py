"""The picture check on NudeNet's real detector and real pictures, and the placeholder picture.

The flagged path runs on a real detection: NudeNet really finds a face (FACE_FEMALE, about
0.61) on a real photo (`tests/support/samples/grace_hopper.jpg`), so configuring the face labels as
flagged makes the real detector flag it. Nothing of ours is mocked.
"""

from __future__ import annotations

import asyncio
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from storybot.config import PROJECT_ROOT, Settings
from storybot.doctor.pictures import check_pictures
from storybot.engines.image_pool import ComfyPool
from storybot.engines.picture_check import (
    NUDENET_LABELS,
    PictureCheck,
    PictureCheckError,
    PictureVerdict,
)
from storybot.engines.placeholder import placeholder_png, write_placeholder
from storybot.errors import ConfigError
from storybot.wiring import make_picture_check
from tests.support import SAMPLES
from tests.support.fake_comfyui import FakeComfyUI, png, png_size

HOPPER = SAMPLES / "grace_hopper.jpg"
FLUX = PROJECT_ROOT / "workflows" / "flux_schnell.json"
FACES = {"PICTURE_CHECK_LABELS": "FACE_FEMALE,FACE_MALE"}
Draw = Callable[[np.ndarray], object]


def settings(**env: str) -> Settings:
    return Settings.load(env=env, env_file=None)


def encode(ext: str, image: np.ndarray, *params: int) -> bytes:
    ok, data = cv2.imencode(ext, image, list(params))
    assert ok
    return data.tobytes()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header claims `width` × `height` but whose pixels are one short row."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" + b"\x80" * 30)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", pixels)
        + png_chunk(b"IEND", b"")
    )


def watercolor(width: int = 1024, height: int = 1024, seed: int = 3) -> np.ndarray:
    """A picture-book page in soft washes on grainy paper: sky, sun, hills, a tree, a rabbit."""
    rng = np.random.default_rng(seed)
    scale = width / 1024

    def noise(cell: int) -> np.ndarray:
        small = rng.random((max(2, height // cell), max(2, width // cell)), dtype=np.float32)
        return cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)

    paper = np.empty((height, width, 3), np.float32)
    paper[:] = (225, 240, 248)
    paper *= (0.94 + 0.06 * noise(4))[..., None]

    def wash(draw: Draw, colour: tuple[int, int, int], strength: float = 0.75) -> None:
        mask = np.zeros((height, width), np.uint8)
        draw(mask)
        soft = cv2.GaussianBlur(mask / 255.0, (0, 0), 9).astype(np.float32)
        soft *= 0.75 + 0.25 * noise(32)
        rim = cv2.GaussianBlur(soft, (0, 0), 3) - cv2.GaussianBlur(soft, (0, 0), 12)
        alpha = np.clip(soft * strength + np.clip(rim, 0, 1) * 0.6, 0, 1)[..., None]
        paper[:] = paper * (1 - alpha) + np.array(colour, np.float32) * alpha

    def at(x: float, y: float) -> tuple[int, int]:
        return int(x * scale), int(y * scale)

    def oval(x: float, y: float, a: float, b: float, angle: float = 0) -> Draw:
        size = (int(a * scale), int(b * scale))
        return lambda mask: cv2.ellipse(mask, at(x, y), size, angle, 0, 360, 255, -1)

    def rabbit(mask: np.ndarray) -> None:
        for part in (oval(560, 700, 90, 110), oval(560, 560, 65, 65),
                     oval(530, 450, 18, 70, -10), oval(590, 450, 18, 70, 10)):  # fmt: skip
            part(mask)

    wash(lambda m: cv2.rectangle(m, (0, 0), at(1024, 550), 255, -1), (235, 200, 150), 0.5)
    wash(oval(820, 180, 90, 90), (90, 200, 250))  # sun
    wash(oval(300, 1000, 700, 330), (120, 190, 140))  # hills
    wash(oval(850, 1050, 500, 300), (100, 170, 120))
    wash(lambda m: cv2.rectangle(m, at(180, 420), at(230, 720), 255, -1), (60, 90, 130))
    wash(oval(205, 380, 150, 150), (90, 160, 90))  # the tree's crown
    wash(rabbit, (245, 245, 250), 0.9)
    wash(oval(560, 690, 80, 60), (60, 60, 200))  # a red vest
    image = np.clip(paper, 0, 255).astype(np.uint8)
    for x in (540, 580):  # the rabbit's eyes
        cv2.circle(image, at(x, 550), max(1, int(7 * scale)), (40, 40, 40), -1, cv2.LINE_AA)
    return image


def drawn_face() -> np.ndarray:
    """A flat cartoon face in skin tones, which NudeNet misreads as BUTTOCKS_EXPOSED (~0.31)."""
    image = np.full((512, 512, 3), (200, 230, 250), np.uint8)
    cv2.ellipse(image, (256, 256), (140, 180), 0, 0, 360, (150, 190, 235), -1)
    cv2.circle(image, (200, 220), 18, (40, 40, 40), -1)
    cv2.circle(image, (312, 220), 18, (40, 40, 40), -1)
    cv2.ellipse(image, (256, 330), (60, 25), 0, 0, 180, (60, 60, 180), 6)
    cv2.ellipse(image, (256, 120), (150, 80), 0, 180, 360, (30, 60, 100), -1)
    return image


@pytest.fixture(scope="module")
def default_check() -> PictureCheck:
    check = make_picture_check(settings())
    assert check is not None
    check.load()
    return check


@pytest.fixture(scope="module")
def face_check() -> PictureCheck:
    check = make_picture_check(settings(**FACES))
    assert check is not None
    return check


@pytest.fixture(scope="module")
def strictest() -> PictureCheck:
    """Every label NudeNet knows, at the lowest score it reports."""
    return PictureCheck(threshold=0.2, labels=NUDENET_LABELS)


@pytest.fixture(scope="module")
def watercolor_png() -> bytes:
    return encode(".png", watercolor())


def assert_unchecked(verdict: PictureVerdict) -> None:
    assert (verdict.safe, verdict.checked, verdict.flagged) == (False, False, ())


# --- safe pictures --------------------------------------------------------------------------


async def test_a_page_painted_through_comfyui_is_safe(
    comfy: FakeComfyUI, default_check: PictureCheck, tmp_path: Path
) -> None:
    out = tmp_path / "run" / "cover.png"
    async with ComfyPool([comfy.url], FLUX, width=1024, height=1024, steps=1) as pool:
        await pool.paint("a rabbit reading under a tree", out, seed=424242)
    verdict = await default_check.check(out)
    assert verdict.safe and verdict.checked and verdict.flagged == ()
    assert verdict.reason == "clean" and 0 < verdict.seconds < 30


async def test_a_watercolor_page_is_clean_even_for_every_label_at_the_floor(
    strictest: PictureCheck, default_check: PictureCheck, watercolor_png: bytes
) -> None:
    assert png_size(watercolor_png) == (1024, 1024)
    for check in (default_check, strictest):
        verdict = await check.check(watercolor_png)
        assert verdict.safe and verdict.checked, verdict.reason
    assert verdict.found == ()


@pytest.mark.parametrize(("width", "height"), [(1024, 1024), (768, 1344), (1344, 768), (64, 64)])
async def test_the_placeholder_has_the_size_and_passes_every_label(
    strictest: PictureCheck, width: int, height: int
) -> None:
    picture = placeholder_png(width, height)
    assert png_size(picture) == (width, height)
    verdict = await strictest.check(picture)
    assert verdict.safe and verdict.checked and verdict.found == ()


def test_write_placeholder_replaces_the_page_atomically(tmp_path: Path) -> None:
    out = tmp_path / "run" / "panel_2.png"
    out.parent.mkdir()
    out.write_bytes(b"the flagged picture")
    assert write_placeholder(out, 320, 256) == out
    assert out.read_bytes() == placeholder_png(320, 256)
    assert [p.name for p in out.parent.iterdir()] == ["panel_2.png"]


# --- the flagged path, on a real detection --------------------------------------------------


async def test_a_real_face_is_flagged_when_faces_are_configured(face_check: PictureCheck) -> None:
    verdict = await face_check.check(HOPPER)
    assert verdict.checked and not verdict.safe
    (face,) = verdict.flagged
    assert face.label == "FACE_FEMALE" and 0.5 <= face.score < 0.8
    x, y, w, h = face.box
    assert 0 <= x < x + w <= 512 and 0 <= y < y + h <= 600  # the photo is 512 × 600
    assert verdict.reason.startswith("flagged: FACE_FEMALE 0.6")


async def test_the_same_face_passes_the_default_labels(default_check: PictureCheck) -> None:
    verdict = await default_check.check(HOPPER.read_bytes())
    assert verdict.safe and verdict.flagged == ()
    assert [d.label for d in verdict.found] == ["FACE_FEMALE"]  # seen, but not a flagged label


async def test_a_threshold_above_the_score_lets_the_face_pass() -> None:
    verdict = await PictureCheck(labels=["FACE_FEMALE"], threshold=0.9).check(HOPPER)
    assert verdict.safe and verdict.found[0].label == "FACE_FEMALE"


async def test_the_default_labels_flag_a_real_detection_below_the_default_threshold(
    default_check: PictureCheck,
) -> None:
    # Why the default threshold is 0.5: flat skin-coloured drawings are misread at ~0.3.
    face = encode(".png", drawn_face())
    relaxed = await default_check.check(face)
    assert relaxed.safe and [d.label for d in relaxed.found] == ["BUTTOCKS_EXPOSED"]
    strict = await PictureCheck(threshold=0.25).check(face)
    assert not strict.safe and strict.flagged[0].label == "BUTTOCKS_EXPOSED"
    assert 0.25 <= strict.flagged[0].score < 0.5


@pytest.mark.parametrize(
    "variant",
    ["rgba png", "grey png", "16-bit png", "lossy webp", "lossless webp", "webp with alpha"],
)
async def test_every_format_and_channel_layout_reaches_the_detector(
    face_check: PictureCheck, variant: str
) -> None:
    photo = cv2.imread(str(HOPPER))
    pictures = {
        "rgba png": lambda: encode(".png", cv2.cvtColor(photo, cv2.COLOR_BGR2BGRA)),
        "grey png": lambda: encode(".png", cv2.cvtColor(photo, cv2.COLOR_BGR2GRAY)),
        "16-bit png": lambda: encode(".png", photo.astype(np.uint16) * 257),
        "lossy webp": lambda: encode(".webp", photo, cv2.IMWRITE_WEBP_QUALITY, 90),
        "lossless webp": lambda: encode(".webp", photo, cv2.IMWRITE_WEBP_QUALITY, 101),
        "webp with alpha": lambda: encode(
            ".webp", cv2.cvtColor(photo, cv2.COLOR_BGR2BGRA), cv2.IMWRITE_WEBP_QUALITY, 90
        ),
    }
    verdict = await face_check.check(pictures[variant]())
    assert verdict.checked and not verdict.safe, verdict.reason
    assert verdict.flagged[0].label == "FACE_FEMALE"


def test_settings_choose_labels_and_threshold_or_switch_the_check_off() -> None:
    check = make_picture_check(settings(PICTURE_CHECK_THRESHOLD="0.7", **FACES))
    assert check is not None and check.threshold == 0.7
    assert check.labels == {"FACE_FEMALE", "FACE_MALE"}
    assert make_picture_check(settings(PICTURE_CHECK="false")) is None
    lower = settings(PICTURE_CHECK_LABELS=" face_male , ")
    assert lower.picture_check_labels == ("FACE_MALE",)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"PICTURE_CHECK_LABELS": "NUDE"}, r"PICTURE_CHECK_LABELS='NUDE': .*unknown label NUDE"),
        ({"PICTURE_CHECK_LABELS": " , "}, r"PICTURE_CHECK_LABELS=.*at least one"),
        ({"PICTURE_CHECK_THRESHOLD": "0.1"}, r"PICTURE_CHECK_THRESHOLD='0.1': .*0\.2"),
    ],
)
def test_bad_picture_check_settings_name_the_key(env: dict[str, str], expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        settings(**env)


# --- pictures that cannot be checked count as unsafe ----------------------------------------


@pytest.mark.parametrize(
    ("picture", "why"),
    [
        (b"", "0 bytes"),
        (b"<html>502 Bad Gateway</html>" * 10, "not a PNG, JPEG or WebP"),
        (bytes(range(256)) * 64, "not a PNG, JPEG or WebP"),
        (b"\x89PNG\r\n\x1a\n", "cut short"),
        (png(0, 0), "0×0"),
        (png(64, 48)[:-30], "does not decode"),
        (png_declaring(64, 48), "does not decode"),
        (png_declaring(100_000, 100_000), "more than 40,000,000 pixels"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
async def test_undecodable_pictures_are_not_checkable_and_unsafe(
    default_check: PictureCheck, picture: bytes, why: str
) -> None:
    verdict = await default_check.check(picture)
    assert_unchecked(verdict)
    assert verdict.reason.startswith("not checkable: ") and why in verdict.reason


async def test_a_truncated_page_painting_is_not_checkable(
    default_check: PictureCheck, watercolor_png: bytes, tmp_path: Path
) -> None:
    page = tmp_path / "panel_1.png"
    page.write_bytes(watercolor_png[: len(watercolor_png) // 2])
    assert_unchecked(await default_check.check(page))


async def test_a_jpeg_claiming_a_huge_frame_is_refused_before_decoding(
    default_check: PictureCheck,
) -> None:
    data = bytearray(HOPPER.read_bytes())
    sof = next(i for i in range(2, len(data) - 1) if data[i] == 0xFF and data[i + 1] == 0xC0)
    data[sof + 5 : sof + 9] = struct.pack(">HH", 60_000, 60_000)
    verdict = await default_check.check(bytes(data))
    assert_unchecked(verdict)
    assert "60000×60000 is more than" in verdict.reason


@pytest.mark.parametrize("name", ["missing.png", "empty.png", "a-folder"])
async def test_missing_or_empty_files_are_not_checkable(
    default_check: PictureCheck, tmp_path: Path, name: str
) -> None:
    (tmp_path / "empty.png").touch()
    (tmp_path / "a-folder").mkdir()
    assert_unchecked(await default_check.check(tmp_path / name))


async def test_a_detector_that_cannot_load_fails_closed(tmp_path: Path) -> None:
    broken = tmp_path / "320n.onnx"
    broken.write_bytes(b"not an onnx model")
    check = PictureCheck(model_path=broken)
    with pytest.raises(PictureCheckError, match="picture check cannot load"):
        check.load()
    verdict = await check.check(placeholder_png(64, 64))
    assert_unchecked(verdict)
    assert "cannot load" in verdict.reason


def test_unknown_labels_or_thresholds_are_refused_at_construction() -> None:
    with pytest.raises(PictureCheckError, match="unknown NudeNet labels: NUDE"):
        PictureCheck(labels=["NUDE"])
    with pytest.raises(PictureCheckError, match="outside"):
        PictureCheck(threshold=0.05)


# --- off the event loop, and the doctor ------------------------------------------------------


async def test_checking_does_not_block_the_event_loop(
    default_check: PictureCheck, watercolor_png: bytes
) -> None:
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.001)
            ticks += 1

    ticker = asyncio.create_task(tick())
    verdicts = await asyncio.gather(*(default_check.check(watercolor_png) for _ in range(3)))
    ticker.cancel()
    assert all(v.safe for v in verdicts)
    assert ticks >= 3  # the loop kept running while three pictures were checked


async def test_doctor_row_times_loading_and_one_check() -> None:
    (row,) = await check_pictures(settings(IMAGE_WIDTH="512", IMAGE_HEIGHT="768"))
    assert row.component == "picture check" and row.status == "OK", row.detail
    assert "320n.onnx" in row.detail and "loads in" in row.detail
    assert "checks a 512×768 picture in" in row.detail and "at ≥0.5" in row.detail
    (off,) = await check_pictures(settings(PICTURE_CHECK="false"))
    assert off.status == "WARN" and "PICTURE_CHECK=false" in off.detail
