"""Dataset tab: where the photos come from, how many per class, nine labelled photos, a batch, 0-1 pixels."""

from __future__ import annotations

import gradio as gr

from flower_demo import config, errors
from flower_demo.data import dataset_overview, download
from flower_demo.i18n import class_label, translate
from flower_demo.look import plots
from flower_demo.tabs import ui


@ui.light
def show_dataset(image_size: int = config.TUTORIAL_IMAGE_SIZE, request: gr.Request = None,
                 progress=gr.Progress()):
    """Locates (or downloads) the photos, decodes them once and describes them as the tutorial does."""
    lang = ui.language(request)
    image_size = ui.clamp_int(image_size, config.MIN_IMAGE_SIZE, config.MAX_IMAGE_SIZE, config.TUTORIAL_IMAGE_SIZE)

    def report_download(done: int, total: int) -> None:
        progress((done, total or None), desc=translate("status_downloading", lang, done=done / 1e6, total=total / 1e6))

    def report(done: int, total: int) -> None:
        progress((done, total or None), desc=translate("status_loading", lang, done=done, total=total or "?"))

    try:
        folder = download.locate_dataset(progress=report_download)
        overview = dataset_overview.describe(folder, image_size, config.TUTORIAL_BATCH_SIZE, progress=report)
    except errors.DatasetError as problem:
        raise ui.error(problem.key, lang, detail=problem.detail) from problem
    skipped = translate("dataset_skipped", lang, count=len(overview.skipped)) if overview.skipped else ""
    summary = translate("dataset_summary", lang, count=overview.count, classes=len(overview.counts),
                        train=overview.train_count, val=overview.val_count, skipped=skipped)
    titles = [class_label(name, lang) for name in overview.sample_names]
    shapes = translate("shapes_text", lang, images=overview.batch_shape, labels=overview.label_shape)
    low, high = overview.pixel_range
    normalised = translate("normalise_text", lang, low_before=low, high_before=high,
                           low_after=low / 255, high_after=high / 255)
    return (summary, plots.class_counts_figure(overview.counts, lang),
            plots.image_grid_figure(list(overview.samples), titles, translate("sample_grid", lang)), shapes, normalised)


def build() -> None:
    with gr.Tab(ui.t("tab_dataset"), id="dataset"):
        gr.Markdown(ui.t("dataset_intro"))
        dataset_button = gr.Button(ui.t("dataset_button"), variant="primary")
        summary_markdown = gr.Markdown()
        with gr.Row():
            # No label chips: they covered the figures' titles and the grid's first two labels.
            counts_plot = gr.Plot(label=ui.t("class_counts"), show_label=False)
            grid_plot = gr.Plot(label=ui.t("sample_grid"), show_label=False)
        shapes_markdown = gr.Markdown()
        gr.Markdown(ui.t("performance_note"))
        gr.Markdown(ui.t("normalise_intro"))
        normalise_markdown = gr.Markdown()
        dataset_button.click(show_dataset, None,
                             [summary_markdown, counts_plot, grid_plot, shapes_markdown, normalise_markdown],
                             api_name="dataset", show_progress_on=[summary_markdown])
