"""Kernels tab: pick a kernel, see the filtered photo, the kernel and one output pixel's arithmetic."""

from __future__ import annotations

import gradio as gr
import numpy as np

from flower_demo import config
from flower_demo.data import images
from flower_demo.look import kernels, plots
from flower_demo.i18n import translate
from flower_demo.tabs import components, inputs, page_links, ui


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


@ui.light
def convolve(image, kernel: str = "edge", mode: str = "color", stride: int = 1, padding: str = "same",
             custom_kernel=None, pixel_row: int | None = None, pixel_col: int | None = None,
             request: gr.Request = None):
    """Filters `image` with a preset or custom kernel; returns the filtered picture and notes on it.

    With a pixel row and column (-1: the centre), a ring marks that output pixel on the picture (the
    one `explain` works out). The figures that explain it come from `explain`, a separate event:
    drawing them takes several times longer than the convolution, and the photo should not wait.
    """
    lang = ui.language(request)
    weights, result, _ = _filtered(image, kernel, mode, stride, padding, custom_kernel, lang)
    mapping = kernels.display_mapping(kernel, weights)
    notes = [translate(f"display_{mapping}", lang),
             translate("response_range", lang, low=result.low, high=result.high,
                       height=result.response.shape[0], width=result.response.shape[1])]
    if result.original_size != result.channels.shape[:2]:
        notes.append(translate("downscaled", lang, height=result.original_size[0], width=result.original_size[1],
                               max_side=config.MAX_KERNEL_SIDE))
    picture = kernels.to_display(result.response, mapping)
    if pixel_row is not None and pixel_col is not None:
        row, col = _output_pixel(pixel_row, pixel_col, result.response.shape)
        picture = plots.mark_pixel(picture, row, col)
        notes.append(translate("step_marker", lang, row=row, col=col))
    return picture, "\n\n".join(notes)


@ui.light
def explain(image, kernel: str = "edge", mode: str = "color", stride: int = 1, padding: str = "same",
            custom_kernel=None, pixel_row: int = -1, pixel_col: int = -1, request: gr.Request = None):
    """The kernel as a heatmap and one output pixel worked out (-1: the centre pixel)."""
    lang = ui.language(request)
    weights, result, stride = _filtered(image, kernel, mode, stride, padding, custom_kernel, lang)
    row, col = _output_pixel(pixel_row, pixel_col, result.response.shape)
    try:
        explanation = kernels.explain_pixel(result.channels, weights, row, col, stride, padding)
    except kernels.KernelError as problem:
        raise ui.error(problem.key, lang, detail=problem.detail) from problem
    return (plots.kernel_figure(weights, translate(f"kernel_{kernel}", lang), lang),
            plots.step_figure(explanation, weights, lang, grey=mode == "grey"))


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
        gr.Markdown(ui.t("kernels_intro"))
        # The photo and the filtered photo side by side, even on a phone (min_width), the controls below.
        with gr.Row(equal_height=True):
            with gr.Column(min_width=160):
                input_image = inputs.image_input(value=inputs.SAMPLE_PHOTO, height=320)
            with gr.Column(min_width=160):
                output_image = components.PictureOutput(label=ui.t("filtered_image"), format="png", interactive=False,
                                                height=320, elem_id="filtered")
        with gr.Row():
            with gr.Column():
                gr.Examples([[inputs.SAMPLE_PHOTO]], inputs=[input_image], label=ui.t("examples_photo"))
                inputs.dataset_photo_button(input_image)
                kernel_dropdown = components.Dropdown(ui.choices(kernels.KERNEL_CHOICES, "kernel_"), value="edge",
                                              label=ui.t("kernel"))
                mode_radio = components.Radio([(ui.t("mode_color"), "color"), (ui.t("mode_grey"), "grey")],
                                      value="color", label=ui.t("mode"))
                with gr.Row():
                    stride_slider = components.Slider(1, 4, value=1, step=1, label=ui.t("stride"))
                    padding_radio = components.Radio([(ui.t("padding_same"), "same"), (ui.t("padding_valid"), "valid")],
                                             value="same", label=ui.t("padding"))
                with gr.Accordion(ui.t("kernel_custom"), open=False) as custom_accordion:
                    custom_size_radio = components.Radio([3, 5], value=3, label=ui.t("custom_size"))
                    custom_grid = components.KernelGrid(resize_custom_grid(3), label=ui.t("custom_kernel"),
                                            interactive=True, type="array", headers=None,
                                            row_count=3, column_count=3)
                convolve_button = gr.Button(ui.t("convolve_button"), variant="primary")
            with gr.Column():
                notes_markdown = gr.Markdown()
                # No label chip: it covered the figure's own title ("Sobel Y" read "el Y" on a tablet).
                kernel_plot = gr.Plot(label=ui.t("kernel_heatmap"), show_label=False)
        gr.Markdown(ui.t("step_heading"))
        with gr.Row():
            pixel_row_slider = components.Slider(0, 1023, value=100, step=1, label=ui.t("pixel_row"), min_width=160)
            pixel_col_slider = components.Slider(0, 1023, value=100, step=1, label=ui.t("pixel_col"), min_width=160)
        step_plot = gr.Plot(label=ui.t("step_view"), show_label=False, elem_id="step-plot")

        filter_inputs = [input_image, kernel_dropdown, mode_radio, stride_slider, padding_radio, custom_grid]
        explain_inputs = [*filter_inputs, pixel_row_slider, pixel_col_slider]
        filter_outputs, explain_outputs = [output_image, notes_markdown], [kernel_plot, step_plot]
        convolve_button.click(convolve, filter_inputs, filter_outputs, api_name="convolve")
        convolve_button.click(explain, explain_inputs, explain_outputs, api_name="explain")
        # Every control re-draws at once (the grid after each edited cell); the button is for API clients
        # and for anyone who wants to press something.
        setting_changes = [input_image.change, kernel_dropdown.change, mode_radio.change, stride_slider.release,
                           padding_radio.change, custom_grid.input]
        ranges_inputs = [input_image, kernel_dropdown, stride_slider, padding_radio, custom_grid, pixel_row_slider,
                         pixel_col_slider]
        # A shared link's kernel (?kernel=sobel_x) first, so the first picture is already the chosen one.
        opened = demo.load(kernel_from_link, None, kernel_dropdown, api_visibility="private", show_progress="hidden")
        for ranges in (gr.on(setting_changes, pixel_ranges, ranges_inputs, [pixel_row_slider, pixel_col_slider],
                             api_visibility="private", show_progress="hidden"),
                       opened.then(pixel_ranges, ranges_inputs, [pixel_row_slider, pixel_col_slider],
                                   api_visibility="private", show_progress="hidden")):
            # After the ranges: a pixel beyond a smaller output is moved inside before it is drawn.
            ranges.then(convolve, explain_inputs, filter_outputs, api_visibility="private", show_progress="hidden")
            ranges.then(explain, explain_inputs, explain_outputs, api_visibility="private", show_progress="hidden")
        gr.on([pixel_row_slider.release, pixel_col_slider.release], convolve, explain_inputs, filter_outputs,
              api_visibility="private", show_progress="hidden")
        gr.on([pixel_row_slider.release, pixel_col_slider.release], explain, explain_inputs, explain_outputs,
              api_visibility="private", show_progress="hidden")
        kernel_dropdown.change(open_custom_editor, kernel_dropdown, custom_accordion, api_visibility="private",
                               queue=False)
        resized = custom_size_radio.change(resize_custom_grid, custom_size_radio, custom_grid, api_visibility="private")
        resized.then(convolve, explain_inputs, filter_outputs, api_visibility="private", show_progress="hidden")
        resized.then(explain, explain_inputs, explain_outputs, api_visibility="private", show_progress="hidden")
