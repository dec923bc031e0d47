"""Inside the network tab: a trained CNN's feature maps, its learned filters beside the hand-made
kernels, and where it looked (Grad-CAM)."""

from __future__ import annotations

import gradio as gr

from flower_demo.look import kernels, plots
from flower_demo.i18n import translate
from flower_demo.tabs import components, inputs, model_choice, saliency_panel, ui

MAX_PER_STAGE = 24  # maps per stage: 24 heatmaps already fill a projector's row of mosaics


def _inspected(image, model: str, student_model, lang: str, progress):
    """(rgb, network, note) for a request, or a translated gr.Error."""
    rgb = inputs.read_image(image, lang)
    network, note = model_choice.chosen_model(model, student_model, lang, progress)
    return rgb, network, note


def _first_filters(network, lang: str):
    """The first convolution's filters and each one's closest hand-made kernel, (name, similarity); a
    translated gr.Error for a network without convolutions or with filters of a size no kernel has (7×7)."""
    from flower_demo.look import inside

    try:
        filters = inside.learned_filters(network)
        return filters, [inside.closest_kernel(inside.grey_version(filters.weights[..., index]))
                         for index in range(filters.weights.shape[-1])]
    except inside.InspectError as problem:
        raise ui.error(problem.key, lang, detail=problem.detail) from problem


@ui.light
def show_feature_maps(image, model: str = "own", per_stage: int = 12, student_model=None,
                      request: gr.Request = None, progress=gr.Progress()):
    """Each convolution stage's most active maps for a photo, as captioned mosaics."""
    from flower_demo.look import inside  # lazy: TensorFlow

    lang = ui.language(request)
    rgb, network, note = _inspected(image, model, student_model, lang, progress)
    try:
        stages = inside.feature_maps(network, rgb, ui.clamp_int(per_stage, 1, MAX_PER_STAGE, 12))
    except inside.InspectError as problem:
        raise ui.error(problem.key, lang, detail=problem.detail) from problem
    titles = [translate("stage_caption", lang, index=index, layer=stage.layer, height=stage.shape[0],
                        width=stage.shape[1], channels=stage.shape[2], shown=len(stage.channels))
              for index, stage in enumerate(stages, start=1)]
    sheet = plots.feature_map_sheet([(title, stage.maps, stage.channels) for title, stage in zip(titles, stages)])
    listing = "\n".join(f"- {title}" for title in titles)  # the picture's titles as text, for readers and clients
    return sheet, "\n\n".join(part for part in (note, listing) if part)


def _short(kernel_name: str) -> str:
    """A kernel's name without its explanation in brackets ("Sobel X (vertical edges)" -> "Sobel X")."""
    return kernel_name.split(" (")[0]


def _filter_comparison(rgb, filters, closest, index: int, lang: str):
    """The learned filter `index` and its closest hand-made kernel, each applied to the photo."""
    from flower_demo.look import inside

    weights = filters.weights[..., index]
    name, similarity = closest[index]
    learned = inside.apply_learned_filter(rgb, weights)
    handmade = kernels.apply(rgb, kernels.KERNELS[name], "grey", max_side=max(learned.shape)).response[:, :, 0]
    kernel_name = translate(f"kernel_{name}", lang)
    notes = translate("filter_notes", lang, index=index, layer=filters.layer, kernel=kernel_name,
                      similarity=similarity)
    return plots.response_picture(learned), plots.response_picture(handmade), notes


@ui.light
def show_filters(image, model: str = "own", filter_index: int = 0, student_model=None, request: gr.Request = None,
                 progress=gr.Progress()):
    """The first convolution's filters with their closest hand-made kernels (one picture, and the same as a
    table), and one of them applied beside its kernel."""
    lang = ui.language(request)
    rgb, network, note = _inspected(image, model, student_model, lang, progress)
    filters, closest = _first_filters(network, lang)
    names = [_short(translate(f"kernel_{name}", lang)) for name, _ in closest]
    captions = [translate("filter_caption", lang, index=index, kernel=name, similarity=similarity)
                for index, (name, (_, similarity)) in enumerate(zip(names, closest))]
    listing = "\n".join([translate("filters_header", lang), "|---|---|---:|"]
                        + [translate("filters_row", lang, index=index, kernel=name, similarity=similarity)
                           for index, (name, (_, similarity)) in enumerate(zip(names, closest))])
    index = ui.clamp_int(filter_index, 0, filters.weights.shape[-1] - 1, 0)
    learned, handmade, notes = _filter_comparison(rgb, filters, closest, index, lang)
    return (plots.filter_sheet(filters.weights, captions), listing, learned, handmade,
            "\n\n".join(part for part in (notes, note) if part))


@ui.light
def apply_filter(image, model: str = "own", filter_index: int = 0, student_model=None,
                 request: gr.Request = None, progress=gr.Progress()):
    """One learned filter and its closest hand-made kernel on the photo (a click on the filters)."""
    lang = ui.language(request)
    rgb, network, note = _inspected(image, model, student_model, lang, progress)
    filters, closest = _first_filters(network, lang)
    index = ui.clamp_int(filter_index, 0, filters.weights.shape[-1] - 1, 0)
    learned, handmade, notes = _filter_comparison(rgb, filters, closest, index, lang)
    return learned, handmade, "\n\n".join(part for part in (notes, note) if part)


def select_filter(selection: gr.SelectData):
    """The filter a click on the sheet landed on (a click between filters changes nothing)."""
    x, y = selection.index
    index = plots.filter_at(x, y, 10**6)  # the handler clamps to the model's own number of filters
    return gr.skip() if index is None else index


def build(student_model: gr.State) -> None:
    with gr.Tab(ui.t("tab_inside"), id="inside") as tab:
        gr.Markdown(ui.t("inside_intro"))
        with gr.Row():
            with gr.Column(scale=1):
                input_image = inputs.image_input(value=inputs.SAMPLE_PHOTO, height=280)
                inputs.dataset_photo_button(input_image)
                model_radio = components.Radio([(ui.t(f"inside_model_{key}"), key) for key in model_choice.MODEL_CHOICES],
                                       value="own", label=ui.t("inside_model"))
                per_stage_slider = components.Slider(1, MAX_PER_STAGE, value=12, step=1, label=ui.t("per_stage"))
                inside_button = gr.Button(ui.t("inside_button"), variant="primary")
                ui.active_when_warm(inside_button, ui.t("inside_button"), ui.t("classify_button_loading"))
            with gr.Column(scale=2):
                gr.Markdown(ui.t("feature_maps_intro"))
                maps_note = gr.Markdown()
        # Full width, so a tablet still shows the maps large. No label chip: it would cover the first
        # stage's title (the heading above names the picture).
        maps_image = components.PictureOutput(label=ui.t("feature_maps"), show_label=False, format="png", interactive=False,
                                      elem_id="feature-maps")
        gr.Markdown(ui.t("filters_intro"))
        with gr.Row():
            with gr.Column(scale=3):
                # No label chip: it would cover the first filter (the heading above names the picture).
                filters_image = components.PictureOutput(label=ui.t("learned_filters"), show_label=False, format="png",
                                                 interactive=False, elem_id="learned-filters")
                with gr.Accordion(ui.t("filters_listing"), open=False):
                    filters_markdown = gr.Markdown()
            with gr.Column(scale=2):
                filter_number = components.Number(0, precision=0, minimum=0, label=ui.t("filter_number"))
                with gr.Row():
                    learned_image = components.PictureOutput(label=ui.t("learned_response"), format="jpeg",
                                                     interactive=False, height=240)
                    handmade_image = components.PictureOutput(label=ui.t("handmade_response"), format="jpeg",
                                                      interactive=False, height=240)
                filter_markdown = gr.Markdown()
        gr.Markdown(ui.t("saliency_intro"))
        saliency_inputs, saliency_outputs, saliency_changes = saliency_panel.build(input_image, model_radio,
                                                                                student_model)

        maps_inputs = [input_image, model_radio, per_stage_slider, student_model]
        filter_inputs = [input_image, model_radio, filter_number, student_model]
        filter_outputs = [filters_image, filters_markdown, learned_image, handmade_image, filter_markdown]
        inside_button.click(show_feature_maps, maps_inputs, [maps_image, maps_note], api_name="feature_maps")
        inside_button.click(show_filters, filter_inputs, filter_outputs, api_name="filters")
        inside_button.click(saliency_panel.show_saliency, saliency_inputs, saliency_outputs, api_name="saliency")
        # Opening the tab, a new photo or another model show everything again at once.
        refresh = [tab.select, input_image.change, model_radio.change]
        gr.on([*refresh, per_stage_slider.release], show_feature_maps, maps_inputs, [maps_image, maps_note], api_visibility="private",
              show_progress="minimal")
        gr.on(refresh, show_filters, filter_inputs, filter_outputs, api_visibility="private", show_progress="minimal")
        gr.on([*refresh, *saliency_changes], saliency_panel.show_saliency, saliency_inputs, saliency_outputs,
              api_visibility="private", show_progress="minimal")
        filters_image.select(select_filter, None, filter_number, api_visibility="private")
        filter_number.change(apply_filter, filter_inputs, [learned_image, handmade_image, filter_markdown],
                             api_visibility="private", show_progress="minimal")
