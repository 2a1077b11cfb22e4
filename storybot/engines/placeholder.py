"""A plain, friendly placeholder picture for a page whose painting was flagged twice.

Drawn with OpenCV (which NudeNet already brings): a soft sky-to-peach background, a green hill,
an open book and a yellow star. It carries no text, so it suits every language, and it is the
same for every page and size, so nothing about the flagged picture shows through.
"""

from __future__ import annotations

import logging
import math
import os
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

# Colours in OpenCV's BGR order.
_SKY = (250, 236, 214)
_PEACH = (215, 235, 253)
_HILL = (170, 214, 176)
_PAGE = (236, 248, 255)
_INK = (120, 150, 185)
_LINES = (205, 220, 236)
_STAR = (90, 205, 255)


def placeholder_png(width: int, height: int) -> bytes:
    """The placeholder as PNG bytes of exactly `width` × `height` pixels."""
    import cv2

    ok, encoded = cv2.imencode(".png", _draw(width, height), [cv2.IMWRITE_PNG_COMPRESSION, 6])
    if not ok:  # OpenCV only fails here for impossible sizes
        raise ValueError(f"cannot encode a {width}×{height} placeholder")
    return encoded.tobytes()


def write_placeholder(out: Path, width: int, height: int) -> Path:
    """Write the placeholder to `out` (atomically, as the painter writes pages); return it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    part = out.with_name(out.name + ".part")
    part.write_bytes(placeholder_png(width, height))
    os.replace(part, out)
    logger.info("Placeholder picture written to %s", out)
    return out


def _draw(width: int, height: int) -> Any:
    import cv2
    import numpy as np

    if width < 1 or height < 1:
        raise ValueError(f"a placeholder needs a positive size, not {width}×{height}")
    fade = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    sky, peach = np.array(_SKY, np.float32), np.array(_PEACH, np.float32)
    image = np.ascontiguousarray(
        np.broadcast_to(sky * (1 - fade) + peach * fade, (height, width, 3)).astype(np.uint8)
    )
    unit = min(width, height) / 1024  # everything is drawn on a 1024 grid, then scaled
    cx, cy = width / 2, height / 2
    aa = cv2.LINE_AA

    def pt(x: float, y: float) -> tuple[float, float]:
        return cx + x * unit, cy + y * unit

    def fixed(*points: tuple[float, float]) -> Any:
        # Sub-pixel coordinates (shift=4: sixteenths) keep small pictures' curves smooth.
        return np.round(np.array(points) * 16).astype(np.int32)

    hill_axes = (round(width * 0.75), round(height * 0.22))
    cv2.ellipse(image, (round(cx), height), hill_axes, 0, 180, 360, _HILL, -1, aa)

    thick = max(1, round(6 * unit))
    for side in (-1, 1):  # the two pages of the open book
        top = _curve(pt(0, -150), pt(side * 160, -210), pt(side * 330, -170))
        bottom = _curve(pt(side * 330, 170), pt(side * 160, 130), pt(0, 190))
        page = fixed(*top, *bottom)
        cv2.fillPoly(image, [page], _PAGE, aa, 4)
        cv2.polylines(image, [page], True, _INK, thick, aa, 4)
        for row in range(4):  # lines of "text"
            y = -80 + row * 60
            ends = fixed(pt(side * 50, y), pt(side * (270 - 30 * (row % 2)), y - 20))
            cv2.line(image, ends[0], ends[1], _LINES, max(1, round(14 * unit)), aa, 4)
    spine = fixed(pt(0, -150), pt(0, 190))
    cv2.line(image, spine[0], spine[1], _INK, thick, aa, 4)

    for x, y, size in ((0, -300, 90), (-300, -330, 34), (290, -280, 26)):
        cv2.fillPoly(image, [fixed(*_star(pt(x, y), size * unit))], _STAR, aa, 4)
    return image


Point = tuple[float, float]


def _curve(a: Point, b: Point, c: Point) -> list[Point]:
    """Points along a quadratic Bézier curve from a through b's pull to c."""
    points = []
    for step in range(17):
        t = step / 16
        x = (1 - t) ** 2 * a[0] + 2 * (1 - t) * t * b[0] + t**2 * c[0]
        y = (1 - t) ** 2 * a[1] + 2 * (1 - t) * t * b[1] + t**2 * c[1]
        points.append((x, y))
    return points


def _star(centre: Point, radius: float) -> list[Point]:
    """A five-pointed star's ten corners, point up."""
    corners = []
    for index in range(10):
        r = radius if index % 2 == 0 else radius * 0.45
        angle = -math.pi / 2 + index * math.pi / 5
        corners.append((centre[0] + r * math.cos(angle), centre[1] + r * math.sin(angle)))
    return corners
