"""What the tests share: protocol-true fakes of the outside services (Discord, ComfyUI, a
llama-server), models a fixture builds (tiny GGUF, Supertonic, Whisper), runners and helpers,
and `samples/` (a photo, the safety corpora, held-out field answers)."""

from pathlib import Path

SAMPLES = Path(__file__).parent / "samples"
