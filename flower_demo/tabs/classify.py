"""Classify tab: a new photo through the student's own model, or the shipped one."""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from flower_demo import config, model as model_lib, runs
from flower_demo.i18n import class_label, translate
from flower_demo.tabs import ui


@ui.light
def classify(image, student_model=None, request: gr.Request = None):
    """Top five classes and the tutorial's sentence for one photo.

    Uses the model this student trained in the Training tab if any, else assets/flower_cnn.keras.
    """
    lang = ui.language(request)
    rgb = ui.read_image(image, lang)
    network = student_model if student_model is not None else model_lib.shipped_model()
    if network is None:
        raise ui.error("error_no_model", lang)
    probabilities = model_lib.predict_probabilities(network, rgb)
    names = [class_label(name, lang) for name in config.CLASS_NAMES]
    best = int(probabilities.argmax())
    sentence = translate("classify_sentence", lang, label=names[best], confidence=100 * float(probabilities[best]))
    source = (translate("model_used_student", lang, preset=network.name) if student_model is not None
              else translate("model_used_shipped", lang))
    uploaded = runs.origin_of(network).get("upload") if student_model is not None else None
    if uploaded:
        source = translate("model_used_uploaded", lang, name=uploaded)
    return {name: float(p) for name, p in zip(names, probabilities)}, f"{sentence}\n\n{source}"


class ModelFileInput(gr.File):
    """A gr.File whose upload reaches the handler as a path whatever its name, so that what is not a
    .keras model is refused in the student's language (gr.File's own refusal is in English only)."""

    def get_block_name(self) -> str:
        return "file"

    def preprocess(self, payload):
        return None if payload is None else payload.path


def upload_model(model_file, request: gr.Request = None):
    """A .keras model a student brings: checked, then their model in this session (never shared).

    Returns (the model, for the session's state; what was loaded).
    """
    from flower_demo import model_files  # lazy: TensorFlow

    lang = ui.language(request)
    if not model_file:
        raise ui.error("error_no_model_file", lang)
    try:
        network = model_files.import_model(model_file)
    except model_files.ModelFileError as problem:
        raise ui.error(problem.key, lang, detail=problem.detail) from problem
    name = Path(model_file).name
    runs.remember_origin(network, upload=name)
    size = model_lib.input_size(network)
    return network, translate("upload_model_done", lang, name=name, side=size, parameters=f"{network.count_params():,}")


def build(student_model: gr.State):
    """The tab; returns its photo input and `classify_sent(event)`, which classifies (and explains)
    the photo another tab's `event` has just put into that input."""
    with gr.Tab(ui.t("tab_classify"), id="classify"):
        gr.Markdown(ui.t("classify_intro"))
        with gr.Row():
            with gr.Column():
                input_image = ui.image_input(height=320)
                gr.Examples([[ui.SAMPLE_PHOTO]], inputs=[input_image])
                dataset_photo_event = ui.dataset_photo_button(input_image)
                classify_button = gr.Button(ui.t("classify_button"), variant="primary")
            with gr.Column():
                top_label = gr.Label(num_top_classes=5, label=ui.t("top_classes"))
                sentence_markdown = gr.Markdown()
        with gr.Accordion(ui.t("saliency_title"), open=True):
            # The same network Classify uses: this student's, else the shipped one.
            saliency_inputs, saliency_outputs, saliency_changes = ui.saliency_panel(input_image, gr.State("own"),
                                                                                    student_model)
        classified = [
            classify_button.click(classify, [input_image, student_model], [top_label, sentence_markdown],
                                  api_name="classify"),
            input_image.upload(classify, [input_image, student_model], [top_label, sentence_markdown],
                               api_visibility="private"),
            dataset_photo_event.success(classify, [input_image, student_model], [top_label, sentence_markdown],
                                        api_visibility="private"),
        ]
        # Where it looked follows each answer (after it: the answer never waits for the gradients).
        for event in classified:
            event.success(ui.show_saliency, saliency_inputs, saliency_outputs, api_visibility="private",
                          show_progress="minimal")
        gr.on(saliency_changes, ui.show_saliency, saliency_inputs, saliency_outputs, api_visibility="private",
              show_progress="minimal")

        with gr.Accordion(ui.t("upload_model_title"), open=False):
            gr.Markdown(ui.t("upload_model_intro"))
            model_file = ModelFileInput(label=ui.t("upload_model_file"), file_types=[".keras"], type="filepath",
                                        height=120)
            upload_markdown = gr.Markdown()
        model_file.upload(upload_model, model_file, [student_model, upload_markdown], api_name="upload_model")

    def classify_sent(event) -> None:
        answered = event.success(classify, [input_image, student_model], [top_label, sentence_markdown],
                                 api_visibility="private")
        answered.success(ui.show_saliency, saliency_inputs, saliency_outputs, api_visibility="private",
                         show_progress="minimal")

    return input_image, classify_sent
