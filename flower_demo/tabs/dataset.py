"""Dataset tab: where the photos come from, how many per class, nine labelled photos, a batch, 0-1 pixels."""

from __future__ import annotations

import gradio as gr
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg

from flower_demo import config, errors
from flower_demo.data import dataset_overview, download
from flower_demo.i18n import class_label, number, translate
from flower_demo.look import plots
from flower_demo.tabs import components, language_switch, ui


def _overview(image_size, lang: str, progress) -> dataset_overview.DatasetOverview:
    """Locates (or downloads) the photos and decodes them once, saying what it does at every step: the
    first load of a server reads or decodes ~3,700 photos for several seconds."""
    image_size = ui.clamp_int(image_size, config.MIN_IMAGE_SIZE, config.MAX_IMAGE_SIZE, config.TUTORIAL_IMAGE_SIZE)

    def report_download(done: int, total: int) -> None:
        progress((done, total or None), desc=translate("status_downloading", lang, done=done / 1e6, total=total / 1e6))

    def report(done: int, total: int) -> None:
        progress((done, total or None), desc=translate("status_loading", lang, done=done, total=total or "?"),
                 unit=translate("dataset_unit_photos", lang))

    try:
        # A share done with each text: Gradio shows a text only beside a number.
        progress(0.0, desc=translate("dataset_status_finding", lang))
        folder = download.locate_dataset(progress=report_download)
        progress(0.05, desc=translate("dataset_status_reading", lang))
        return dataset_overview.describe(folder, image_size, config.TUTORIAL_BATCH_SIZE, progress=report)
    except errors.DatasetError as problem:
        raise ui.error(problem.key, lang, detail=problem.detail) from problem


def _texts(overview: dataset_overview.DatasetOverview, lang: str) -> tuple[str, str, str]:
    """The summary (with each class's name in this language beside its folder's), the batch's shapes and
    the pixels before and after normalising."""
    skipped = translate("dataset_skipped", lang, count=len(overview.skipped)) if overview.skipped else ""
    summary = translate("dataset_summary", lang, count=overview.count, classes=len(overview.counts),
                        train=overview.train_count, val=overview.val_count, skipped=skipped)
    labels = {name: class_label(name, lang) for name in overview.counts}
    names = ", ".join(label if label == name else f"{label} (`{name}`)"  # the folder's name beside a translation
                      for name, label in labels.items())
    summary += "\n\n" + translate("dataset_classes", lang, classes=names)
    shapes = translate("shapes_text", lang, images=overview.batch_shape, labels=overview.label_shape)
    low, high = overview.pixel_range
    normalised = translate("normalise_text", lang, low_before=low, high_before=high,
                           low_after=low / 255, high_after=high / 255)
    return summary, shapes, normalised


def _figures(overview: dataset_overview.DatasetOverview, lang: str):
    titles = [class_label(name, lang) for name in overview.sample_names]
    return (plots.class_counts_figure(overview.counts, lang),
            plots.image_grid_figure(list(overview.samples), titles, translate("sample_grid", lang)))


@ui.light
def show_dataset(image_size: int = config.TUTORIAL_IMAGE_SIZE, request: gr.Request = None,
                 progress=gr.Progress()):
    """Locates (or downloads) the photos, decodes them once and describes them as the tutorial does."""
    lang = ui.language(request)
    overview = _overview(image_size, lang, progress)
    summary, shapes, normalised = _texts(overview, lang)
    return (summary, *_figures(overview, lang), shapes, normalised)


def _picture(figure) -> np.ndarray:
    """A matplotlib figure as RGB pixels, at its own size (the page scales it down to its box)."""
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[:, :, :3].copy()


def _page(overview: dataset_overview.DatasetOverview, lang: str):
    """The page's five results (the figures as pictures with their alt texts) and the overview kept."""
    summary, shapes, normalised = _texts(overview, lang)
    counts_figure, grid_figure = _figures(overview, lang)
    counts = "; ".join(f"{class_label(name, lang)} {number(count, 'd', lang)}"
                       for name, count in overview.counts.items())
    names = ", ".join(class_label(name, lang) for name in overview.sample_names)
    return (summary,
            gr.Image(value=_picture(counts_figure), alt_text=translate("dataset_alt_counts", lang, counts=counts)),
            gr.Image(value=_picture(grid_figure),
                     alt_text=translate("dataset_alt_grid", lang, count=len(overview.sample_names), names=names)),
            shapes, normalised, overview)


@ui.light
def show_dataset_page(request: gr.Request = None, progress=gr.Progress()):
    """`show_dataset` for the page: its figures as pictures with alt texts (a gr.Plot has none)."""
    lang = ui.language(request)
    overview = _overview(config.TUTORIAL_IMAGE_SIZE, lang, progress)
    progress(0.95, desc=translate("dataset_status_drawing", lang))
    return _page(overview, lang)


def redraw(overview, request: gr.Request = None):
    """The shown results again in the page's new language (from the overview kept: nothing is read)."""
    if overview is None:
        return (gr.skip(),) * 6
    return (*_page(overview, ui.language(request))[:5], gr.skip())


def build() -> None:
    with gr.Tab(ui.t("tab_dataset"), id="dataset"):
        gr.Markdown(ui.t("dataset_heading"))
        with gr.Row():
            with gr.Column(scale=2, min_width=320):
                dataset_button = gr.Button(ui.t("dataset_button"), variant="primary")
                summary_markdown = gr.Markdown()
                shapes_markdown = gr.Markdown()
                normalise_markdown = gr.Markdown()
            with gr.Column(scale=3, min_width=320):
                with gr.Row():
                    # No label chips nor toolbars: they covered the figures' titles.
                    counts_image = components.PictureOutput(label=ui.t("class_counts"), show_label=False,
                                                            format="png", interactive=False, buttons=[],
                                                            elem_id="class-counts", min_width=240)
                    grid_image = components.PictureOutput(label=ui.t("sample_grid"), show_label=False,
                                                          format="png", interactive=False, buttons=[],
                                                          elem_id="sample-grid", min_width=240)
        with gr.Accordion(ui.t("about_tab"), open=False):
            gr.Markdown(ui.t("dataset_intro"))
            gr.Markdown(ui.t("performance_note"))
            gr.Markdown(ui.t("normalise_intro"))
        overview_state = gr.State(None, time_to_live=3600)  # what is shown: redrawn in another language
        # The API's figures: matplotlib plots, as clients have always had them (the page shows pictures).
        counts_plot = gr.Plot(label=ui.t("class_counts"), visible=False)
        grid_plot = gr.Plot(label=ui.t("sample_grid"), visible=False)
        gr.on([], show_dataset, None, [summary_markdown, counts_plot, grid_plot, shapes_markdown, normalise_markdown],
              api_name="dataset")
        page_outputs = [summary_markdown, counts_image, grid_image, shapes_markdown, normalise_markdown, overview_state]
        # The progress (finding, reading or decoding, drawing) in the first figure's box, beside the button
        # (an empty summary has no room for it).
        dataset_button.click(show_dataset_page, None, page_outputs, api_visibility="private",
                             show_progress_on=[counts_image])
        language_switch.redraw_on_switch(redraw, [overview_state], page_outputs)
