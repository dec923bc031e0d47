"""Classify tab: a new photo through the student's own model, or the shipped one."""

from __future__ import annotations

import functools
from pathlib import Path

import gradio as gr

from flower_demo import config, errors
from flower_demo.data import dataset_overview, download
from flower_demo.model import networks, serving
from flower_demo.train import runs
from flower_demo.i18n import class_labels, number, translate
from flower_demo.tabs import components, inputs, language_switch, model_choice, saliency_panel, ui


@ui.light
def classify(image, true_class: str = "", model: str = "own", student_model=None, request: gr.Request = None,
             progress=gr.Progress()):
    """Top five classes and the tutorial's sentence for one photo, a warning when the answer is unsure,
    and right or wrong when the photo's true class is known (a dataset photo, an Example); its last line
    names the model that answered (the run and its validation accuracy, the brought file, or the shipped one).

    `model` "own" uses the model this student trained (or brought) last, if any, else the shipped
    assets/flower_cnn.keras; "run2" (or "upload") one of the session's earlier models while the server
    keeps it; "shipped" always the shipped one.
    """
    lang = ui.language(request)
    rgb = inputs.read_image(image, lang)
    network, fallback = model_choice.chosen_model(model, student_model, lang, progress)
    probabilities = ui.finite_answer(serving.predict_probabilities(network, rgb), lang)
    classes = serving.class_names(network)  # the flowers, or a class's own
    names = class_labels(classes, lang)
    best = int(probabilities.argmax())
    parts = [translate("classify_sentence", lang, label=names[best], confidence=100 * float(probabilities[best]))]
    if serving.is_unsure(probabilities):
        parts.append(translate("classify_unsure", lang, threshold=100 * serving.UNSURE_BELOW))
    if true_class in classes:
        verdict = "classify_right" if classes[best] == true_class else "classify_wrong"
        if tuple(classes) != tuple(config.CLASS_NAMES):  # a class's own photo: no dataset folder to name
            verdict += "_own"
        parts.append(translate(verdict, lang, label=names[classes.index(true_class)]))
    parts.append(model_choice.model_line(network, model == "shipped" or bool(fallback), lang))
    return {name: float(p) for name, p in zip(names, probabilities)}, "\n\n".join(parts)


def classify_again(image, true_class: str, model: str, student_model, request: gr.Request = None,
                   progress=gr.Progress()):
    """The answer again when the student picks another model, if there is a photo to answer for."""
    if not image:
        return gr.skip(), gr.skip()
    return classify(image, true_class, model, student_model, request, progress)


@functools.cache  # built once with the page: the same Examples for every student
def flower_examples() -> list[list[str]]:
    """[photo, true class] rows: one validation photo per class when the dataset is on this machine (the
    app ships none), then matplotlib's sample photo, which is no flower at all."""
    try:
        folder = download.locate_dataset(allow_download=False)
        rows = [[str(path), name] for path, name in dataset_overview.example_photos(folder)]
    except errors.DatasetError:
        rows = []
    return [*rows, [inputs.SAMPLE_PHOTO, ""]]


def forget_true_class() -> str:
    return ""


def cleared():
    """No photo: no answer, no true class (a removed photo's old answer must not stay)."""
    return None, "", ""


def redraw(image, true_class: str, model: str, student_model, shown, request: gr.Request = None):
    """The shown answer again in the page's language after a switch (a prediction: tens of ms)."""
    if not image or not shown:
        return gr.skip(), gr.skip()
    return classify(image, true_class, model, student_model, request, None)


def true_class_of_example(selected) -> str:
    """The clicked Example's true class (Gradio hands over (index, sample))."""
    try:
        return flower_examples()[int(selected[0])][1]
    except (TypeError, ValueError, IndexError):
        return ""


def upload_model(model_file, request: gr.Request = None):
    """A .keras model a student brings: checked, then their model in this session (never shared).

    Returns (the model's handle, for the session's state; what was loaded).
    """
    from flower_demo.model import model_files  # lazy: TensorFlow

    lang = ui.language(request)
    if not model_file:
        raise ui.error("error_no_model_file", lang)
    if components.is_link(model_file):
        raise ui.error("error_link_input", lang)
    try:
        network = model_files.import_model(model_file)
    except model_files.ModelFileError as problem:
        raise ui.error(problem.key, lang, detail=problem.detail, **problem.values) from problem
    name = Path(model_file).name
    runs.remember_origin(network, upload=name)
    handle = model_choice.keep_model(network, request, lang)
    return handle, _loaded(network, name, lang)


def _loaded(network, name: str, lang: str) -> str:
    return translate("upload_model_done", lang, name=name, side=networks.input_size(network),
                     parameters=number(network.count_params(), ",", lang))


def redraw_upload(shown: str, student_model, request: gr.Request = None):
    """"Model loaded: …" again in the page's language, while the brought model is still this session's."""
    if not shown or student_model is None:
        return gr.skip()
    try:
        network = model_choice.own_model(student_model, ui.language(request))
    except gr.Error:  # freed meanwhile: the old text stays
        return gr.skip()
    name = runs.origin_of(network).get("upload")
    return _loaded(network, name, ui.language(request)) if name else gr.skip()


def build(student_model: gr.State):
    """The tab; returns what another tab may fill (the photo, its true class, the model to use) and
    `classify_sent(event)`, which classifies (and explains) the photo that `event` has just put there."""
    with gr.Tab(ui.t("tab_classify"), id="classify"):
        gr.Markdown(ui.t("classify_heading"))
        # The photo and Classify beside the answer; on a phone the answer comes right after the button.
        with gr.Row():
            with gr.Column(scale=2, min_width=320):
                input_image = inputs.image_input(height=230)
                true_class_box = gr.Textbox("", visible=False, label=ui.t("true_class"))  # known for dataset photos
                dataset_photo_event = inputs.dataset_photo_button(input_image, true_class_box)
                own_photo_event = inputs.own_photo_button(input_image, true_class_box)
                model_radio = model_choice.model_radio(student_model, elem_id="classify-model")
                classify_button = gr.Button(ui.t("classify_button"), variant="primary")
                ui.active_when_warm(classify_button, ui.t("classify_button"), ui.t("classify_button_loading"))
            with gr.Column(scale=3, min_width=320):
                top_label = gr.Label(num_top_classes=5, label=ui.t("top_classes"), elem_id="classify-label")
                sentence_markdown = gr.Markdown(elem_id="classify-sentence")  # its last line names the model
                gr.Markdown(ui.t("classify_five"))
        # Thumbnails only: a second (hidden) column would show each photo's answer beside it.
        examples = gr.Examples([[path] for path, _ in flower_examples()], inputs=[input_image],
                               label=ui.t("examples"), elem_id="classify-examples")
        with gr.Accordion(ui.t("saliency_title"), open=True):
            # The same network Classify uses.
            saliency_inputs, saliency_outputs, saliency_changes = saliency_panel.build(input_image, model_radio,
                                                                                    student_model)
        classify_inputs = [input_image, true_class_box, model_radio, student_model]
        answer = [top_label, sentence_markdown]
        # A photo of unknown class (an upload, the webcam, the clipboard) forgets the last one's class.
        unknown_photo = input_image.upload(forget_true_class, None, true_class_box, queue=False,
                                           api_visibility="private")
        input_image.clear(cleared, None, [*answer, true_class_box], queue=False, api_visibility="private")
        classified = [
            classify_button.click(classify, classify_inputs, answer, api_name="classify"),
            unknown_photo.then(classify, classify_inputs, answer, api_visibility="private"),
            dataset_photo_event.success(classify, classify_inputs, answer, api_visibility="private"),
            own_photo_event.success(classify, classify_inputs, answer, api_visibility="private"),
            model_radio.input(classify_again, classify_inputs, answer, api_visibility="private"),
            examples.load_input_event.then(true_class_of_example, examples.dataset, true_class_box, queue=False,
                                           api_visibility="private").then(
                classify, classify_inputs, answer, api_visibility="private"),
        ]
        # Where it looked follows each answer (after it: the answer never waits for the gradients).
        for event in classified:
            event.success(saliency_panel.show_saliency, saliency_inputs, saliency_outputs, api_visibility="private",
                          show_progress="minimal")
        gr.on(saliency_changes, saliency_panel.show_saliency, saliency_inputs, saliency_outputs,
              api_visibility="private", show_progress="minimal",
              trigger_mode="always_last")  # a drag's last position is drawn
        language_switch.redraw_on_switch(redraw, [*classify_inputs, top_label], answer)

        with gr.Accordion(ui.t("upload_model_title"), open=False):
            gr.Markdown(ui.t("upload_model_intro"))
            model_file = components.ModelFileInput(label=ui.t("upload_model_file"), file_types=[".keras"],
                                                   type="filepath", height=120)
            upload_markdown = gr.Markdown()
        with gr.Accordion(ui.t("about_tab"), open=False):
            gr.Markdown(ui.t("classify_intro"))
        # One model checked at a time for the whole server: loading, tracing and probing a 30 MB model keeps
        # a core busy for about a second, and four at once (the light events' limit) slowed every click.
        model_file.upload(upload_model, model_file, [student_model, upload_markdown], api_name="upload_model",
                          concurrency_limit=1, concurrency_id="model_upload")
        language_switch.redraw_on_switch(redraw_upload, [upload_markdown, student_model], [upload_markdown])

    def classify_sent(event) -> None:
        answered = event.success(classify, classify_inputs, answer, api_visibility="private")
        answered.success(saliency_panel.show_saliency, saliency_inputs, saliency_outputs, api_visibility="private",
                         show_progress="minimal")

    return (input_image, true_class_box, model_radio), classify_sent
