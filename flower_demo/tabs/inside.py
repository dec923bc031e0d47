"""Inside the network tab: a trained CNN's feature maps, its learned filters beside the hand-made
kernels, and where it looked (Grad-CAM).

At 1366×768 the photo, the model and "Look inside" sit left of the feature maps; the filters and
Grad-CAM follow, each in its own section with its control beside its picture. Every picture carries an
alt text in the page's language, and a language switch redraws what the server wrote.
"""

from __future__ import annotations

import gradio as gr
import numpy as np
from gradio.context import Context

from flower_demo.look import kernels, plots
from flower_demo.i18n import translate
from flower_demo.tabs import components, inputs, language_switch, model_choice, saliency_panel, ui

MAX_PER_STAGE = 24  # maps per stage: 24 heatmaps already fill a projector's row of mosaics
PHOTO_HEIGHT = 200  # px: the photo, the model and the button above the fold of a 768 px projector
RESPONSE_HEIGHT = 240  # px: a learned filter's and its kernel's responses, side by side on a projector

# Where a picture responds most: the cell of a 3 × 3 grid with the strongest mean response.
WHERE = (("top_left", "top", "top_right"), ("left", "centre", "right"), ("bottom_left", "bottom", "bottom_right"))


def where(values: np.ndarray, lang: str) -> str:
    """"in the top left", "en el centro"...: the part of a (height, width) map with the highest mean."""
    values = np.asarray(values, np.float64)
    best, place = -np.inf, WHERE[1][1]
    for row, rows in enumerate(np.array_split(np.arange(values.shape[0]), 3)):
        for col, cols in enumerate(np.array_split(np.arange(values.shape[1]), 3)):
            if len(rows) and len(cols):
                mean = float(values[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1].mean())
                if mean > best:
                    best, place = mean, WHERE[row][col]
    return translate(f"inside_where_{place}", lang)


def _tell(progress, lang: str, key: str) -> None:
    """Says what an event is waiting for (none when a language switch redraws it)."""
    if progress is not None:
        progress(0.0, desc=translate(key, lang))  # Gradio 6.31 shows no text without a number


def _inspected(image, model: str, student_model, lang: str, progress):
    """(rgb, network, notes) for a request, or a translated gr.Error; the notes name the model."""
    rgb = inputs.read_image(image, lang)
    network, fallback = model_choice.chosen_model(model, student_model, lang, progress)
    return rgb, network, "\n\n".join(part for part in (model_choice.model_line(network, model == "shipped" or bool(fallback), lang),
                                                       fallback) if part)


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


def _maps_alt(stages, lang: str) -> str:
    parts = [translate("inside_alt_stage", lang, index=index, shown=len(stage.channels), channels=stage.shape[2],
                       height=stage.shape[0], width=stage.shape[1])
             for index, stage in enumerate(stages, start=1)]
    return translate("inside_alt_maps", lang, count=len(stages), stages="; ".join(parts))


@ui.light
def show_feature_maps(image, model: str = "own", per_stage: int = 12, student_model=None,
                      request: gr.Request = None, progress=gr.Progress()):
    """Each convolution stage's most active maps for a photo, as captioned mosaics."""
    from flower_demo.look import inside  # lazy: TensorFlow

    lang = ui.language(request)
    rgb, network, note = _inspected(image, model, student_model, lang, progress)
    _tell(progress, lang, "inside_progress_maps")
    try:
        stages = inside.feature_maps(network, rgb, ui.clamp_int(per_stage, 1, MAX_PER_STAGE, 12))
    except inside.InspectError as problem:
        raise ui.error(problem.key, lang, detail=problem.detail) from problem
    titles = [translate("figure_stage_caption", lang, index=index, layer=stage.layer, height=stage.shape[0],
                        width=stage.shape[1], channels=stage.shape[2], count=len(stage.channels))
              for index, stage in enumerate(stages, start=1)]
    sheet = plots.feature_map_sheet([(title, stage.maps, stage.channels) for title, stage in zip(titles, stages)])
    listing = "\n".join(f"- {title}" for title in titles)  # the picture's titles as text, for readers and clients
    shown = {"alt": _maps_alt(stages, lang), "model": note, "listing": listing}  # for the page (show_maps_texts)
    return sheet, "\n\n".join(part for part in (note, listing) if part), shown


def _short(kernel_name: str) -> str:
    """A kernel's name without its explanation in brackets ("Sobel X (vertical edges)" -> "Sobel X")."""
    return kernel_name.split(" (")[0]


def _filter_comparison(rgb, filters, closest, index: int, lang: str):
    """The learned filter `index` and its closest hand-made kernel, each applied to the photo, the
    notes on them, and the two pictures' alt texts."""
    from flower_demo.look import inside

    weights = filters.weights[..., index]
    name, similarity = closest[index]
    learned = inside.apply_learned_filter(rgb, weights)
    handmade = kernels.apply(rgb, kernels.KERNELS[name], "grey", max_side=max(learned.shape)).response[:, :, 0]
    kernel_name = translate(f"kernel_{name}", lang)
    notes = translate("filter_notes", lang, index=index, layer=filters.layer, kernel=kernel_name,
                      similarity=similarity)
    learned_alt = translate("inside_alt_learned", lang, index=index, where=where(np.abs(learned), lang))
    handmade_alt = translate("inside_alt_handmade", lang, kernel=kernel_name, where=where(np.abs(handmade), lang))
    return plots.response_picture(learned), plots.response_picture(handmade), notes, [learned_alt, handmade_alt]


def _filters_alt(filters, names, closest, lang: str) -> str:
    best = int(np.argmax([abs(similarity) for _, similarity in closest]))
    size = filters.weights.shape[0]
    return translate("inside_alt_filters", lang, count=filters.weights.shape[-1], layer=filters.layer, size=size,
                     best=best, kernel=names[best], similarity=closest[best][1])


@ui.light
def show_filters(image, model: str = "own", filter_index: int = 0, student_model=None, request: gr.Request = None,
                 progress=gr.Progress()):
    """The first convolution's filters with their closest hand-made kernels (one picture, and the same as a
    table), and one of them applied beside its kernel."""
    lang = ui.language(request)
    rgb, network, note = _inspected(image, model, student_model, lang, progress)
    _tell(progress, lang, "inside_progress_filters")
    filters, closest = _first_filters(network, lang)
    names = [_short(translate(f"kernel_{name}", lang)) for name, _ in closest]
    captions = [translate("figure_filter_caption", lang, index=index, kernel=name, similarity=similarity)
                for index, (name, (_, similarity)) in enumerate(zip(names, closest))]
    listing = "\n".join([translate("filters_header", lang), "|---|---|---:|"]
                        + [translate("filters_row", lang, index=index, kernel=name, similarity=similarity)
                           for index, (name, (_, similarity)) in enumerate(zip(names, closest))])
    index = ui.clamp_int(filter_index, 0, filters.weights.shape[-1] - 1, 0)
    learned, handmade, notes, alts = _filter_comparison(rgb, filters, closest, index, lang)
    return (plots.filter_sheet(filters.weights, captions), listing, learned, handmade,
            "\n\n".join(part for part in (notes, note) if part), [_filters_alt(filters, names, closest, lang), *alts])


@ui.light
def apply_filter(image, model: str = "own", filter_index: int = 0, student_model=None,
                 request: gr.Request = None, progress=gr.Progress()):
    """One learned filter and its closest hand-made kernel on the photo (a click on the filters, or
    its number typed)."""
    lang = ui.language(request)
    rgb, network, note = _inspected(image, model, student_model, lang, progress)
    filters, closest = _first_filters(network, lang)
    index = ui.clamp_int(filter_index, 0, filters.weights.shape[-1] - 1, 0)
    learned, handmade, notes, (learned_alt, handmade_alt) = _filter_comparison(rgb, filters, closest, index, lang)
    return (gr.update(value=learned, alt_text=learned_alt), gr.update(value=handmade, alt_text=handmade_alt),
            "\n\n".join(part for part in (notes, note) if part))


def select_filter(selection: gr.SelectData):
    """The filter a click on the sheet landed on (a click between filters changes nothing)."""
    x, y = selection.index
    index = plots.filter_at(x, y, 10**6)  # the handler clamps to the model's own number of filters
    return gr.skip() if index is None else index


def saliency(image, model: str = "own", class_name: str = "predicted", opacity: float = 0.5, student_model=None,
             request: gr.Request = None, progress=gr.Progress()):
    """/saliency: the panel's Grad-CAM with its picture as a plain file for API clients (the panel sends
    it with its alt text, which a client would get as a dict); the page gets the alt text next."""
    overlay, notes = saliency_panel.show_saliency(image, model, class_name, opacity, student_model, request=request,
                                                  progress=progress)
    update = overlay.constructor_args if isinstance(overlay, gr.Image) else overlay
    if isinstance(update, dict):
        return update.get("value"), notes, [update.get("alt_text") or ""]
    return overlay, notes, [""]


# --- a language switch: what is shown, again in the page's new language ------------------------------

def _again(handler, *args, request: gr.Request = None):
    """`handler`'s outputs again, or None when it fails now (the model freed, the photo gone): what is
    shown then stays as it is."""
    try:
        return handler(*args, request=request, progress=None)
    except gr.Error:
        return None


def _alt_text(text):
    return gr.update(alt_text=text) if text else gr.skip()


def one_alt_text(alt_texts):
    """One picture's alt text, sent after the picture (see show_maps_texts)."""
    return _alt_text((alt_texts or [""])[0])


def show_maps_texts(shown):
    """The feature maps' alt text, the model's name beside the controls and the stages' titles under
    the picture, sent after the picture itself. /feature_maps answers its clients with a plain file and
    one text (an update with an alt text would reach them as a dict), which the page keeps hidden: a
    phone shows the maps right after the controls, the titles' listing after them."""
    shown = shown or {}
    return _alt_text(shown.get("alt")), shown.get("model", ""), shown.get("listing", "")


def filters_alt_texts(alt_texts):
    """The filter sheet's and the two responses' alt texts, sent after the pictures (see show_maps_texts)."""
    texts = list(alt_texts or []) + [""] * 3
    return tuple(_alt_text(text) for text in texts[:3])


def redraw_maps(image, model, per_stage, student_model, shown, request: gr.Request = None):
    if not shown:
        return (gr.skip(),) * 4
    drawn = _again(show_feature_maps, image, model, per_stage, student_model, request=request)
    if drawn is None:
        return (gr.skip(),) * 4
    sheet, notes, texts = drawn
    return gr.update(value=sheet, alt_text=texts["alt"]), notes, texts["model"], texts["listing"]


def redraw_filters(image, model, filter_index, student_model, listing, notes, request: gr.Request = None):
    if listing:
        drawn = _again(show_filters, image, model, filter_index, student_model, request=request)
        if drawn is None:
            return (gr.skip(),) * 5
        sheet, listing, learned, handmade, notes, alts = drawn
        return (gr.update(value=sheet, alt_text=alts[0]), listing, gr.update(value=learned, alt_text=alts[1]),
                gr.update(value=handmade, alt_text=alts[2]), notes)
    drawn = _again(apply_filter, image, model, filter_index, student_model, request=request) if notes else None
    return (gr.skip(),) * 5 if drawn is None else (gr.skip(), gr.skip(), *drawn)


def _redraw_saliency(*values, request: gr.Request = None):
    *arguments, shown = values
    if not shown:
        return gr.skip(), gr.skip()
    drawn = _again(saliency_panel.show_saliency, *arguments, request=request)
    return (gr.skip(), gr.skip()) if drawn is None else drawn


def _has_redraw(outputs) -> bool:
    """Whether something built before registered a language redraw for these outputs."""
    registered = getattr(Context.root_block, language_switch._REDRAWS, [])
    return any(output in outs for _, _, outs in registered for output in outputs)


def _slider_input(slider, events) -> list:
    """The slider's keyboard-friendly event, unless `events` already holds one (a pointer's release only
    fires for the mouse)."""
    if any(getattr(event, "__self__", None) is slider and getattr(event, "event_name", "") in ("change", "input")
           for event in events):
        return []
    return [slider.input]


def build(student_model: gr.State) -> None:
    with gr.Tab(ui.t("tab_inside"), id="inside") as tab:
        gr.Markdown(ui.t("inside_heading"))
        with gr.Row():
            with gr.Column(scale=2, min_width=320):
                # The model and the button first: three Tab presses from the tab (the photo's own buttons
                # are five more), and opening the tab already shows the sample photo's maps.
                model_radio = model_choice.model_radio(student_model)
                inside_button = gr.Button(ui.t("inside_button"), variant="primary")
                ui.active_when_warm(inside_button, ui.t("inside_button"), ui.t("classify_button_loading"))
                maps_model = gr.Markdown()  # which model the maps (and what follows) are from
                input_image = inputs.image_input(value=inputs.SAMPLE_PHOTO, height=PHOTO_HEIGHT)
                inputs.dataset_photo_button(input_image)
                inputs.own_photo_button(input_image)
                per_stage_slider = components.Slider(1, MAX_PER_STAGE, value=12, step=1, label=ui.t("per_stage"))
            with gr.Column(scale=3, min_width=320):
                gr.Markdown(ui.t("inside_maps_heading"))
                # No label chip nor toolbar: either would cover the first stage's title (the heading names it).
                maps_image = components.PictureOutput(label=ui.t("feature_maps"), show_label=False, format="png",
                                                      interactive=False, buttons=[], elem_id="feature-maps")
                maps_listing = gr.Markdown()  # the stages' titles as text
                maps_note = gr.Markdown(visible=False)  # /feature_maps's text: the model, then the titles

        gr.Markdown(ui.t("inside_filters_heading"))
        with gr.Row():
            with gr.Column(scale=3, min_width=320):
                filter_number = components.Number(0, precision=0, minimum=0, label=ui.t("filter_number"))
                # Each picture's name above it, not a label chip over it; side by side, one above the other on a phone.
                with gr.Row():
                    with gr.Column():
                        gr.Markdown(ui.t("learned_response"))
                        learned_image = components.PictureOutput(label=ui.t("learned_response"), show_label=False,
                                                                 format="jpeg", interactive=False, height=RESPONSE_HEIGHT,
                                                                 buttons=[], elem_id="learned-response")
                    with gr.Column():
                        gr.Markdown(ui.t("handmade_response"))
                        handmade_image = components.PictureOutput(label=ui.t("handmade_response"), show_label=False,
                                                                  format="jpeg", interactive=False,
                                                                  height=RESPONSE_HEIGHT, buttons=[],
                                                                  elem_id="handmade-response")
                filter_markdown = gr.Markdown()
                with gr.Accordion(ui.t("filters_listing"), open=False):  # the sheet as a table, for every reader
                    filters_markdown = gr.Markdown()
            with gr.Column(scale=2, min_width=320):
                # No label chip nor toolbar: either would cover a filter (the heading names the picture). Its
                # column is the narrower: the sheet is tall, and its captions still read at 480 px (16 px).
                filters_image = components.PictureOutput(label=ui.t("learned_filters"), show_label=False, format="png",
                                                         interactive=False, buttons=[], elem_id="learned-filters")

        with gr.Row():
            with gr.Column(scale=2, min_width=320):
                gr.Markdown(ui.t("inside_saliency_heading"))
            with gr.Column(scale=3, min_width=320):
                saliency_inputs, saliency_outputs, saliency_changes = saliency_panel.build(input_image, model_radio,
                                                                                        student_model)

        with gr.Accordion(ui.t("about_tab"), open=False):
            gr.Markdown(ui.t("inside_intro"))
            gr.Markdown(ui.t("feature_maps_intro"))
            gr.Markdown(ui.t("filters_intro"))
            gr.Markdown(ui.t("saliency_intro"))

        maps_texts = gr.State(None)  # the maps' alt text, model and titles, shown once the picture is (show_maps_texts)
        filter_alts = gr.State([])
        saliency_alts = gr.State([])

        maps_inputs = [input_image, model_radio, per_stage_slider, student_model]
        maps_outputs = [maps_image, maps_note, maps_texts]
        filter_inputs = [input_image, model_radio, filter_number, student_model]
        filter_outputs = [filters_image, filters_markdown, learned_image, handmade_image, filter_markdown]
        alt_texts = {"api_visibility": "private", "queue": False, "show_progress": "hidden"}
        drawn_maps = [
            inside_button.click(show_feature_maps, maps_inputs, maps_outputs, api_name="feature_maps"),
            # Opening the tab, a new photo or another model show everything again at once (saying why they
            # wait when the app still warms up or a model's first look is traced).
            gr.on([tab.select, input_image.change, model_radio.change], show_feature_maps, maps_inputs, maps_outputs,
                  api_visibility="private", show_progress_on=[maps_image]),
            # The slider redraws for the keyboard too (its `release` is the pointer's only).
            per_stage_slider.input(show_feature_maps, maps_inputs, maps_outputs, api_visibility="private",
                                   show_progress="minimal", trigger_mode="always_last"),
        ]
        drawn_filters = [
            inside_button.click(show_filters, filter_inputs, [*filter_outputs, filter_alts], api_name="filters"),
            gr.on([tab.select, input_image.change, model_radio.change], show_filters, filter_inputs,
                  [*filter_outputs, filter_alts], api_visibility="private", show_progress_on=[filters_image]),
        ]
        for drawn in drawn_maps:
            drawn.success(show_maps_texts, maps_texts, [maps_image, maps_model, maps_listing], **alt_texts)
        for drawn in drawn_filters:
            drawn.success(filters_alt_texts, filter_alts, [filters_image, learned_image, handmade_image], **alt_texts)
        inside_button.click(saliency, saliency_inputs, [*saliency_outputs, saliency_alts], api_name="saliency").success(
            one_alt_text, saliency_alts, saliency_outputs[0], **alt_texts)
        opacity_slider = saliency_inputs[3]  # the panel's (image, model, class, opacity, student model)
        gr.on([tab.select, input_image.change, model_radio.change, *saliency_changes,
               *_slider_input(opacity_slider, saliency_changes)],
              saliency_panel.show_saliency, saliency_inputs, saliency_outputs, api_visibility="private",
              show_progress="minimal", trigger_mode="always_last")
        filters_image.select(select_filter, None, filter_number, api_visibility="private")
        filter_number.change(apply_filter, filter_inputs, [learned_image, handmade_image, filter_markdown],
                             api_visibility="private", show_progress="minimal")

        language_switch.redraw_on_switch(redraw_maps, [*maps_inputs, maps_texts],
                                         [maps_image, maps_note, maps_model, maps_listing])
        language_switch.redraw_on_switch(redraw_filters, [*filter_inputs, filters_markdown, filter_markdown],
                                         filter_outputs)
        if not _has_redraw(saliency_outputs):  # the panel may register its own
            language_switch.redraw_on_switch(_redraw_saliency, [*saliency_inputs, saliency_outputs[1]],
                                             saliency_outputs)
