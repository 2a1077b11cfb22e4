"""The read-along MP4: each page's picture for as long as its narration, with short crossfades.

Built with ffmpeg-python as one filter graph: every picture is looped for its page's length
(plus the fade into the next page), the pictures are joined with `xfade`, and the narration of
each page is padded with silence to the same length and concatenated, so page k's voice starts
as page k's picture fades in. H.264 + AAC, yuv420p and `+faststart` play inline in Discord and
in browsers; the video bitrate is capped so the file stays under the size limit.

Given the pages' texts, the frame grows a text band under the picture and an ASS script
(`storybot.keepsakes.read_along`) burned by ffmpeg's `ass` filter (libass, a Korean font)
writes each page's text there, the sentence being read highlighted from the narrator's
timing sidecar.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import ffmpeg
import soundfile

from storybot import processes
from storybot.engines.tts import read_sidecar
from storybot.errors import StorybotError, one_line
from storybot.keepsakes.read_along import Band, PageText, ass_script, find_korean_font

log = logging.getLogger(__name__)

FPS = 24
AUDIO_RATE = 44100
AUDIO_BITRATE = 96_000
BACKGROUND = "0xFFF8E7"  # a warm paper colour for a page whose picture failed


class VideoError(StorybotError):
    """The MP4 could not be made; the rest of the book is unaffected."""


@dataclass(frozen=True)
class VideoOptions:
    """How the read-along video is cut."""

    size: int = 1024  # square frame, pixels
    fade: float = 0.5  # crossfade between pages, seconds
    gap: float = 0.6  # silence after each page's narration, seconds
    silent_page: float = 4.0  # how long a page without narration stays up, seconds
    max_bytes: int = 8 * 1024 * 1024
    text_band: float = 0.40  # height of the text band under the picture, fraction of `size`

    def frame(self, with_text: bool) -> tuple[int, int]:
        """Width and height of the video: the square picture, and the text band under it."""
        band = 2 * round(self.size * self.text_band / 2) if with_text else 0
        return self.size, self.size + band


def usable_image(path: Path | None) -> bool:
    """A PNG, JPEG or WebP file ffmpeg can read (a broken image loops ffmpeg forever)."""
    if path is None or not path.is_file():
        return False
    with path.open("rb") as handle:
        head = handle.read(12)
    return head.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")) or (
        head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    )


def audio_seconds(path: Path | None) -> float | None:
    """The narration's length, or None when there is none or it cannot be read."""
    if path is None or not path.is_file():
        return None
    try:
        seconds = soundfile.info(str(path)).duration
    except (RuntimeError, soundfile.LibsndfileError):
        log.warning("Narration %s cannot be read; the page stays silent", path)
        return None
    return seconds if seconds > 0 else None


def page_durations(audio: list[Path | None], options: VideoOptions) -> list[float]:
    """Seconds each page stays up: its narration plus a gap, or the fixed silent time."""
    lengths = [audio_seconds(path) for path in audio]
    return [options.silent_page if n is None else n + options.gap for n in lengths]


def _video_bitrate(total_seconds: float, options: VideoOptions) -> int:
    """Bits per second that keep video + audio under `max_bytes` (10 % headroom)."""
    budget = options.max_bytes * 8 * 0.9 / max(total_seconds, 1.0)
    return max(100_000, int(budget - AUDIO_BITRATE))


def build_graph(
    images: list[Path | None],
    audio: list[Path | None],
    out: Path,
    options: VideoOptions,
    subtitles: Path | None = None,
) -> ffmpeg.nodes.OutputStream:
    """The ffmpeg graph for the book (not run); with `subtitles` (an ASS script) the frame
    gets a text band under the picture and the script is burned into it."""
    durations = page_durations(audio, options)
    last = len(images) - 1
    size = options.size
    width, height = options.frame(subtitles is not None)
    videos = []
    for index, image in enumerate(images):
        length = durations[index] + (options.fade if index < last else 0.0)
        if usable_image(image):
            stream = ffmpeg.input(str(image), loop=1, t=f"{length:.3f}", framerate=FPS).video
            stream = stream.filter("scale", size, size, force_original_aspect_ratio="decrease")
            top = f"({size}-ih)/2"
            stream = stream.filter("pad", width, height, "(ow-iw)/2", top, color=BACKGROUND)
        else:
            source = f"color=c={BACKGROUND}:s={width}x{height}:r={FPS}"
            # thread_queue_size only keeps ffmpeg-python from merging identical sources
            stream = ffmpeg.input(
                source, f="lavfi", t=f"{length:.3f}", thread_queue_size=512 + index
            ).video
        videos.append(stream.filter("setsar", 1).filter("fps", FPS).filter("format", "yuv420p"))
    video = videos[0]
    offset = 0.0
    for index in range(1, len(videos)):
        offset += durations[index - 1]
        video = ffmpeg.filter(
            [video, videos[index]],
            "xfade",
            transition="fade",
            duration=options.fade,
            offset=f"{offset:.3f}",
        )
    if subtitles is not None:
        font = find_korean_font()
        fonts = {"fontsdir": str(font.folder)} if font else {}
        video = video.filter("ass", str(subtitles), **fonts)
    sounds = []
    for index, path in enumerate(audio):
        length = f"{durations[index]:.3f}"
        if audio_seconds(path) is not None:
            sound = ffmpeg.input(str(path)).audio.filter("aresample", AUDIO_RATE)
            sound = sound.filter("aformat", channel_layouts="mono").filter("apad")
            sound = sound.filter("atrim", duration=length)
        else:
            source = f"anullsrc=r={AUDIO_RATE}:cl=mono"
            sound = ffmpeg.input(source, f="lavfi", t=length, thread_queue_size=512 + index).audio
        sounds.append(sound.filter("asetpts", "PTS-STARTPTS"))
    narration = ffmpeg.concat(*sounds, v=0, a=1)
    bitrate = _video_bitrate(sum(durations), options)
    return (
        ffmpeg.output(
            video,
            narration,
            str(out),
            vcodec="libx264",
            preset="veryfast",
            tune="stillimage",
            crf=23,
            maxrate=bitrate,
            bufsize=bitrate * 2,
            pix_fmt="yuv420p",
            r=FPS,
            acodec="aac",
            audio_bitrate=AUDIO_BITRATE,
            ar=AUDIO_RATE,
            ac=1,
            movflags="+faststart",
        )
        .global_args("-nostdin", "-loglevel", "error")
        .overwrite_output()
    )


async def make_video(
    images: list[Path | None],
    audio: list[Path | None],
    out: Path,
    options: VideoOptions | None = None,
    *,
    timeout: float = 600.0,
    texts: list[str] | None = None,
) -> Path:
    """Encode the book to `out` (through a temporary name); VideoError says why it could not.

    With `texts` (each page's text, the cover's with the title first) every page shows its
    text under its picture, the sentence being read highlighted when the page's narration
    has a timing sidecar (`page_N.json` beside `page_N.wav`).

    ffmpeg runs as an asyncio subprocess: it is killed (and its part file removed) when
    `timeout` passes or the awaiting task is cancelled, so no encode outlives its book.
    """
    ffmpeg_path = shutil.which("ffmpeg")
    if ffmpeg_path is None:
        raise VideoError("ffmpeg is not installed (apt-get install ffmpeg): no read-along video")
    if not images:
        raise VideoError("a book without pages has no video")
    options = options or VideoOptions()
    # A part file of its own per call: a retry never shares one with a cancelled attempt.
    part = out.with_name(f"{out.stem}.{uuid.uuid4().hex[:12]}.part.mp4")
    # The script goes to a folder of its own: its path needs no escaping in the filter graph.
    with tempfile.TemporaryDirectory(prefix="storybot-book-") as scratch:
        subtitles = None
        if texts is not None:
            subtitles = Path(scratch) / "pages.ass"
            subtitles.write_text(subtitle_script(texts, audio, options), encoding="utf-8")
        graph = build_graph(images, audio, part, options, subtitles)
        try:
            return await _encode(
                ffmpeg.compile(graph, cmd=ffmpeg_path), part, out, options, timeout
            )
        finally:
            part.unlink(missing_ok=True)  # gone already when the video was kept


async def _encode(
    command: list[str], part: Path, out: Path, options: VideoOptions, timeout: float
) -> Path:
    """Run ffmpeg's `command` into `part`, then keep it as `out`."""
    try:
        result = await processes.run(command, timeout=timeout)
    except TimeoutError:
        raise VideoError(f"ffmpeg did not finish the video within {timeout:g} s") from None
    if result.returncode != 0:
        raise VideoError(f"ffmpeg could not make the video: {one_line(result.last_lines(3))}")
    size = part.stat().st_size
    if size > options.max_bytes:
        log.warning(
            "book video is %.1f MB, over the %.1f MB cap", size / 2**20, options.max_bytes / 2**20
        )
    part.replace(out)
    return out


def subtitle_script(texts: list[str], audio: list[Path | None], options: VideoOptions) -> str:
    """The ASS script of the pages' texts, timed as `build_graph` lays the pages out."""
    durations = page_durations(audio, options)
    texts = (list(texts) + [""] * len(audio))[: len(audio)]
    pages, start = [], 0.0
    for text, path, length in zip(texts, audio, durations, strict=True):
        timed = read_sidecar(path) if audio_seconds(path) is not None and path else None
        pages.append(PageText(text, start, start + length, timed))
        start += length
    width, height = options.frame(with_text=True)
    return ass_script(pages, Band(width, height, top=options.size), find_korean_font())
