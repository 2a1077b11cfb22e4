"""Request checks with ComfyUI's real refusals: origin rule, error bodies, input validation."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@web.middleware
async def _origin_check(request: web.Request, handler: Any) -> web.StreamResponse:
    """ComfyUI's loopback rule: a foreign `Origin` header gets 403."""
    origin = request.headers.get("Origin")
    if origin and origin.split("://", 1)[-1] != request.host:
        return web.Response(status=403)
    return await handler(request)


def _error(
    status: int, kind: str, message: str, details: str, node_errors: dict | None = None
) -> web.Response:
    error = {"type": kind, "message": message, "details": details, "extra_info": {}}
    return web.json_response({"error": error, "node_errors": node_errors or {}}, status=status)


def _input_error(
    prompt: dict[str, Any], inputs: dict[str, Any], name: str, config: list[Any]
) -> tuple[str, str, str, dict[str, Any]] | None:
    """(type, message, details, extra_info) of one input's validation error, as ComfyUI's."""
    if name not in inputs:
        return "required_input_missing", "Required input is missing", name, {"input_name": name}
    value = inputs[name]
    extra = {"input_name": name, "input_config": config, "received_value": value}
    if isinstance(value, list):
        if len(value) != 2:
            msg = "Bad linked input, must be a length-2 list of [node_id, slot_index]"
            return "bad_linked_input", msg, name, extra
        if str(value[0]) not in prompt:
            info = {"exception_type": "KeyError", "traceback": []}
            return (
                "exception_during_validation",
                "Exception when validating node",
                f"'{value[0]}'",
                info,
            )
        return None
    options, limits = config[0], config[1] if len(config) > 1 else {}
    if isinstance(options, list) and value not in options:
        if len(options) > 20:  # the real server shortens long lists
            options, extra["input_config"] = f"(list of length {len(options)})", None
        details = f"{name}: '{value}' not in {options}"
        return "value_not_in_list", "Value not in list", details, extra
    low, high = limits.get("min"), limits.get("max")
    if options == "INT" and isinstance(value, int) and low is not None and value < low:
        return "value_smaller_than_min", f"Value {value} smaller than min of {low}", name, extra
    if options == "INT" and isinstance(value, int) and high is not None and value > high:
        return "value_bigger_than_max", f"Value {value} bigger than max of {high}", name, extra
    return None
