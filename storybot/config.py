"""Settings: one pydantic-settings model read from the environment and `.env`.

Every field is an environment key (the field name, in any case). `.env.example` lists them all.
Precedence: values given to `Settings.load` > the environment > the `.env` file > defaults;
an empty value (`KEY=`) counts as not set. A bad value stops start-up with a `ConfigError`
that names the key and what it allows.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from storybot.errors import ConfigError
from storybot.models import Language, Voice
from storybot.paths import GRAMMARS_DIR, PROJECT_ROOT, WORKFLOWS_DIR, project_file

__all__ = ["NUDENET_LABELS", "PROJECT_ROOT", "Language", "Settings", "Voice"]


def _split_urls(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip().rstrip("/") for part in value.split(",") if part.strip()]
    return value


def _split_labels(value: Any) -> Any:
    if isinstance(value, str):
        return tuple(part.strip().upper() for part in value.split(",") if part.strip())
    return value


# Every label NudeNet 3.4's detector reports; PICTURE_CHECK_LABELS chooses among them.
NUDENET_LABELS = frozenset(
    {
        "FEMALE_GENITALIA_COVERED", "FACE_FEMALE", "BUTTOCKS_EXPOSED", "FEMALE_BREAST_EXPOSED",
        "FEMALE_GENITALIA_EXPOSED", "MALE_BREAST_EXPOSED", "ANUS_EXPOSED", "FEET_EXPOSED",
        "BELLY_COVERED", "FEET_COVERED", "ARMPITS_COVERED", "ARMPITS_EXPOSED", "FACE_MALE",
        "BELLY_EXPOSED", "MALE_GENITALIA_EXPOSED", "ANUS_COVERED", "FEMALE_BREAST_COVERED",
        "BUTTOCKS_COVERED",
    }
)  # fmt: skip


# Comma-separated in the environment (NoDecode: not JSON, as pydantic-settings would read a list).
UrlList = Annotated[list[str], NoDecode, BeforeValidator(_split_urls)]
LabelList = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_split_labels)]

# The environment `Settings.load(env=…)` reads in place of `os.environ`, for this call only.
_ENVIRON: ContextVar[Mapping[str, str] | None] = ContextVar("storybot_environ", default=None)


class Settings(BaseSettings):
    """Everything storybot reads from its environment."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,  # `KEY=` in .env means "not set": the default (often None)
        case_sensitive=False,
        extra="ignore",
        frozen=True,
        validate_default=True,  # the default paths are made project-relative too
    )

    # Discord
    discord_token: SecretStr | None = None
    dev_guild_id: int | None = None
    shard_count: int = Field(1, ge=1)
    discord_api_base: str = "https://discord.com/api/v10"
    discord_gateway_url: str = "wss://gateway.discord.gg/"

    # Story writer (LLM)
    llm_model: str = "hf:bartowski/Qwen2.5-7B-Instruct-GGUF/Qwen2.5-7B-Instruct-Q4_K_M.gguf"
    llm_server_url: str | None = None
    llm_server_constraint: Literal["grammar", "json_schema", "json_object"] = "grammar"
    llm_n_gpu_layers: int = Field(-1, ge=-1)
    llm_n_ctx: int = Field(8192, ge=512)
    llm_threads: int | None = None
    llm_temperature: float = Field(0.7, ge=0.0, le=2.0)
    llm_top_p: float = Field(0.9, gt=0.0, le=1.0)
    llm_max_tokens: int = Field(3072, ge=64)
    llm_retries: int = Field(2, ge=0, le=10)
    llm_timeout: float = Field(300.0, gt=0)
    # The content review (story/review.py): a story is done only when a parent would accept
    # it. Off only to see what a model writes, whatever it is.
    story_review: bool = True
    llm_grammar: Path = GRAMMARS_DIR / "story.gbnf"
    llm_keep_loaded: bool = True

    # Images (ComfyUI)
    comfyui_urls: UrlList = ["http://127.0.0.1:8188"]
    comfyui_workflow: Path = WORKFLOWS_DIR / "flux_schnell.json"
    # Laid over the built-in presets; read (and checked) by engines/styles.py at start-up.
    image_styles: Path = WORKFLOWS_DIR / "styles.json"
    image_width: int = Field(1024, ge=64, le=4096)
    image_height: int = Field(1024, ge=64, le=4096)
    image_steps: int = Field(4, ge=1, le=200)
    comfyui_connect_timeout: float = Field(10.0, gt=0)
    image_timeout: float = Field(300.0, gt=0)
    painter_down: Literal["wait", "fail"] = "wait"
    painter_probe_every: float = Field(15.0, gt=0)

    # Narration and transcription
    tts_engine: Literal["supertonic", "espeak"] = "supertonic"
    tts_model_dir: Path | None = None
    tts_voice: Voice = "M2"
    tts_workers: int = Field(2, ge=1, le=16)
    tts_speed: float = Field(1.05, gt=0.3, le=3.0)
    tts_steps: int = Field(10, ge=1, le=100)
    stt_engine: Literal["faster-whisper", "openai-whisper"] = "faster-whisper"
    stt_model: str = "small"
    stt_language: Language = "ko"
    stt_max_seconds: float = Field(60.0, gt=0)
    stt_max_bytes: int = Field(10 * 1024 * 1024, ge=1024)
    stt_threads: int | None = None
    field_words_file: Path | None = None  # extra names for Kiwi, one a line: never cut

    # Runs
    data_dir: Path = Path("data")
    keep_runs: int = Field(100, ge=1)
    shared_gpu: bool = True
    # On a shared GPU: `interleave` pauses the writer while each picture is painted (both
    # models stay resident in VRAM); `story-first` paints only once the story is written.
    gpu_schedule: Literal["interleave", "story-first"] = "interleave"
    metrics_port: int | None = None  # serve Prometheus /metrics on this port when set
    metrics_host: str = "127.0.0.1"  # where /metrics listens: loopback unless the operator opens it
    safety_screen: bool = True
    # A model's second look at the request and the finished story (storybot/story/guard.py):
    # off, llm (the story LLM itself) or model (the GGUF or llama-server URL in
    # SAFETY_GUARD_MODEL). A guard that fails or times out lets the book through (fail-open).
    safety_guard: Literal["off", "llm", "model"] = "llm"
    safety_guard_model: str | None = None
    safety_guard_timeout: float = Field(120.0, gt=0)
    # P(unsafe) at or above which the guard refuses; empty: calibrated for the model on an
    # innocent corpus of at most SAFETY_GUARD_CALIBRATION_SIZE requests (storybot/story/
    # calibration.py), cached in DATA_DIR/guard_calibration.json.
    safety_guard_threshold: float | None = Field(None, gt=0, lt=1)
    safety_guard_calibration_size: int = Field(48, ge=12)
    # Picture check (NudeNet on the CPU): labels scoring at or above the threshold are flagged;
    # the detector itself reports nothing under 0.2.
    picture_check: bool = True
    picture_check_threshold: float = Field(0.5, ge=0.2, le=1.0)
    picture_check_labels: LabelList = (
        "FEMALE_GENITALIA_EXPOSED",
        "MALE_GENITALIA_EXPOSED",
        "FEMALE_BREAST_EXPOSED",
        "BUTTOCKS_EXPOSED",
        "ANUS_EXPOSED",
    )
    max_books_per_user: int = Field(1, ge=0)
    book_video: bool = True
    video_max_mb: float = Field(8.0, gt=0)
    book_pdf: bool = True
    book_pdf_font: Path | None = None  # a TTF/OTF/TTC with Hangul; empty = fontconfig's
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("comfyui_urls")
    @classmethod
    def _urls_are_http(cls, urls: list[str]) -> list[str]:
        if not urls:
            raise ValueError("give at least one URL, e.g. http://127.0.0.1:8188")
        for url in urls:
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"{url!r} is not an http(s) URL")
        return urls

    @field_validator("picture_check_labels")
    @classmethod
    def _known_labels(cls, labels: tuple[str, ...]) -> tuple[str, ...]:
        if not labels:
            raise ValueError("give at least one NudeNet label, e.g. BUTTOCKS_EXPOSED")
        unknown = [label for label in labels if label not in NUDENET_LABELS]
        if unknown:
            known = ", ".join(sorted(NUDENET_LABELS))
            raise ValueError(f"unknown label {', '.join(unknown)}; NudeNet 3.4 knows {known}")
        return labels

    @field_validator("llm_server_url")
    @classmethod
    def _server_is_http(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith(("http://", "https://")):
            raise ValueError(f"{url!r} is not an http(s) URL")
        return url.rstrip("/") if url else url

    @field_validator("llm_grammar", "comfyui_workflow", "image_styles")
    @classmethod
    def _project_relative(cls, path: Path) -> Path:
        # `grammars/…` in .env means the project's folder when run from elsewhere.
        return project_file(path)

    @field_validator("field_words_file")
    @classmethod
    def _words_file_exists(cls, path: Path | None) -> Path | None:
        if path is not None and not path.is_file():
            raise ValueError(f"{path} is not a file (one word a line)")
        if path is not None:  # read at every answer: a bad file must stop start-up, not them
            try:
                path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise ValueError(f"{path} cannot be read as UTF-8 text: {exc}") from None
        return path

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Given values, then the environment (or `load`'s `env`), then `.env`; no secrets dir."""
        environ = _ENVIRON.get()
        if environ is not None:
            env_settings = _MappingEnvSource(settings_cls, environ)
        return init_settings, env_settings, dotenv_settings

    @classmethod
    def load(
        cls,
        env: Mapping[str, str] | None = None,
        env_file: Path | str | None = ".env",
        **overrides: Any,
    ) -> Settings:
        """Read settings from `.env` then the environment (which wins), then `overrides`.

        `env` replaces `os.environ` (tests pass `{}`); an override that is None is not given.
        Raise `ConfigError` with one line per bad key."""
        given = {key: value for key, value in overrides.items() if value is not None}
        try:
            with _environ(env):
                return cls(_env_file=env_file, **given)
        except ValidationError as exc:
            raise ConfigError(_explain(exc)) from None
        except (SettingsError, OSError, UnicodeDecodeError) as exc:  # e.g. .env not UTF-8
            raise ConfigError(f"settings cannot be read ({env_file}): {exc}") from None


class _MappingEnvSource(EnvSettingsSource):
    """Environment variables from a mapping instead of `os.environ`."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        # What EnvSettingsSource does with os.environ: keys folded, empty values dropped.
        return {
            key if self.case_sensitive else key.lower(): value
            for key, value in self._environ.items()
            if not (self.env_ignore_empty and value == "")
        }


@contextmanager
def _environ(env: Mapping[str, str] | None) -> Iterator[None]:
    """Let `Settings` read `env` (None: `os.environ`) while the block runs."""
    token = _ENVIRON.set(env)
    try:
        yield
    finally:
        _ENVIRON.reset(token)


def _explain(exc: ValidationError) -> str:
    """One line per bad key: the key, the value given and what is allowed."""
    lines = []
    for error in exc.errors():
        key = str(error["loc"][0]).upper() if error["loc"] else "?"
        given = error.get("input")
        shown = "***" if key == "DISCORD_TOKEN" else repr(given)
        reason = error["msg"]
        if error["type"] == "literal_error":
            expected = error.get("ctx", {}).get("expected", "")
            reason = f"allowed: {expected}"
        lines.append(f"{key}={shown}: {reason}")
    return "bad setting: " + "; ".join(lines)
