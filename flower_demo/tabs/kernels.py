"""Kernels tab: pick a kernel, see the filtered photo, the kernel and one output pixel's arithmetic."""

from __future__ import annotations

import gradio as gr
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg

from flower_demo import config
from flower_demo.data import images
from flower_demo.look import kernels, plots
from flower_demo.i18n import number, translate
from flower_demo.tabs import components, inputs, language_switch, page_links, ui

PICTURE_HEIGHT = 300  # px: the photo and the filtered photo, beside the controls on a 768 px screen


def _filtered(image, kernel: str, mode: str, stride, padding: str, custom_kernel, lang: str):
    """The checked inputs and the convolution: (weights, KernelResult, stride), or a translated gr.Error."""
    rgb = inputs.read_image(image, lang)
    if kernel not in kernels.KERNEL_CHOICES:
        raise ui.error("error_setting", lang, detail=f"kernel {kernel!r}")
    stride = ui.clamp_int(stride, 1, 4, 1)
    try:
        weights = (kernels.parse_custom_kernel(custom_kernel) if kernel == kernels.CUSTOM
                   else kernels.KERNELS[kernel])
        return weights, kernels.apply(rgb, weights, mode, stride, padding, config.MAX_KERNEL_SIDE), stride
    except kernels.KernelError as problem:
        raise ui.error(problem.key, lang, detail=problem.detail) from problem


def _output_pixel(pixel_row, pixel_col, shape) -> tuple[int, int]:
    """The output pixel asked for, inside the output (-1 or nothing: the centre)."""
    row, col = ui.clamp_int(pixel_row, -1, shape[0] - 1, -1), ui.clamp_int(pixel_col, -1, shape[1] - 1, -1)
    return (row if row >= 0 else shape[0] // 2), (col if col >= 0 else shape[1] // 2)


_PLACES = (("top_left", "top", "top_right"), ("left", "centre", "right"),
           ("bottom_left", "bottom", "bottom_right"))


def _brightest_place(picture: np.ndarray) -> str:
    """Where a picture is brightest on average, as one of nine places (`kernels_where_centre`...)."""
    values = picture.astype(np.float32)
    values = values.mean(axis=2) if values.ndim == 3 else values
    rows, cols = np.array_split(np.arange(values.shape[0]), 3), np.array_split(np.arange(values.shape[1]), 3)
    means = [[float(values[np.ix_(r, c)].mean()) if len(r) and len(c) else 0.0 for c in cols] for r in rows]
    row, col = np.unravel_index(int(np.argmax(means)), (3, 3))
    return _PLACES[row][col]


def _filtered_alt(kernel: str, mode: str, mapping: str, shown: np.ndarray, ring, lang: str) -> str:
    """What the filtered photo shows, for a screen reader: the kernel, its effect, where the response is
    strongest (edge kernels), the output's size and the ringed pixel."""
    effect = f"{kernel}_{mapping}" if kernel == kernels.CUSTOM else kernel
    strongest = (translate("kernels_alt_strongest", lang,
                           place=translate(f"kernels_where_{_brightest_place(shown)}", lang))
                 if mapping == kernels.DISPLAY_ABS else "")
    return translate("kernels_alt_filtered", lang, kernel=translate(f"kernel_{kernel}", lang),
                     grey=translate("kernels_alt_grey", lang) if mode == "grey" else "",
                     effect=translate(f"kernels_effect_{effect}", lang), strongest=strongest,
                     width=shown.shape[1], height=shown.shape[0],
                     ring=translate("kernels_alt_ring", lang, row=ring[0], col=ring[1]) if ring else "")


def _convolved(image, kernel, mode, stride, padding, custom_kernel, pixel_row, pixel_col, lang: str):
    """(the filtered picture, its notes, its alt text), or a translated gr.Error."""
    weights, result, _ = _filtered(image, kernel, mode, stride, padding, custom_kernel, lang)
    mapping = kernels.display_mapping(kernel, weights)
    notes = [translate(f"display_{mapping}", lang),
             translate("response_range", lang, low=result.low, high=result.high,
                       height=result.response.shape[0], width=result.response.shape[1])]
    if result.original_size != result.channels.shape[:2]:
        notes.append(translate("downscaled", lang, height=result.original_size[0], width=result.original_size[1],
                               max_side=config.MAX_KERNEL_SIDE))
    shown = kernels.to_display(result.response, mapping)
    picture, ring = shown, None
    if pixel_row is not None and pixel_col is not None:
        ring = _output_pixel(pixel_row, pixel_col, result.response.shape)
        picture = plots.mark_pixel(shown, *ring)
        notes.append(translate("step_marker", lang, row=ring[0], col=ring[1]))
    return picture, "\n\n".join(notes), _filtered_alt(kernel, mode, mapping, shown, ring, lang)


@ui.light
def convolve(image, kernel: str = "edge", mode: str = "color", stride: int = 1, padding: str = "same",
             custom_kernel=None, pixel_row: int | None = None, pixel_col: int | None = None,
             request: gr.Request = None):
    """Filters `image` with a preset or custom kernel; returns the filtered picture and notes on it.

    With a pixel row and column (-1: the centre), a ring marks that output pixel on the picture (the
    one `explain` works out). The figures that explain it come from `explain`, a separate event:
    drawing them takes several times longer than the convolution, and the photo should not wait.
    """
    picture, notes, _ = _convolved(image, kernel, mode, stride, padding, custom_kernel, pixel_row, pixel_col,
                                   ui.language(request))
    return picture, notes


@ui.light
def convolve_picture(image, kernel: str = "edge", mode: str = "color", stride: int = 1, padding: str = "same",
                     custom_kernel=None, pixel_row: int | None = None, pixel_col: int | None = None,
                     request: gr.Request = None):
    """`convolve` for the page: the picture with its alt text (an update API clients need not see)."""
    picture, notes, alt_text = _convolved(image, kernel, mode, stride, padding, custom_kernel, pixel_row,
                                          pixel_col, ui.language(request))
    return gr.Image(value=picture, alt_text=alt_text), notes


def _explanation(image, kernel, mode, stride, padding, custom_kernel, pixel_row, pixel_col, lang: str):
    """(weights, explanation of one output pixel, the kernel's figure, the pixel's step figure), or a
    translated gr.Error."""
    weights, result, stride = _filtered(image, kernel, mode, stride, padding, custom_kernel, lang)
    row, col = _output_pixel(pixel_row, pixel_col, result.response.shape)
    try:
        explanation = kernels.explain_pixel(result.channels, weights, row, col, stride, padding)
    except kernels.KernelError as problem:
        raise ui.error(problem.key, lang, detail=problem.detail) from problem
    return (weights, explanation, plots.kernel_figure(weights, translate(f"kernel_{kernel}", lang), lang),
            plots.step_figure(explanation, weights, lang, grey=mode == "grey"))


@ui.light
def explain(image, kernel: str = "edge", mode: str = "color", stride: int = 1, padding: str = "same",
            custom_kernel=None, pixel_row: int = -1, pixel_col: int = -1, request: gr.Request = None):
    """The kernel as a heatmap and one output pixel worked out (-1: the centre pixel)."""
    lang = ui.language(request)
    return _explanation(image, kernel, mode, stride, padding, custom_kernel, pixel_row, pixel_col, lang)[2:]


def _picture(figure) -> np.ndarray:
    """A matplotlib figure as RGB pixels, at its own size (the page scales it down to its box)."""
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[:, :, :3].copy()


def _kernel_alt(weights: np.ndarray, kernel: str, lang: str) -> str:
    rows = "; ".join(" ".join(number(float(value) + 0.0, ".3g", lang) for value in row) for row in weights.tolist())
    return translate("kernels_alt_kernel", lang, kernel=translate(f"kernel_{kernel}", lang), size=weights.shape[0],
                     rows=rows)


def _step_alt(explanation: dict, grey: bool, lang: str) -> str:
    channels = ["channel_grey"] if grey else ["channel_R", "channel_G", "channel_B"]
    sums = "; ".join(f"{translate(channel, lang)} {number(float(total), '.1f', lang)}"
                     for channel, total in zip(channels, explanation["sums"]))
    return translate("kernels_alt_step", lang, row=explanation["row"], col=explanation["col"], sums=sums,
                     total=explanation["total"])


@ui.light
def explain_pictures(image, kernel: str = "edge", mode: str = "color", stride: int = 1, padding: str = "same",
                     custom_kernel=None, pixel_row: int = -1, pixel_col: int = -1, request: gr.Request = None):
    """`explain`'s two figures as pictures for the page, each with its alt text (a gr.Plot has none)."""
    lang = ui.language(request)
    weights, explanation, kernel_figure, step_figure = _explanation(image, kernel, mode, stride, padding,
                                                                    custom_kernel, pixel_row, pixel_col, lang)
    return (gr.Image(value=_picture(kernel_figure), alt_text=_kernel_alt(weights, kernel, lang)),
            gr.Image(value=_picture(step_figure), alt_text=_step_alt(explanation, mode == "grey", lang)))


def redraw(image, kernel, mode, stride, padding, custom_kernel, pixel_row, pixel_col, request: gr.Request = None):
    """The filtered photo, its notes and both figures again, in the page's new language."""
    try:
        values = (image, kernel, mode, stride, padding, custom_kernel, pixel_row, pixel_col)
        return (*convolve_picture(*values, request=request), *explain_pictures(*values, request=request))
    except gr.Error:  # nothing to show (no photo) or a setting the page already reported
        return (gr.skip(),) * 4


def pixel_ranges(image, kernel: str = "edge", stride: int = 1, padding: str = "same", custom_kernel=None,
                 pixel_row: int = 0, pixel_col: int = 0, request: gr.Request = None):
    """The row and column sliders' ranges: the output's size (a photo, its stride and padding)."""
    lang = ui.language(request)
    rgb = images.fit_within(inputs.read_image(image, lang), config.MAX_KERNEL_SIDE)
    size = 5 if kernel == kernels.CUSTOM and len(custom_kernel or []) == 5 else 3
    if kernel in kernels.KERNELS:
        size = kernels.KERNELS[kernel].shape[0]
    try:
        rows, cols = kernels.output_shape(*rgb.shape[:2], size, ui.clamp_int(stride, 1, 4, 1), padding)
    except kernels.KernelError:
        return gr.skip(), gr.skip()  # the convolution itself says what is wrong
    return (gr.update(maximum=rows - 1, value=min(ui.clamp_int(pixel_row, 0, rows - 1, rows // 2), rows - 1)),
            gr.update(maximum=cols - 1, value=min(ui.clamp_int(pixel_col, 0, cols - 1, cols // 2), cols - 1)))


def open_custom_editor(kernel: str):
    """Choosing "custom" opens its grid."""
    return gr.update(open=True) if kernel == kernels.CUSTOM else gr.skip()


def resize_custom_grid(size: int):
    """A fresh identity grid of the chosen size for the custom kernel editor."""
    size = int(size) if int(size) in kernels.CUSTOM_SIZES else 3
    grid = np.zeros((size, size), np.float32)
    grid[size // 2, size // 2] = 1
    return grid.tolist()


def kernel_from_link(request: gr.Request = None):
    """A shared link's kernel (`?kernel=sobel_x`), chosen on page load."""
    return page_links.page_link(request).kernel or gr.skip()


def build(demo: gr.Blocks) -> None:
    with gr.Tab(ui.t("tab_kernels"), id="kernels"):
        gr.Markdown(ui.t("kernels_heading"))
        # The kernel's list beside the photo and its filtered version: at 1366x768 the settings and the
        # picture they change are in sight together; on a phone the columns stack, the pictures right
        # after the kernel's list (the other settings, and the notes on the picture, in a second row).
        with gr.Row():
            with gr.Column(scale=2, min_width=320):
                kernel_dropdown = components.Dropdown(ui.choices(kernels.KERNEL_CHOICES, "kernel_"), value="edge",
                                                      label=ui.t("kernel"))
                convolve_button = gr.Button(ui.t("convolve_button"), variant="primary")
                mode_radio = components.Radio([(ui.t("mode_color"), "color"), (ui.t("mode_grey"), "grey")],
                                              value="color", label=ui.t("mode"))
            with gr.Column(scale=3, min_width=320):
                with gr.Row(equal_height=True):  # side by side, even on a phone (min_width)
                    input_image = inputs.image_input(value=inputs.SAMPLE_PHOTO, height=PICTURE_HEIGHT,
                                                     min_width=140, elem_id="kernels-photo")
                    # No label chip nor toolbar: they covered the picture's corners, and a ring there.
                    output_image = components.PictureOutput(label=ui.t("filtered_image"), show_label=False,
                                                            format="png", interactive=False, height=PICTURE_HEIGHT,
                                                            buttons=[], elem_id="filtered", min_width=140)
        with gr.Row():
            with gr.Column(scale=2, min_width=320):
                with gr.Row():  # side by side beside the pictures, one above the other on a phone
                    stride_slider = components.Slider(1, 4, value=1, step=1, label=ui.t("stride"), min_width=180)
                    padding_radio = components.Radio([(ui.t("padding_same"), "same"),
                                                      (ui.t("padding_valid"), "valid")],
                                                     value="same", label=ui.t("padding"), min_width=240)
                with gr.Accordion(ui.t("kernel_custom"), open=False) as custom_accordion:
                    custom_size_radio = components.Radio([3, 5], value=3, label=ui.t("custom_size"))
                    custom_grid = components.KernelGrid(resize_custom_grid(3), label=ui.t("custom_kernel"),
                                                        interactive=True, type="array", headers=None,
                                                        row_count=3, column_count=3)
            with gr.Column(scale=3, min_width=320):
                inputs.dataset_photo_button(input_image)
                notes_markdown = gr.Markdown()
                gr.Examples([[inputs.SAMPLE_PHOTO]], inputs=[input_image], label=ui.t("examples_photo"))
        with gr.Accordion(ui.t("about_tab"), open=False):
            gr.Markdown(ui.t("kernels_intro"))
        gr.Markdown(ui.t("step_heading"))
        with gr.Row():
            with gr.Column(scale=2, min_width=320):
                kernel_image = components.PictureOutput(label=ui.t("kernel_heatmap"), show_label=False, format="png",
                                                        interactive=False, buttons=[], elem_id="kernel-plot")
            with gr.Column(scale=3, min_width=320):
                with gr.Row():
                    pixel_row_slider = components.Slider(0, 1023, value=100, step=1, label=ui.t("pixel_row"),
                                                         min_width=140)
                    pixel_col_slider = components.Slider(0, 1023, value=100, step=1, label=ui.t("pixel_col"),
                                                         min_width=140)
                # The figure is drawn 600 px wide, readable when the page shows it 350 px wide on a phone:
                # it is scaled to its box, never scrolled sideways.
                step_image = components.PictureOutput(label=ui.t("step_view"), show_label=False, format="png",
                                                      interactive=False, buttons=[], elem_id="step-plot")
        # The API's figures: matplotlib plots, as clients have always had them (the page shows pictures).
        kernel_plot = gr.Plot(label=ui.t("kernel_heatmap"), visible=False)
        step_plot = gr.Plot(label=ui.t("step_view"), visible=False)

        filter_inputs = [input_image, kernel_dropdown, mode_radio, stride_slider, padding_radio, custom_grid]
        explain_inputs = [*filter_inputs, pixel_row_slider, pixel_col_slider]
        filter_outputs, picture_outputs = [output_image, notes_markdown], [kernel_image, step_image]
        # API endpoints, their inputs and defaults as ever (no ring: a client names no pixel to convolve).
        gr.on([], convolve, filter_inputs, filter_outputs, api_name="convolve")
        gr.on([], explain, explain_inputs, [kernel_plot, step_plot], api_name="explain")

        def draw(event):
            """The filtered photo with its ring, then the figures (slower: the photo does not wait)."""
            event.then(convolve_picture, explain_inputs, filter_outputs, api_visibility="private",
                       show_progress="hidden")
            event.then(explain_pictures, explain_inputs, picture_outputs, api_visibility="private",
                       show_progress="hidden")

        # The button keeps the ring and its note (the same pixel as the step figure).
        convolve_button.click(convolve_picture, explain_inputs, filter_outputs, api_visibility="private")
        convolve_button.click(explain_pictures, explain_inputs, picture_outputs, api_visibility="private",
                              show_progress="hidden")
        # Every control re-draws at once (the grid after each edited cell; a slider as it moves, by mouse
        # or keys: `.input`, where `.release` missed the arrow keys).
        setting_changes = [input_image.change, kernel_dropdown.change, mode_radio.change, stride_slider.input,
                           padding_radio.change, custom_grid.input]
        ranges_inputs = [input_image, kernel_dropdown, stride_slider, padding_radio, custom_grid, pixel_row_slider,
                         pixel_col_slider]
        # A shared link's kernel (?kernel=sobel_x) first, so the first picture is already the chosen one.
        opened = demo.load(kernel_from_link, None, kernel_dropdown, api_visibility="private", show_progress="hidden")
        for ranges in (gr.on(setting_changes, pixel_ranges, ranges_inputs, [pixel_row_slider, pixel_col_slider],
                             api_visibility="private", show_progress="hidden", trigger_mode="always_last"),
                       opened.then(pixel_ranges, ranges_inputs, [pixel_row_slider, pixel_col_slider],
                                   api_visibility="private", show_progress="hidden")):
            draw(ranges)  # after the ranges: a pixel beyond a smaller output is moved inside before it is drawn
        for slider in (pixel_row_slider, pixel_col_slider):
            slider.input(convolve_picture, explain_inputs, filter_outputs, api_visibility="private",
                         show_progress="hidden", trigger_mode="always_last")
            slider.input(explain_pictures, explain_inputs, picture_outputs, api_visibility="private",
                         show_progress="hidden", trigger_mode="always_last")
        kernel_dropdown.change(open_custom_editor, kernel_dropdown, custom_accordion, api_visibility="private",
                               queue=False)
        draw(custom_size_radio.change(resize_custom_grid, custom_size_radio, custom_grid, api_visibility="private"))
        language_switch.redraw_on_switch(redraw, explain_inputs, [*filter_outputs, *picture_outputs])
