"""What can go wrong with a ComfyUI server: one `ComfyError` subclass per kind of failure.

`storybot.engines.comfyui` re-exports them; the pool tells server trouble (skip the server for
a while) from a refused job (try another server) by these classes."""

from __future__ import annotations

from storybot.errors import StorybotError


class ComfyError(StorybotError):
    """ComfyUI could not paint an image; the message says why in one line."""

    def __init__(self, message: str, url: str = "") -> None:
        super().__init__(message)
        self.url = url


class ComfyUnavailableError(ComfyError):
    """The server is down, refused the connection or did not answer in time."""


class ComfyProtocolError(ComfyError):
    """The server answered with a 500, with something that is not JSON, or an odd shape."""


class ComfyPromptError(ComfyError):
    """`POST /prompt` refused the workflow (HTTP 400: `error` and `node_errors`)."""


class ComfyUploadError(ComfyError):
    """`POST /upload/image` refused the file (HTTP 400: no file or a bad subfolder; 413: too
    large for the server's upload limit)."""


class ComfyExecutionError(ComfyError):
    """A node raised while the job ran (`execution_error`)."""


class ComfyTimeoutError(ComfyError):
    """The image was not done within the per-image timeout."""


class ComfyInterruptedError(ComfyError):
    """The job was interrupted on the server (`execution_interrupted`)."""


# How a server's unusable answer becomes one of the errors above (`where` names the server).


def not_json(where: str, url: str, what: str, status: int, ctype: str, raw: bytes) -> ComfyError:
    """An answer that should have been JSON and is not (a proxy page, a 500 text)."""
    return ComfyProtocolError(
        f"{where} answered {what} with something that is not JSON "
        f"(HTTP {status}, {ctype or 'no type'}: {snippet(raw)}); is this URL a ComfyUI server?",
        url,
    )


def bad_status(where: str, url: str, what: str, status: int, raw: bytes) -> ComfyError:
    """An HTTP status the route never answers when all is well."""
    return ComfyProtocolError(
        f"{where} answered {what} with HTTP {status}: {snippet(raw) or '(empty)'}", url
    )


def unreachable(where: str, url: str, exc: BaseException, connect_timeout: float) -> ComfyError:
    """No connection (refused, no route, or none within the connect timeout)."""
    if isinstance(exc, TimeoutError):
        reason = f"no connection within {connect_timeout:g} s"
    else:
        reason = str(exc) or type(exc).__name__
    return ComfyUnavailableError(f"{where} is not reachable: {reason}", url)


def snippet(raw: bytes) -> str:
    """The start of a body, on one line, for a message."""
    text = raw.decode("utf-8", "replace").strip().replace("\n", " ")
    return text[:120] + ("…" if len(text) > 120 else "")
