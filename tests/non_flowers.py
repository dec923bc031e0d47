"""Pictures that are not flowers, made on the spot (no files): what a class sends a flower classifier
to test it. Used by the tests and by benchmarks/unsure_threshold.py to choose the "unsure" rule: here,
not in benchmarks/, so the tests depend on nothing in benchmarks/ (the same rule as tests/clients.py).

`generated(seed)` yields (kind, name, RGB uint8 array): plain colours, gradients, noise, drawn
shapes (a house, circles, stripes, a checkerboard), words; `packaged()` adds the photos and logos
that ship inside installed packages (matplotlib's Grace Hopper, Gradio's cheetah, bus, tower...).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

SIDE = 240
WORDS = ("HOLA", "casa", "CNN", "2 + 2 = 4", "flor?", "Python", "perro", "STOP")


def _colour(rng: np.random.Generator) -> tuple[int, int, int]:
    return tuple(int(v) for v in rng.integers(0, 256, 3))


def _font(size: int):
    from matplotlib import font_manager
    from PIL import ImageFont

    return ImageFont.truetype(font_manager.findfont("DejaVu Sans"), size)


def plain_colours() -> Iterator[tuple[str, np.ndarray]]:
    for grey in range(0, 256, 32):
        yield f"grey {grey}", np.full((SIDE, SIDE, 3), grey, np.uint8)
    yield "grey 255", np.full((SIDE, SIDE, 3), 255, np.uint8)
    for hue in range(0, 360, 30):  # saturated colours, each light and dark
        for value in (0.5, 1.0):
            rgb = np.array(Image.new("HSV", (1, 1), (int(hue / 360 * 255), 220, int(value * 255))).convert("RGB"))
            yield f"hue {hue} value {value}", np.broadcast_to(rgb, (SIDE, SIDE, 3)).copy()


def gradients(rng: np.random.Generator, count: int = 24) -> Iterator[tuple[str, np.ndarray]]:
    ramp = np.linspace(0, 1, SIDE)
    for number in range(count):
        start, end = np.array(_colour(rng), float), np.array(_colour(rng), float)
        direction = ("horizontal", "vertical", "diagonal", "radial")[number % 4]
        yy, xx = np.meshgrid(ramp, ramp, indexing="ij")
        t = {"horizontal": xx, "vertical": yy, "diagonal": (xx + yy) / 2,
             "radial": np.clip(np.hypot(xx - 0.5, yy - 0.5) * 1.4, 0, 1)}[direction]
        yield f"gradient {direction} {number}", (start + (end - start) * t[..., None]).astype(np.uint8)


def noise(rng: np.random.Generator, count: int = 18) -> Iterator[tuple[str, np.ndarray]]:
    for number in range(count):
        kind = ("colour", "grey", "smooth")[number % 3]
        if kind == "grey":
            picture = np.repeat(rng.integers(0, 256, (SIDE, SIDE, 1)), 3, axis=2).astype(np.uint8)
        else:
            picture = rng.integers(0, 256, (SIDE, SIDE, 3)).astype(np.uint8)
        if kind == "smooth":  # blobs of colour, like an out-of-focus background
            picture = np.asarray(Image.fromarray(picture).filter(ImageFilter.GaussianBlur(12)))
            picture = np.clip((picture.astype(float) - picture.mean()) * 4 + 128, 0, 255).astype(np.uint8)
        yield f"noise {kind} {number}", picture


def _house(rng: np.random.Generator) -> Image.Image:
    picture = Image.new("RGB", (SIDE, SIDE), _colour(rng) if rng.random() < 0.5 else (255, 255, 255))
    draw = ImageDraw.Draw(picture)
    wall = _colour(rng)
    draw.rectangle((50, 110, 190, 210), fill=wall, outline=(0, 0, 0), width=3)
    draw.polygon([(40, 112), (120, 40), (200, 112)], fill=_colour(rng), outline=(0, 0, 0))
    draw.rectangle((105, 150, 135, 210), fill=_colour(rng), outline=(0, 0, 0), width=2)
    draw.rectangle((65, 125, 90, 150), fill=(180, 220, 255), outline=(0, 0, 0), width=2)
    draw.rectangle((150, 125, 175, 150), fill=(180, 220, 255), outline=(0, 0, 0), width=2)
    return picture


def shapes(rng: np.random.Generator, count: int = 30) -> Iterator[tuple[str, np.ndarray]]:
    for number in range(count):
        kind = ("house", "circles", "stripes", "checkerboard", "rectangles")[number % 5]
        if kind == "house":
            picture = _house(rng)
        else:
            picture = Image.new("RGB", (SIDE, SIDE), _colour(rng))
            draw = ImageDraw.Draw(picture)
            if kind == "circles":
                for _ in range(int(rng.integers(1, 6))):
                    x, y, r = (int(v) for v in rng.integers((20, 20, 10), (220, 220, 70)))
                    draw.ellipse((x - r, y - r, x + r, y + r), fill=_colour(rng), outline=(0, 0, 0), width=2)
            elif kind == "stripes":
                width, ink = int(rng.integers(6, 30)), _colour(rng)
                for left in range(0, 2 * SIDE, 2 * width):
                    draw.polygon([(left, 0), (left + width, 0), (left + width - SIDE, SIDE), (left - SIDE, SIDE)],
                                 fill=ink)
            elif kind == "checkerboard":
                cell, ink = int(rng.integers(10, 60)), _colour(rng)
                for top in range(0, SIDE, cell):
                    for left in range((top // cell) % 2 * cell, SIDE, 2 * cell):
                        draw.rectangle((left, top, left + cell - 1, top + cell - 1), fill=ink)
            else:
                for _ in range(int(rng.integers(2, 7))):
                    x0, y0, x1, y1 = sorted(rng.integers(0, SIDE, 2)) + sorted(rng.integers(0, SIDE, 2))
                    draw.rectangle((int(x0), int(x1), int(y0), int(y1)), fill=_colour(rng), outline=(0, 0, 0))
        yield f"{kind} {number}", np.asarray(picture)


def words(rng: np.random.Generator) -> Iterator[tuple[str, np.ndarray]]:
    for number, word in enumerate(WORDS):
        background = (255, 255, 255) if number % 2 == 0 else _colour(rng)
        picture = Image.new("RGB", (SIDE, SIDE), background)
        ImageDraw.Draw(picture).text((SIDE // 2, SIDE // 2), word, fill=(0, 0, 0) if number % 2 == 0 else _colour(rng),
                                     font=_font(48 if len(word) < 6 else 30), anchor="mm")
        yield f"text {word!r}", np.asarray(picture)


def generated(seed: int = 0) -> Iterator[tuple[str, str, np.ndarray]]:
    """(kind, name, picture) for every generated non-flower picture, the same for a seed."""
    rng = np.random.default_rng(seed)
    for kind, pictures in (("plain", plain_colours()), ("gradient", gradients(rng)), ("noise", noise(rng)),
                           ("drawing", shapes(rng)), ("text", words(rng))):
        for name, picture in pictures:
            yield kind, name, picture


def packaged() -> Iterator[tuple[str, str, np.ndarray]]:
    """Photos and logos that installed packages ship (none of them a flower)."""
    import gradio
    import matplotlib

    folders = [Path(matplotlib.get_data_path()) / "sample_data", Path(gradio.__file__).parent / "media_assets" / "images"]
    for folder in folders:
        for path in sorted(folder.glob("*")):
            if path.suffix.lower() in (".jpg", ".jpeg", ".png") and path.stat().st_size > 2000:
                with Image.open(path) as picture:
                    background = Image.new("RGBA", picture.size, (255, 255, 255, 255))
                    yield "packaged photo", path.name, np.asarray(Image.alpha_composite(
                        background, picture.convert("RGBA")).convert("RGB"))
