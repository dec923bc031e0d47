"""Figures and pictures. Matplotlib through Figure objects (Agg), never pyplot: pyplot is a global
registry and not thread-safe, and many students draw at once.

Every picture is drawn to be read from the back of a room and on a phone: its smallest text is at least
MIN_TEXT_PX (12 px) where it is shown, and a 390 px phone shows a picture at most PHONE_WIDTH (350 px)
wide, so a picture W pixels wide carries text of at least `text_px(W)` = 12 * W / 350 pixels (24 px on a
700 px picture). Hence few columns, wrapped titles and compact pictures; tests/test_figure_text.py
measures every picture's drawn text against that rule, and that no two texts overlap.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from matplotlib.figure import Figure
from PIL import Image

from flower_demo.i18n import class_label, number, translate

PHONE_WIDTH = 350  # px: the widest a picture is shown on a 390 px phone (no box scrolls sideways)
MIN_TEXT_PX = 12  # px: the smallest text a student should have to read, at its displayed size
DPI = 100  # every matplotlib figure here: pixels = inches * 100


def text_px(width: float) -> int:
    """The smallest font size, in pixels, for text in a picture `width` pixels wide: 12 px once a phone
    shows it 350 px wide (24 px in a 700 px picture). Narrower pictures are not enlarged: 12 px."""
    return max(MIN_TEXT_PX, math.ceil(MIN_TEXT_PX * width / PHONE_WIDTH - 1e-9))


def points(pixels: float) -> float:
    """A size in pixels as matplotlib's points, at DPI."""
    return pixels * 72 / DPI


def _font(size: int, bold: bool = False):
    """DejaVu Sans, which matplotlib ships (and draws its figures with): it has the accents and the ×
    that PIL's own font lacks, and measuring with it wraps a figure's text as matplotlib will draw it.
    Loaded per call (~0.1 ms): a FreeType face shared between threads is not safe."""
    from matplotlib import font_manager
    from PIL import ImageFont

    properties = font_manager.FontProperties(family="DejaVu Sans", weight="bold" if bold else "normal")
    return ImageFont.truetype(font_manager.findfont(properties), size)


@functools.lru_cache(maxsize=4096)  # numbers and labels recur from click to click; a float is safe to share
def _text_width(text: str, size: float, bold: bool = False) -> float:
    """`text`'s width in pixels at `size` pixels (the widest of its lines)."""
    font = _font(max(1, round(size)), bold)
    return max(font.getlength(line) for line in text.split("\n"))


def wrap_text(text: str, width: float, size: float, bold: bool = False) -> list[str]:
    """`text` as lines no wider than `width` pixels at `size`: its own line breaks kept, a line that
    does not fit broken first at its " · " separators, then between words (never after a word of one
    character). Words are never cut: a word wider than `width` keeps a line of its own (pictures are
    sized for their longest words)."""

    def fits(line: str) -> bool:
        return _text_width(line, size, bold) <= width

    def greedy(pieces: list[str], joint: str) -> list[str]:
        lines, line = [], ""
        for piece in pieces:
            candidate = f"{line}{joint}{piece}" if line else piece
            if line and not fits(candidate):
                lines.append(line)
                line = piece
            else:
                line = candidate
        return [*lines, line]

    def words(part: str) -> list[str]:  # a one-character word stays with the one before: "Sobel X", "#3 ≈", "80 %"
        glued = []
        for word in part.split(" "):
            if glued and len(word) == 1:
                glued[-1] += " " + word
            else:
                glued.append(word)
        return glued

    return [line for paragraph in text.split("\n") for part in greedy(paragraph.split(" · "), " · ")
            for line in ([part] if fits(part) else greedy(words(part), " "))]


def _shortened(line: str, width: float, size: float, ellipsis: bool = False) -> str:
    """`line`, cut and ended with "…" if it is wider than `width` (or `ellipsis` asks for the mark)."""
    if not ellipsis and _text_width(line, size) <= width:
        return line
    while line and _text_width(line.rstrip() + "…", size) > width:
        line = line[:-1]
    return line.rstrip() + "…"


def _unsigned_zero(text: str) -> str:
    """ "-0.0" (a small negative rounded away) as "0.0"."""
    return text[1:] if text.startswith("-") and not text.strip("-0.,") else text


def _fitted(value: float, room: float, size: float, language: str, specs: tuple[str, ...]) -> str:
    """`value` in the first of `specs` whose text fits `room` pixels at `size` (never an exponent), else
    in thousands ("-255k"), else as a short power of ten ("3e5", for a student's kernel of ±1000): a
    cell's number never runs into the next cell's."""
    mantissa, exponent = f"{value:.0e}".split("e")
    candidates = [_unsigned_zero(number(value, spec, language)) for spec in specs]
    candidates = [text for text in candidates if "e" not in text and "n" not in text]
    if abs(value) >= 950:
        candidates.append(number(value / 1000, ".0f", language) + "k")
    for text in [*candidates, f"{mantissa}e{int(exponent)}"]:
        if _text_width(text, size) <= room:
            return text
    return f"{mantissa}e{int(exponent)}"


def _annotate_grid(axes, image, values: np.ndarray, texts, size: float) -> None:
    """Writes each cell's text on a heatmap, black on light cells and white on dark ones (the colour
    each cell is drawn in decides, so a mid-grey patch pixel gets black, not white); `size` in pixels."""
    for (row, col), value in np.ndenumerate(values):
        red, green, blue, _ = image.cmap(image.norm(value))
        light = 0.299 * red + 0.587 * green + 0.114 * blue > 0.5
        axes.text(col, row, texts[row][col], ha="center", va="center", color="black" if light else "white",
                  fontsize=points(size))
    axes.set_xticks([])
    axes.set_yticks([])


KERNEL_SPECS = (".3g", ".2g", ".2f", ".1f", ".0f")  # a weight: as exact as its cell has room for


def _numbers(values: np.ndarray, room: float, size: float, language: str, specs: tuple[str, ...]):
    """The cells' texts in one format, the most exact of `specs` in which every value fits `room`
    pixels (whole numbers without decimals); a value too large for any gets its own (`_fitted`)."""
    values = np.asarray(values, np.float64) + 0.0  # no "-0"
    if np.allclose(values, np.round(values)):
        specs = (".0f", *specs)
    for spec in specs:
        texts = [[_unsigned_zero(number(value, spec, language)) for value in line] for line in values.tolist()]
        if all("e" not in text and "n" not in text and _text_width(text, size) <= room
               for line in texts for text in line):
            return texts
    return [[_fitted(value, room, size, language, specs) for value in line] for line in values.tolist()]


def kernel_figure(kernel: np.ndarray, title: str, language: str = "en") -> Figure:
    """The kernel as a heatmap (blue negative, red positive) with its numbers, under its title.

    400 px wide (beside the photo on a projector, the whole width of a phone): a 3×3 kernel's numbers
    30 px tall, a 5×5 one's 18 px, the title wrapped rather than cut.
    """
    width, margin = 400, 14
    small = text_px(width)
    title_size = small + 4
    lines = wrap_text(title, width - 2 * margin, title_size)
    top = 10 + round(len(lines) * title_size * 1.25) + 8
    side = width - 2 * margin  # the heatmap is square
    height = top + side + margin
    figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI)
    axes = figure.add_axes((margin / width, margin / height, side / width, side / height))
    limit = float(np.abs(kernel).max()) or 1.0
    image = axes.imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
    size = 30 if kernel.shape[0] <= 3 else max(small, 18)
    _annotate_grid(axes, image, kernel, _numbers(kernel, side / kernel.shape[0] - 6, size, language, KERNEL_SPECS),
                   size)
    figure.text(0.5, 1 - 10 / height, "\n".join(lines), ha="center", va="top", fontsize=points(title_size))
    return figure


STEP_WIDTH = 600  # px: readable at 350 px (numbers >= 21 px here), and no wider than a projector's column


def step_figure(explanation: dict, kernel: np.ndarray, language: str, grey: bool) -> Figure:
    """One output pixel's arithmetic in two columns: the kernel beside a summary (which pixel, each
    channel's sum and their total), then per channel its patch beside the products patch × kernel, with
    their sum below.

    600 px wide and never scrolled sideways: on a 390 px phone it is shown 350 px wide and its smallest
    text (21 px here) still reads 12 px; numbers that would not fit their cell lose decimals.
    """
    channels = ["channel_grey"] if grey else ["channel_R", "channel_G", "channel_B"]
    width, margin, between = STEP_WIDTH, 12, 24
    small = text_px(width)
    panel = (width - 2 * margin - between) // 2
    line = round(small * 1.35)  # a panel's title above it, and the sum below the products
    row = line + panel + line + 14
    top = 8
    height = top + row * (1 + len(channels))
    figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI)
    size = 24 if kernel.shape[0] <= 3 else small
    room = panel / kernel.shape[0] - 6

    def draw(index: int, column: int, values, cmap, low, high, specs, title, below=""):
        left, panel_top = margin + column * (panel + between), top + index * row + line
        axes = figure.add_axes((left / width, 1 - (panel_top + panel) / height, panel / width, panel / height))
        image = axes.imshow(values, cmap=cmap, vmin=low, vmax=high)
        _annotate_grid(axes, image, values, _numbers(values, room, size, language, specs), size)
        axes.set_title(title, fontsize=points(small), pad=5)
        if below:
            axes.set_xlabel(below, fontsize=points(small), labelpad=5)

    limit = float(np.abs(kernel).max()) or 1.0
    draw(0, 0, kernel, "RdBu_r", -limit, limit, KERNEL_SPECS, translate("kernel", language))
    sums = []
    for index, channel in enumerate(channels):
        name = translate(channel, language)
        patch, products = explanation["patches"][index], explanation["products"][index]
        total = number(float(explanation["sums"][index]), ".1f", language)
        bound = float(np.abs(products).max()) or 1.0
        draw(index + 1, 0, patch, "Greys_r", 0, 255, (".0f",), f"{translate('step_patch', language)} ({name})")
        draw(index + 1, 1, products, "RdBu_r", -bound, bound, (".1f", ".0f"),
             f"{translate('step_products', language)} ({name})", f"{translate('step_sum', language)} = {total}")
        sums.append(f"{name}: {total}")
    # Beside the kernel: the pixel, each channel's sum (in colour) and the total, wrapped to the column.
    left = (margin + panel + between) / width
    heading = wrap_text(translate("step_pixel", language, row=explanation["row"], col=explanation["col"]), panel,
                        small, bold=True)
    body = (sums if len(sums) > 1 else []) + wrap_text(
        translate("step_total", language, total=explanation["total"]), panel, small)
    figure.text(left, 1 - top / height, "\n".join(heading), ha="left", va="top", fontsize=points(small),
                fontweight="bold")
    below_heading = top + round(len(heading) * small * 1.45) + 12
    figure.text(left, 1 - below_heading / height, "\n".join(body), ha="left", va="top", fontsize=points(small))
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
    """Photos per class as horizontal bars, each class named on the left (long names need no slant)
    and its count at the bar's end. 600 px wide, text 21 px."""
    width = 600
    small = text_px(width)
    figure = Figure(figsize=(width / DPI, 1.3 + 0.5 * len(counts)), dpi=DPI, layout="constrained")
    axes = figure.subplots()
    values = [int(value) for value in counts.values()]
    bars = axes.barh([class_label(name, language) for name in counts], values, color="#4c9a2a", height=0.7)
    axes.invert_yaxis()  # the first class on top, as read
    axes.bar_label(bars, labels=[number(value, "d", language) for value in values], padding=6, fontsize=points(small))
    axes.set_xlim(0, max(values, default=0) * 1.25 or 1)  # room for the last bar's number
    axes.set_xticks([])
    axes.tick_params(axis="y", labelsize=points(small), length=0)
    axes.set_title(translate("class_counts", language), fontsize=points(small + 2))
    axes.spines[["top", "right", "bottom"]].set_visible(False)
    return figure


def image_grid_figure(pictures: list[np.ndarray], titles: list[str] | None = None, title: str = "") -> Figure:
    """Up to nine pictures in a 3x3 grid, as the tutorial's plt.subplot(3, 3, i + 1) loop, each label
    wrapped to its column. 540 px wide, labels 19 px."""
    width = 540
    small = text_px(width)
    column = width / 3 - 16
    labels = ["\n".join(wrap_text(text, column, small)) for text in titles] if titles else []
    lines = sum(max((text.count("\n") + 1 for text in labels[start : start + 3]), default=0) for start in (0, 3, 6))
    heading = "\n".join(wrap_text(title, width - 20, small + 2)) if title else ""
    height = 3 * (column + 16) + lines * small * 1.3 + (heading.count("\n") + 1) * (small + 2) * 1.4 + 20
    figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI, layout="constrained")
    if heading:
        figure.suptitle(heading, fontsize=points(small + 2))  # also keeps the first row's labels clear of the top
    for index, axes in enumerate(figure.subplots(3, 3).flat):
        axes.axis("off")
        if index < len(pictures):
            axes.imshow(pictures[index])
            if labels:
                axes.set_title(labels[index], fontsize=points(small))
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


def _draw_text(draw, xy, text: str, size: int, fill=(0, 0, 0), anchor: str = "la", bold: bool = False):
    """Draws one line of `text` at `size` pixels and returns its box (left, top, right, bottom): every
    text of the pictures drawn with PIL goes through here (tests/test_figure_text.py measures them)."""
    font = _font(size, bold)
    draw.text(xy, text, fill=fill, font=font, anchor=anchor)
    return draw.textbbox(xy, text, font=font, anchor=anchor)


def corner_label(tile: np.ndarray, text: str, size: int | None = None) -> np.ndarray:
    """`text` in a corner of a picture, white on a dark box, readable on any colour map (or photo).

    `size` in pixels: for a picture shown as part of a larger one, `text_px(that one's width)`."""
    from PIL import ImageDraw

    picture = Image.fromarray(tile)
    draw = ImageDraw.Draw(picture)
    size = size or max(11, tile.shape[0] // 6)
    box = draw.textbbox((3, 2), text, font=_font(size))
    draw.rectangle((0, 0, box[2] + 3, box[3] + 3), fill=(0, 0, 0))
    _draw_text(draw, (3, 2), text, size, fill=(255, 255, 255))
    return np.asarray(picture)


MAP_COLUMNS = 6  # maps per row: on a phone each is still ~55 px, and its label 12 px
MAP_TILE = 112  # px per map: a sheet 692 px wide, labels 24 px and stage titles 26 px bold
_TITLE_BAND = (228, 233, 240)  # a stage's title bar: pale grey-blue, black type (contrast > 15:1)


def feature_map_sheet(rows, columns: int = MAP_COLUMNS, tile: int = MAP_TILE) -> np.ndarray:
    """One picture of a network's stages, top to bottom: for each (title, maps, channels) a title bar
    (the title wrapped, in large bold type) and its maps (height, width, n) as heatmaps in rows of
    `columns`, each scaled to its own maximum (a quiet channel's pattern stays visible) with its channel
    index below it. Its text is `text_px` of its width: 12 px or more on a phone."""
    from PIL import ImageDraw

    gap, pad, stage_gap = 4, 6, 16
    width = columns * (tile + gap) - gap
    size = text_px(width)
    title_size = size + 2
    label, title_line = round(size * 1.25), round(title_size * 1.3)
    stages, height = [], 0
    for title, maps, channels in rows:
        lines = wrap_text(title, width - 2 * pad, title_size, bold=True)
        bar = len(lines) * title_line + 2 * pad
        stages.append((height, lines, bar, maps, channels))
        height += bar + gap + -(-len(channels) // columns) * (tile + label + gap) + stage_gap
    sheet = Image.new("RGB", (width, max(1, height - stage_gap)), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    for top, lines, bar, maps, channels in stages:
        draw.rectangle((0, top, width - 1, top + bar - 1), fill=_TITLE_BAND)
        for line, text in enumerate(lines):
            _draw_text(draw, (pad, top + pad + line * title_line), text, title_size, bold=True)
        for offset, channel in enumerate(channels):
            values = maps[:, :, offset]
            picture = Image.fromarray(_coloured(values, "viridis", 0.0, float(values.max()) or 1.0))
            # Small maps keep their visible cells; large ones are averaged down, not aliased.
            method = Image.Resampling.NEAREST if values.shape[0] <= tile else Image.Resampling.BOX
            left = (offset % columns) * (tile + gap)
            tile_top = top + bar + gap + (offset // columns) * (tile + label + gap)
            sheet.paste(picture.resize((tile, tile), method), (left, tile_top))
            _draw_text(draw, (left + tile // 2, tile_top + tile + 1), f"#{channel}", size, anchor="ma")
    return np.asarray(sheet)


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


FILTER_SIDE = 60  # pixels per panel of a filter (3x3 weights at 20 px each)
FILTER_COLUMNS = 4  # a sheet 612 px wide: captions 21 px, 12 px on a phone
FILTER_CAPTION_LINES = 3  # a caption's lines under its filter; a longer one ends in "…"
_FILTER_WIDTH = 153
FILTER_TEXT_PX = text_px(FILTER_COLUMNS * _FILTER_WIDTH)
_FILTER_LINE = round(FILTER_TEXT_PX * 1.2)
_FILTER_SQUARE = 2 * FILTER_SIDE + 4
FILTER_CELL = (_FILTER_WIDTH, 4 + _FILTER_SQUARE + 6 + FILTER_CAPTION_LINES * _FILTER_LINE + 10)  # (width, height)
_FILTER_CELL = FILTER_CELL


def filter_sheet(weights: np.ndarray, captions: list[str]) -> np.ndarray:
    """Every filter of a layer, (k, k, 3, n) weights, as `filter_picture` squares in rows of
    FILTER_COLUMNS, each with its caption below, wrapped to its cell ("#3 · +0.80", "≈ Sobel Y") in at
    most FILTER_CAPTION_LINES lines of FILTER_TEXT_PX. One picture, so a click on it (`filter_at`)
    picks a filter and one file reaches the browser, not one per filter."""
    from PIL import ImageDraw

    count = weights.shape[-1]
    width, height = FILTER_CELL
    room = width - 12  # at least 12 px between two captions
    rows = -(-count // FILTER_COLUMNS)
    sheet = Image.new("RGB", (FILTER_COLUMNS * width, max(1, rows) * height), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    for index in range(count):
        left, top = (index % FILTER_COLUMNS) * width, (index // FILTER_COLUMNS) * height
        square = filter_picture(weights[..., index], FILTER_SIDE)
        sheet.paste(Image.fromarray(square), (left + (width - square.shape[1]) // 2, top + 4))
        lines = wrap_text(captions[index], room, FILTER_TEXT_PX)
        cut = len(lines) > FILTER_CAPTION_LINES
        lines = [_shortened(line, room, FILTER_TEXT_PX) for line in lines[:FILTER_CAPTION_LINES]]
        if cut:
            lines[-1] = _shortened(lines[-1], room, FILTER_TEXT_PX, ellipsis=True)
        for line, text in enumerate(lines):
            _draw_text(draw, (left + width // 2, top + 4 + _FILTER_SQUARE + 6 + line * _FILTER_LINE), text,
                       FILTER_TEXT_PX, anchor="ma")
    return np.asarray(sheet)


def filter_at(x: float, y: float, count: int) -> int | None:
    """The filter under pixel (x, y) of `filter_sheet`'s picture, or None between and after them."""
    width, height = FILTER_CELL
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
