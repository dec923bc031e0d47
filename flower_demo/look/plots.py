"""Figures and pictures. Matplotlib through Figure objects (Agg), never pyplot: pyplot is a global
registry and not thread-safe, and many students draw at once."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from PIL import Image

from flower_demo.i18n import class_label, number, translate


def _annotate_grid(axes, image, values: np.ndarray, fmt: str, language: str, fontsize: float) -> None:
    """Writes each cell's number on a heatmap, black on light cells and white on dark ones (the
    colour each cell is drawn in decides, so a mid-grey patch pixel gets black, not white)."""
    for (row, col), value in np.ndenumerate(values):
        red, green, blue, _ = image.cmap(image.norm(value))
        light = 0.299 * red + 0.587 * green + 0.114 * blue > 0.5
        axes.text(col, row, number(value, fmt, language), ha="center", va="center",
                  color="black" if light else "white", fontsize=fontsize)
    axes.set_xticks([])
    axes.set_yticks([])


def kernel_figure(kernel: np.ndarray, title: str, language: str = "en") -> Figure:
    """The kernel as a heatmap (blue negative, red positive) with its numbers."""
    figure = Figure(figsize=(3.2, 3.4), layout="constrained")
    axes = figure.subplots()
    limit = float(np.abs(kernel).max()) or 1.0
    image = axes.imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
    _annotate_grid(axes, image, kernel, ".3g", language, 13 if kernel.shape[0] <= 3 else 10)
    axes.set_title(title, fontsize=12)
    return figure


def step_figure(explanation: dict, kernel: np.ndarray, language: str, grey: bool) -> Figure:
    """One output pixel's arithmetic: per channel, the patch, the kernel, the products and their sum.

    Sized for reading on a projector and, at its natural size (the page scrolls it sideways on a
    phone), on a 390 px screen: a 5x5 grid gets larger panels, so its numbers stay ~14 px tall.
    """
    channels = ["channel_grey"] if grey else ["channel_R", "channel_G", "channel_B"]
    side = 2.5 if kernel.shape[0] <= 3 else 3.6  # inches per panel
    fontsize = 13 if kernel.shape[0] <= 3 else 11
    figure = Figure(figsize=(3 * side, side * len(channels) + 0.5), layout="constrained", dpi=90)
    grid = figure.subplots(len(channels), 3, squeeze=False)
    limit = float(np.abs(kernel).max()) or 1.0
    for index, channel in enumerate(channels):
        name = translate(channel, language)
        patch, products = explanation["patches"][index], explanation["products"][index]
        cells = [
            (patch, "Greys_r", 0, 255, f"{translate('step_patch', language)} ({name})", ".0f"),
            (kernel, "RdBu_r", -limit, limit, translate("kernel", language), ".3g"),
            (products, "RdBu_r", -(np.abs(products).max() or 1), np.abs(products).max() or 1,
             f"{translate('step_products', language)}: {translate('step_sum', language)} = "
             f"{number(explanation['sums'][index], '.1f', language)}", ".1f"),
        ]
        for axes, (values, cmap, low, high, title, fmt) in zip(grid[index], cells):
            image = axes.imshow(values, cmap=cmap, vmin=low, vmax=high)
            _annotate_grid(axes, image, values, fmt, language, fontsize)
            axes.set_title(title, fontsize=12)
    figure.suptitle(
        translate("step_pixel", language, row=explanation["row"], col=explanation["col"]) + "\n"
        + translate("step_total", language, total=explanation["total"]), fontsize=12)
    return figure


def mark_pixel(picture: np.ndarray, row: int, col: int) -> np.ndarray:
    """`picture` with a ring around one pixel (the one the step-by-step figure works out), drawn in
    yellow over black so it shows on any photo; the pixel itself is left as it is."""
    from PIL import ImageDraw

    marked = Image.fromarray(picture).convert("RGB")
    radius = max(8, max(picture.shape[:2]) // 25)  # ~4 % of the picture: visible on a projector and a phone
    draw = ImageDraw.Draw(marked)
    box = (col - radius, row - radius, col + radius, row + radius)
    draw.ellipse(box, outline=(0, 0, 0), width=max(4, radius // 3))
    inner = max(2, radius // 6)
    draw.ellipse((box[0] + 1, box[1] + 1, box[2] - 1, box[3] - 1), outline=(255, 220, 0), width=inner)
    return np.asarray(marked)


def class_counts_figure(counts: dict[str, int], language: str) -> Figure:
    figure = Figure(figsize=(6, 3), layout="constrained")
    axes = figure.subplots()
    labels = [class_label(name, language) for name in counts]
    bars = axes.bar(labels, list(counts.values()), color="#4c9a2a")
    axes.bar_label(bars)
    axes.set_title(translate("class_counts", language))
    axes.spines[["top", "right"]].set_visible(False)
    return figure


def image_grid_figure(pictures: list[np.ndarray], titles: list[str] | None = None, title: str = "") -> Figure:
    """Up to nine pictures in a 3x3 grid, as the tutorial's plt.subplot(3, 3, i + 1) loop."""
    figure = Figure(figsize=(7, 7.3), layout="constrained")
    figure.suptitle(title)  # also keeps the first row's labels clear of the plot's own label
    for index, axes in enumerate(figure.subplots(3, 3).flat):
        axes.axis("off")
        if index < len(pictures):
            axes.imshow(pictures[index])
            if titles:
                axes.set_title(titles[index])
    return figure


# Pictures of a network's insides: plain arrays through a colour map (tens of pictures per click
# cost a few milliseconds this way, where matplotlib figures would cost hundreds).
def _coloured(values: np.ndarray, cmap: str, low: float, high: float) -> np.ndarray:
    """Values to RGB uint8 through a matplotlib colour map, `low`..`high` spanning it."""
    import matplotlib

    scaled = (values - low) / (high - low) if high > low else np.zeros_like(values)
    return (matplotlib.colormaps[cmap](np.clip(scaled, 0, 1))[..., :3] * 255).astype(np.uint8)


def _enlarged(picture: np.ndarray, side: int) -> np.ndarray:
    """A small picture scaled up to about `side` pixels with visible cells (nearest neighbour)."""
    factor = max(1, side // max(picture.shape[:2]))
    return np.repeat(np.repeat(picture, factor, axis=0), factor, axis=1)


def _font(size: int):
    """DejaVu Sans, which matplotlib ships: it has the accents and the × that PIL's own font lacks."""
    from matplotlib import font_manager
    from PIL import ImageFont

    return ImageFont.truetype(font_manager.findfont("DejaVu Sans"), size)


def corner_label(tile: np.ndarray, text: str, size: int | None = None) -> np.ndarray:
    """`text` in a corner of a picture, white on a dark box, readable on any colour map (or photo)."""
    from PIL import ImageDraw

    picture = Image.fromarray(tile)
    draw = ImageDraw.Draw(picture)
    font = _font(size or max(11, tile.shape[0] // 6))
    box = draw.textbbox((2, 1), text, font=font)
    draw.rectangle((0, 0, box[2] + 2, box[3] + 2), fill=(0, 0, 0))
    draw.text((2, 1), text, fill=(255, 255, 255), font=font)
    return np.asarray(picture)


def _title_bar(text: str, width: int, height: int = 26) -> np.ndarray:
    from PIL import ImageDraw

    bar = Image.new("RGB", (width, height), (255, 255, 255))
    ImageDraw.Draw(bar).text((2, 3), text, fill=(0, 0, 0), font=_font(height - 9))
    return np.asarray(bar)


def feature_map_sheet(rows, columns: int = 12, tile: int = 72) -> np.ndarray:
    """One picture of a network's stages, top to bottom: for each (title, maps, channels) a title bar
    and its maps (height, width, n) as heatmaps, each scaled to its own maximum (a quiet channel's
    pattern stays visible) and labelled with its channel index."""
    gap = 4
    width = columns * (tile + gap) - gap
    parts = []
    for title, maps, channels in rows:
        parts.append(_title_bar(title, width))
        for start in range(0, len(channels), columns):
            line = np.full((tile, width, 3), 255, np.uint8)
            for offset, channel in enumerate(channels[start : start + columns]):
                values = maps[:, :, start + offset]
                picture = Image.fromarray(_coloured(values, "viridis", 0.0, float(values.max()) or 1.0))
                # Small maps keep their visible cells; large ones are averaged down, not aliased.
                method = Image.Resampling.NEAREST if values.shape[0] <= tile else Image.Resampling.BOX
                picture = np.asarray(picture.resize((tile, tile), method))
                left = offset * (tile + gap)
                line[:, left : left + tile] = corner_label(picture, f"#{channel}")
            parts.append(line)
        parts.append(np.full((gap * 2, width, 3), 255, np.uint8))
    return np.concatenate(parts[:-1])


def filter_picture(weights: np.ndarray, side: int = 60) -> np.ndarray:
    """One learned (k, k, 3) filter: its RGB picture, then its R, G and B weights as heatmaps (2 x 2).

    Both scaled symmetrically around zero for this filter alone, so a student sees sign: in the
    picture grey is 0, in the heatmaps white is 0, red positive and blue negative."""
    limit = float(np.abs(weights).max()) or 1.0
    rgb = np.clip((weights / limit + 1) / 2 * 255, 0, 255).astype(np.uint8)
    panels = [_enlarged(rgb, side)] + [_enlarged(_coloured(weights[:, :, c], "RdBu_r", -limit, limit), side)
                                       for c in range(weights.shape[-1])]
    gap = 4
    panel = panels[0].shape[0]
    square = np.full((2 * panel + gap, 2 * panel + gap, 3), 255, np.uint8)  # picture, R / G, B: a square
    for index, picture in enumerate(panels[:4]):
        top, left = (index // 2) * (panel + gap), (index % 2) * (panel + gap)
        square[top : top + panel, left : left + panel] = picture
    return square


FILTER_SIDE = 48  # pixels per panel of a filter (3x3 weights at 16 px each)
FILTER_COLUMNS = 8
_FILTER_CELL = (2 * FILTER_SIDE + 4 + 48, 2 * FILTER_SIDE + 4 + 34)  # (width, height): the square, its caption


def filter_sheet(weights: np.ndarray, captions: list[str]) -> np.ndarray:
    """Every filter of a layer, (k, k, 3, n) weights, as `filter_picture` squares in rows of
    FILTER_COLUMNS, each with its caption (two lines: "#3 ≈ Sobel Y", "-0.80") below. One picture, so
    a click on it (`filter_at`) picks a filter and one file reaches the browser, not one per filter."""
    from PIL import ImageDraw

    count = weights.shape[-1]
    width, height = _FILTER_CELL
    rows = -(-count // FILTER_COLUMNS)
    sheet = Image.new("RGB", (FILTER_COLUMNS * width, rows * height), (255, 255, 255))
    draw, font = ImageDraw.Draw(sheet), _font(12)
    for index in range(count):
        left, top = (index % FILTER_COLUMNS) * width, (index // FILTER_COLUMNS) * height
        square = filter_picture(weights[..., index], FILTER_SIDE)
        sheet.paste(Image.fromarray(square), (left + (width - square.shape[1]) // 2, top))
        for line, text in enumerate(captions[index].split("\n")):
            draw.text((left + width // 2, top + square.shape[0] + 2 + 14 * line), text, fill=(0, 0, 0), font=font,
                      anchor="ma")
    return np.asarray(sheet)


def filter_at(x: float, y: float, count: int) -> int | None:
    """The filter under pixel (x, y) of `filter_sheet`'s picture, or None between and after them."""
    width, height = _FILTER_CELL
    column, row = int(x // width), int(y // height)
    index = row * FILTER_COLUMNS + column
    return index if 0 <= column < FILTER_COLUMNS and 0 <= index < count and x >= 0 and y >= 0 else None


def response_picture(response: np.ndarray) -> np.ndarray:
    """A filter's signed response as red (positive) and blue (negative) on white, scaled to its
    99th percentile of size so a few extreme pixels do not wash the rest out."""
    limit = float(np.percentile(np.abs(response), 99)) or 1.0
    return _coloured(response, "RdBu_r", -limit, limit)


def saliency_overlay(rgb: np.ndarray, heatmap: np.ndarray, opacity: float) -> np.ndarray:
    """A [0, 1] heatmap, smoothly resized to the photo, blended over it (hot = evidence)."""
    height, width = rgb.shape[:2]
    resized = np.asarray(Image.fromarray(heatmap.astype(np.float32)).resize((width, height), Image.Resampling.BILINEAR))
    heat = _coloured(resized, "inferno", 0.0, 1.0).astype(np.float32)
    alpha = float(opacity)  # inferno's cold end is black: where no evidence was found the photo dims
    return np.round(rgb * (1 - alpha) + heat * alpha).astype(np.uint8)
