"""Classify tab: a new photo through the student's own model, or the shipped one."""

from __future__ import annotations

import gradio as gr

from flower_demo import config, model as model_lib
from flower_demo.i18n import class_label, translate
from flower_demo.tabs import ui


@ui.light
def classify(image, student_model=None, request: gr.Request = None, progress=gr.Progress()):
    """Top five classes and the tutorial's sentence for one photo.

    Uses the model this student trained in the Training tab if any, else assets/flower_cnn.keras.
    """
    lang = ui.language(request)
    rgb = ui.read_image(image, lang)
    ui.wait_for_warm_up(lang, progress)
    network = student_model if student_model is not None else model_lib.shipped_model()
    if network is None:
        raise ui.error("error_no_model", lang)
    probabilities = model_lib.predict_probabilities(network, rgb)
    names = [class_label(name, lang) for name in config.CLASS_NAMES]
    best = int(probabilities.argmax())
    sentence = translate("classify_sentence", lang, label=names[best], confidence=100 * float(probabilities[best]))
    source = (translate("model_used_student", lang, preset=network.name) if student_model is not None
              else translate("model_used_shipped", lang))
    return {name: float(p) for name, p in zip(names, probabilities)}, f"{sentence}\n\n{source}"


def build(student_model: gr.State) -> None:
    with gr.Tab(ui.t("tab_classify"), id="classify"):
        gr.Markdown(ui.t("classify_intro"))
        with gr.Row():
            with gr.Column():
                input_image = ui.image_input(height=320)
                gr.Examples([[ui.SAMPLE_PHOTO]], inputs=[input_image])
                dataset_photo_event = ui.dataset_photo_button(input_image)
                classify_button = gr.Button(ui.t("classify_button"), variant="primary")
                ui.active_when_warm(classify_button, ui.t("classify_button"), ui.t("classify_button_loading"))
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
