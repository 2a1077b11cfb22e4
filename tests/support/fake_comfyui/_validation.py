"""Request checks with ComfyUI's real refusals: origin rule, error bodies, input validation."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from aiohttp import web

from tests.support.fake_comfyui._jobs import _order, _outputs
from tests.support.fake_comfyui._nodes import NODE_TYPES
from tests.support.fake_comfyui._uploads import Files, can_load, load_image_error

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


def _validate(
    prompt: Any, inputs_of: Callable[[str], dict[str, Any]], files: Files
) -> web.Response | None:
    """`validate_prompt`: None when the prompt may run, else the real 400."""
    for node_id, node in prompt.items():
        if "class_type" not in node:  # a non-dict node crashes here → 500, as the real one
            msg = "Cannot execute because a node is missing the class_type property."
            return _error(400, "invalid_prompt", msg, f"Node ID '#{node_id}'")
        if node["class_type"] not in NODE_TYPES:
            msg = f"Cannot execute because node {node['class_type']} does not exist."
            return _error(400, "invalid_prompt", msg, f"Node ID '#{node_id}'")
    outputs = _outputs(prompt)
    if not outputs:
        return _error(400, "prompt_no_outputs", "Prompt has no outputs", "")
    node_errors = {}
    for node_id in _order(prompt, outputs):
        errors = _node_errors(prompt, prompt[node_id], inputs_of, files)
        if errors:
            node_errors[node_id] = {
                "errors": errors,
                "dependent_outputs": outputs,
                "class_type": prompt[node_id]["class_type"],
            }
    if not node_errors:
        return None
    own = [e for o in outputs for e in node_errors.get(o, {}).get("errors", [])]
    details = "\n".join(f"{e['message']}: {e['details']}" for e in own)
    msg = "Prompt outputs failed validation"
    return _error(400, "prompt_outputs_failed_validation", msg, details, node_errors)


def _node_errors(
    prompt: dict[str, Any],
    node: dict[str, Any],
    inputs_of: Callable[[str], dict[str, Any]],
    files: Files,
) -> list[dict[str, Any]]:
    """One node's errors: required inputs, the optional ones it has, then LoadImage's own
    VALIDATE_INPUTS (which replaces the list check of `image`, as in the real server)."""
    class_type = node["class_type"]
    inputs = node["inputs"]
    required = inputs_of(class_type)
    optional = {k: v for k, v in NODE_TYPES[class_type]["optional"].items() if k in inputs}
    custom = {"image"} if class_type == "LoadImage" else set()
    errors = []
    for name, config in {**required, **optional}.items():
        if name in custom and name in inputs:
            continue
        found = _input_error(prompt, inputs, name, config)
        if found is not None:
            kind, message, details, extra = found
            errors.append(
                {"type": kind, "message": message, "details": details, "extra_info": extra}
            )
    for name in custom:
        value = inputs.get(name)
        if name in inputs and not isinstance(value, list) and not can_load(files, value):
            errors.append(load_image_error(value))
    return errors


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
        return _link_error(prompt, name, config, value)
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


def _link_error(
    prompt: dict[str, Any], name: str, config: list[Any], link: list[Any]
) -> tuple[str, str, str, dict[str, Any]] | None:
    """`return_type_mismatch` when the linked output's type is not the input's (spec §3.1)."""
    outputs = NODE_TYPES.get(prompt[str(link[0])].get("class_type"), {}).get("outputs", [])
    slot = link[1]
    if not isinstance(slot, int) or not 0 <= slot < len(outputs):
        info = {"exception_type": "IndexError", "traceback": []}
        msg = "Exception when validating node"
        return "exception_during_validation", msg, "tuple index out of range", info
    received, wanted = outputs[slot], config[0]
    if not isinstance(wanted, str) or "*" in (received, wanted):
        return None
    if set(received.split(",")) & set(wanted.split(",")):
        return None
    details = f"{name}, received_type({received}) mismatch input_type({wanted})"
    extra = {"input_name": name, "input_config": config, "received_type": received,
             "linked_node": link}  # fmt: skip
    return "return_type_mismatch", "Return type mismatch between linked nodes", details, extra
