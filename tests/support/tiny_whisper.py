"""Fixture builders for the speech tests: a tiny random openai-whisper checkpoint, and voice
messages spoken by espeak-ng and encoded like Discord's (ogg/opus, 48 kHz, mono).

The checkpoint has Whisper's real shapes where the code depends on them (80 mel bins, a
1500-frame audio context, the 51865-token multilingual vocabulary, so Korean is accepted)
and tiny layers elsewhere: 3.5 M parameters, 7 MB, built in a fraction of a second.
It hears nothing meaningful; it exercises the real loading and decoding code.
"""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path


def build_tiny_whisper(path: Path, *, seed: int = 0) -> Path:
    """Write a random-weight openai-whisper checkpoint (`{"dims", "model_state_dict"}`)."""
    import torch
    from whisper.model import ModelDimensions, Whisper

    dims = ModelDimensions(
        n_mels=80,  # must match whisper/assets/mel_filters.npz
        n_audio_ctx=1500,  # fixed by the 30 s window of 3000 frames
        n_audio_state=64,
        n_audio_head=2,
        n_audio_layer=1,
        n_vocab=51865,  # multilingual tokenizer
        n_text_ctx=64,  # caps decoding at 32 tokens per window: fast even with random weights
        n_text_state=64,  # equal to n_audio_state for cross-attention
        n_text_head=2,
        n_text_layer=1,
    )
    torch.manual_seed(seed)
    model = Whisper(dims)
    state = {k: v.half() if v.is_floating_point() else v for k, v in model.state_dict().items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"dims": dataclasses.asdict(dims), "model_state_dict": state}, path)
    return path


def speak(text: str, out: Path, *, voice: str = "en-us", speed: int = 150) -> Path:
    """espeak-ng says `text`; ffmpeg encodes it as a Discord voice message would be."""
    wav = out.with_suffix(".src.wav")
    subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(wav), text],
        check=True,
        capture_output=True,
    )
    encode_voice_message(wav, out)
    wav.unlink()
    return out


VOICE_MESSAGE = (
    *("-ac", "1", "-ar", "48000", "-c:a", "libopus", "-b:a", "32k"),
    *("-application", "voip"),  # opus tuned for speech, as the Discord app records
)
"""ffmpeg output options for what Discord's voice messages are: ogg/opus, 48 kHz, mono."""


def ffmpeg(*args: str) -> None:
    """Run the ffmpeg program quietly; fail loudly."""
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", *args], check=True, capture_output=True)


def encode_voice_message(source: Path, out: Path) -> Path:
    """Re-encode `source` as a Discord voice message (`out` should end in .ogg)."""
    ffmpeg("-i", str(source), *VOICE_MESSAGE, str(out))
    return out


def tone(out: Path, seconds: float, *options: str) -> Path:
    """A 440 Hz tone of `seconds` (ffmpeg's lavfi source), e.g. to test length limits."""
    source = f"sine=frequency=440:sample_rate=16000:duration={seconds}"
    ffmpeg("-f", "lavfi", "-i", source, *options, str(out))
    return out
