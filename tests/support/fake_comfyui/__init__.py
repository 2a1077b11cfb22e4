"""A protocol-true stand-in for a ComfyUI server, on 127.0.0.1, for tests.

Built from `shared/specs/comfyui.md` (ComfyUI 0.3.64 as recorded, plus the newer servers' rule
that a client-chosen `prompt_id` must be a lowercase UUID): the same routes (also under
`/api/`), `/prompt` validation with the real 400 shapes (linked types checked; a `LoadImage`
of a file never uploaded refused as the real one), `POST /upload/image` with the real
multipart fields, answer, rename and duplicate rules (`uploads` records what came), one job
at a time with websocket frames in the real order (`status`, `execution_start`,
`execution_cached`, `executing`, `progress`, `executed`, `execution_success`, `status`,
`executing null`), history written before the final `executing null`, real PNGs from
`/view`, and aiohttp's own 500 text for bodies that are not JSON. Switches on the instance
select failure scenarios; what it received is recorded.

The code lives in private modules: `_server` (FakeComfyUI), `_nodes` (node, stats and route
tables), `_validation`, `_uploads` (the upload route and what LoadImage may load), `_jobs` (job
record, graph helpers) and `_helpers` (png, free_port, SilentServer).
"""

from tests.support.fake_comfyui._helpers import SilentServer, free_port, png, png_size
from tests.support.fake_comfyui._jobs import Interrupted, Job, NodeFailed
from tests.support.fake_comfyui._nodes import (
    NODE_TYPES,
    ROUTES,
    SAMPLERS,
    SCHEDULERS,
    SEED,
    SIZE,
    SYSTEM_STATS,
)
from tests.support.fake_comfyui._server import FakeComfyUI
from tests.support.fake_comfyui._validation import UUID_RE

__all__ = [
    "NODE_TYPES",
    "ROUTES",
    "SAMPLERS",
    "SCHEDULERS",
    "SEED",
    "SIZE",
    "SYSTEM_STATS",
    "UUID_RE",
    "FakeComfyUI",
    "Interrupted",
    "Job",
    "NodeFailed",
    "SilentServer",
    "free_port",
    "png",
    "png_size",
]
