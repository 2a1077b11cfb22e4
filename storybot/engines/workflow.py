"""ComfyUI workflows: load an API-format file and fill the nodes the bot owns.

The bot never guesses which node is which from class types: a workflow marks the nodes it may
fill by their `_meta.title` (`positive` is required; `negative`, `seed`, `size`, `steps` and
`reference` are optional), so any graph a user builds in ComfyUI works once those titles are set.

`reference` is a `LoadImage` that receives the book's reference picture (its characters), so an
image editor such as FLUX.1 Kontext keeps them alike on every page. Filled without a reference
(the reference picture itself is painted that way), the graph is cut: the `reference` node and
every node that cannot work without it are removed, and the optional reference inputs of
ReferenceLatent and the Qwen-Image-Edit encoders (`REFERENCE_INPUTS`) are left unconnected —
ComfyUI's own bypass — so the same workflow paints from its text alone.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storybot.engines.styles import Style, default_style
from storybot.errors import StorybotError

# The default look when no style is given; the presets themselves live in workflows/styles.json.
STYLE_PREFIX = f"{default_style().prefix}, "

# A negative prompt against lettering: diffusion models love to scribble fake text
# on book pages, and a picture book already has its own text.
NO_TEXT_NEGATIVE = (
    "text, letters, words, writing, typography, handwriting, caption, title, label, "
    "speech bubble, watermark, signature, logo, numbers"
)
# A children's book must never show these, whatever the LLM's image prompt says.
SAFETY_NEGATIVE = (
    "nsfw, nudity, sexual, suggestive, violence, blood, gore, injury, weapon, gun, knife, "
    "horror, scary, creepy, disturbing, smoking, alcohol, drugs"
)
NEGATIVE = f"{NO_TEXT_NEGATIVE}, {SAFETY_NEGATIVE}"

TEXT_INPUTS = ("text", "text_g", "text_l", "clip_l", "t5xxl", "prompt")
"""Text inputs of the usual encoders (CLIPTextEncode, CLIPTextEncodeSDXL, CLIPTextEncodeFlux,
TextEncodeQwenImageEdit)."""
SEED_INPUTS = ("seed", "noise_seed")
MODEL_SUFFIXES = (".safetensors", ".sft", ".ckpt", ".pt", ".pth", ".bin", ".gguf")
SAVE_NODES = ("SaveImage", "PreviewImage")
TITLES = ("positive", "negative", "seed", "size", "steps", "reference")
REFERENCE_INPUTS = {
    "ReferenceLatent": ("latent",),
    "TextEncodeQwenImageEdit": ("image",),
    "TextEncodeQwenImageEditPlus": ("image1", "image2", "image3"),
}
"""Optional inputs through which a reference enters a node that works without one too."""

Graph = dict[str, dict[str, Any]]


class WorkflowError(StorybotError):
    """The workflow file cannot be used; the message says how to fix it."""


@dataclass(frozen=True)
class ModelInput:
    """A node input that names a model file the server must have."""

    node_id: str
    class_type: str
    input_name: str
    filename: str


@dataclass(frozen=True)
class Workflow:
    """An API-format ComfyUI graph and the ids of the nodes the bot fills."""

    graph: Graph
    titled: dict[str, str]
    source: str = "workflow"

    @classmethod
    def load(cls, path: Path) -> Workflow:
        """Read and check `path`; raise `WorkflowError` naming what is wrong."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise WorkflowError(f"workflow {path} does not exist (COMFYUI_WORKFLOW)") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise WorkflowError(f"workflow {path} cannot be read: {exc}") from None
        except json.JSONDecodeError as exc:
            raise WorkflowError(f"workflow {path} is not valid JSON: {exc}") from None
        return cls.from_dict(data, source=str(path))

    @classmethod
    def from_dict(cls, data: Any, source: str = "workflow") -> Workflow:
        """Check an already-parsed graph (see `load`)."""
        graph = _api_graph(data, source)
        titled = _titled_nodes(graph, source)
        if "positive" not in titled:
            have = ", ".join(repr(_title(node)) for node in graph.values() if _title(node))
            raise WorkflowError(
                f"{source} has no node titled 'positive' (titles it has: {have or 'none'}); "
                "in ComfyUI right-click the prompt's text node → Title → positive, "
                "then export again with Export (API)"
            )
        _check_inputs(graph, titled, source)
        return cls(graph=graph, titled=titled, source=source)

    @property
    def has_reference(self) -> bool:
        """Whether a `LoadImage` titled `reference` takes the book's reference picture."""
        return "reference" in self.titled

    def fill(
        self,
        image_prompt: str,
        *,
        seed: int,
        character_sheet: str = "",
        width: int | None = None,
        height: int | None = None,
        steps: int | None = None,
        style: Style | None = None,
        reference: str | None = None,
    ) -> Graph:
        """A filled copy of the graph for one page; the loaded workflow is left as it was.

        `style` (None: the built-in watercolor) gives the prompt's prefix and extra negatives.
        `reference` is the uploaded picture's name for the `reference` node (`storybot/x.png`);
        without one that node's part of the graph is cut away (`without_reference`). A workflow
        with no `reference` node ignores it."""
        if not self.has_reference:
            graph = copy.deepcopy(self.graph)
        elif reference:
            graph = copy.deepcopy(self.graph)
            graph[self.titled["reference"]]["inputs"]["image"] = reference
        else:
            graph = self.without_reference()
        positive = positive_text(image_prompt, character_sheet, style)
        _set_text(graph[self.titled["positive"]], positive)
        if "negative" in self.titled:
            node = graph[self.titled["negative"]]
            _set_text(node, negative_text(_first_text(node), style))
        if "seed" in self.titled:
            inputs = graph[self.titled["seed"]]["inputs"]
            for name in SEED_INPUTS:
                if name in inputs:
                    inputs[name] = seed
        if "size" in self.titled:
            inputs = graph[self.titled["size"]]["inputs"]
            inputs.update({k: v for k, v in (("width", width), ("height", height)) if v})
        if steps and (steps_node := self._steps_node()) is not None:
            graph[steps_node]["inputs"]["steps"] = steps
        return graph

    def without_reference(self) -> Graph:
        """A copy of the graph that paints from its text alone: the `reference` node and what
        cannot work without it removed, `REFERENCE_INPUTS` that led there unconnected.

        Raise `WorkflowError` when a node the bot fills or the image output would go too."""
        graph = copy.deepcopy(self.graph)
        gone = {self.titled["reference"]} if self.has_reference else set()
        changed = bool(gone)
        while changed:
            changed = False
            for node_id, node in graph.items():
                if node_id in gone:
                    continue
                optional = REFERENCE_INPUTS.get(node["class_type"], ())
                for name, value in list(node["inputs"].items()):
                    if not (_is_link(value) and str(value[0]) in gone):
                        continue
                    if name in optional:
                        del node["inputs"][name]
                    else:
                        gone.add(node_id)
                        changed = True
                        break
        needed = [(t, n) for t, n in self.titled.items() if t != "reference" and n in gone]
        outputs = [n for n, node in graph.items() if node["class_type"] in SAVE_NODES]
        if needed or (outputs and all(n in gone for n in outputs)):
            node_id = needed[0][1] if needed else outputs[0]
            label = node_label(node_id, None, self.graph)
            raise WorkflowError(
                f"{self.source} cannot paint without a reference picture: {label} needs the "
                "'reference' node; feed the reference only into a ReferenceLatent (or the "
                "image input of a Qwen-Image-Edit encoder) and size the page with its own "
                "empty latent (see workflows/README.md)"
            )
        return {node_id: node for node_id, node in graph.items() if node_id not in gone}

    def model_inputs(self) -> list[ModelInput]:
        """Every input naming a model file (for `storybot doctor`)."""
        found = []
        for node_id, node in self.graph.items():
            for name, value in node.get("inputs", {}).items():
                if isinstance(value, str) and value.lower().endswith(MODEL_SUFFIXES):
                    found.append(ModelInput(node_id, node["class_type"], name, value))
        return found

    def _steps_node(self) -> str | None:
        # A node titled `steps` wins (e.g. BasicScheduler); otherwise a KSampler titled `seed`.
        for title in ("steps", "seed"):
            node_id = self.titled.get(title)
            if node_id is not None and "steps" in self.graph[node_id]["inputs"]:
                return node_id
        return None


def positive_text(image_prompt: str, character_sheet: str = "", style: Style | None = None) -> str:
    """The style prefix, the page's image prompt, then the book's character sheet."""
    parts = [(style or default_style()).prefix, _clean(image_prompt), _clean(character_sheet)]
    return ", ".join(part for part in parts if part)


def negative_text(workflow_negative: str = "", style: Style | None = None) -> str:
    """Our no-text and safety lists, the style's extra terms, then the workflow's own negative.

    Safety comes first, so a style or a workflow can add terms but never push ours out."""
    text = NEGATIVE
    for extra in ((style or default_style()).negative, _clean(workflow_negative)):
        if extra and extra not in text:
            text = f"{text}, {extra}"
    return text


def _clean(text: str) -> str:
    return text.strip().strip(",.").strip()


def _api_graph(data: Any, source: str) -> Graph:
    if isinstance(data, dict) and "nodes" in data and "links" in data:
        raise WorkflowError(
            f"{source} is a ComfyUI UI-format workflow (it has 'nodes' and 'links'); "
            "open it in ComfyUI and save it with Workflow → Export (API)"
        )
    if not isinstance(data, dict) or not data:
        raise WorkflowError(f"{source} is not an API-format workflow (expected an object of nodes)")
    for node_id, node in data.items():
        if not isinstance(node, dict) or not isinstance(node.get("class_type"), str):
            raise WorkflowError(
                f"{source}: node {node_id!r} has no class_type; is this an API-format workflow? "
                "Export it from ComfyUI with Workflow → Export (API)"
            )
        if not isinstance(node.get("inputs", {}), dict):
            raise WorkflowError(f"{source}: node {node_id!r} has inputs that are not an object")
        node.setdefault("inputs", {})
    return data


def _is_link(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2


def _titled_nodes(graph: Graph, source: str) -> dict[str, str]:
    titled: dict[str, str] = {}
    for node_id, node in graph.items():
        title = _title(node).strip().lower()
        if title not in TITLES:
            continue
        if title in titled:
            raise WorkflowError(
                f"{source}: two nodes are titled {title!r} ({titled[title]} and {node_id}); "
                "give the title to one node only"
            )
        titled[title] = node_id
    return titled


def _check_inputs(graph: Graph, titled: dict[str, str], source: str) -> None:
    """Refuse titled nodes that lack the inputs the bot must fill."""
    needs = {"positive": TEXT_INPUTS, "negative": TEXT_INPUTS, "seed": SEED_INPUTS}
    for title, names in needs.items():
        node_id = titled.get(title)
        if node_id is not None and not any(n in graph[node_id]["inputs"] for n in names):
            node = graph[node_id]
            raise WorkflowError(
                f"{source}: node {node_id} ({node['class_type']}) is titled {title!r} "
                f"but has none of the inputs {', '.join(names)}"
            )
    reference_id = titled.get("reference")
    if reference_id is not None and graph[reference_id]["class_type"] != "LoadImage":
        raise WorkflowError(
            f"{source}: node {reference_id} ({graph[reference_id]['class_type']}) is titled "
            "'reference' but only a LoadImage node can take the book's reference picture"
        )
    size_id = titled.get("size")
    if size_id is not None:
        inputs = graph[size_id]["inputs"]
        if "width" not in inputs or "height" not in inputs:
            raise WorkflowError(
                f"{source}: node {size_id} ({graph[size_id]['class_type']}) is titled 'size' "
                "but has no width/height inputs"
            )


def _set_text(node: dict[str, Any], text: str) -> None:
    for name in TEXT_INPUTS:
        if name in node["inputs"]:
            node["inputs"][name] = text


def _first_text(node: dict[str, Any]) -> str:
    for name in TEXT_INPUTS:
        value = node["inputs"].get(name)
        if isinstance(value, str):
            return value
    return ""


def _title(node: dict[str, Any]) -> str:
    meta = node.get("_meta")
    title = meta.get("title") if isinstance(meta, dict) else None
    return title if isinstance(title, str) else ""


# Explaining the server's complaints in terms of the workflow's nodes and titles.


def describe_refusal(answer: Any, workflow: Mapping[str, Any]) -> str:
    """One line from a `/prompt` 400: the error, then each failing node, input and reason."""
    if not isinstance(answer, dict):
        return repr(answer)[:200]
    node_errors = answer.get("node_errors") or {}
    if isinstance(node_errors, dict) and node_errors:
        lines = (_describe_node_errors(n, entry, workflow) for n, entry in node_errors.items())
        return " ".join("; ".join(lines).split())  # ComfyUI's details may span lines
    error = answer.get("error") if isinstance(answer.get("error"), dict) else {}
    message = str(error.get("message") or error.get("type") or "unknown error")
    extra = error.get("extra_info") if isinstance(error.get("extra_info"), dict) else {}
    if extra.get("node_id"):  # newer servers' missing_node_type
        message += f" ({node_label(str(extra['node_id']), extra.get('class_type'), workflow)})"
    elif error.get("details"):
        message += f" ({error['details']})"
    return message


def _describe_node_errors(node_id: str, entry: Any, workflow: Mapping[str, Any]) -> str:
    entry = entry if isinstance(entry, dict) else {}
    label = node_label(node_id, entry.get("class_type"), workflow)
    reasons = [_describe_input_error(e) for e in entry.get("errors", []) if isinstance(e, dict)]
    return f"{label}: {', '.join(reasons) or 'invalid'}"


def _describe_input_error(error: Mapping[str, Any]) -> str:
    extra = error.get("extra_info") if isinstance(error.get("extra_info"), dict) else {}
    name = extra.get("input_name")
    if error.get("type") == "value_not_in_list":
        config = extra.get("input_config")
        options = config[0] if isinstance(config, list) and config else None
        if isinstance(options, list) and "received_value" in extra:
            have = ", ".join(map(str, options)) if options else "nothing"
            return f"{name} {extra['received_value']!r} is not on the server (it has: {have})"
        return (
            f"{name} {extra.get('received_value')!r} is not on the server ({error.get('details')})"
        )
    details = error.get("details")
    if error.get("type") == "custom_validation_failed" and str(details).startswith(f"{name} - "):
        return f"{name}: {str(details)[len(name) + 3 :]}"  # `image - Invalid image file: x.png`
    text = str(error.get("message", "invalid"))
    if details and details != name:
        text += f": {details}"
    return f"{name}: {text}" if name else text


def describe_execution_error(
    data: Mapping[str, Any], workflow: Mapping[str, Any], where: str
) -> str:
    """One line from an `execution_error` payload: node, exception type and message."""
    node = node_label(str(data.get("node_id", "?")), data.get("node_type"), workflow)
    message = " ".join(str(data.get("exception_message", "")).split()) or "no message"
    kind = data.get("exception_type")
    return f"{where} failed in {node}: {kind + ': ' if kind else ''}{message}"


def node_label(node_id: str, class_type: Any, workflow: Mapping[str, Any]) -> str:
    """How messages name a node: `node 30 CheckpointLoaderSimple 'Load Checkpoint'`."""
    node = workflow.get(node_id) if isinstance(workflow.get(node_id), dict) else {}
    class_type = class_type or node.get("class_type") or "?"
    meta = node.get("_meta") if isinstance(node.get("_meta"), dict) else {}
    title = meta.get("title")
    return f"node {node_id} {class_type}" + (f" {title!r}" if title else "")
