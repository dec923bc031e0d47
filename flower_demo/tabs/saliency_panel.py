"""Grad-CAM, shared by the Classify and Inside tabs: where the network found evidence for a class."""

from __future__ import annotations

import gradio as gr

from flower_demo import config
from flower_demo.data import images
from flower_demo.look import plots
from flower_demo.i18n import class_label, translate
from flower_demo.tabs import components
from flower_demo.tabs.inputs import read_image
from flower_demo.tabs.model_choice import chosen_model
from flower_demo.tabs.ui import clamp_float, error, finite_answer, language, light, t

@light
def show_saliency(image, model: str = "own", class_name: str = "predicted", opacity: float = 0.5,
                  student_model=None, request: gr.Request = None, progress=gr.Progress()):
    """Grad-CAM over the photo: where the model found evidence for its answer or for `class_name`."""
    from flower_demo.look import inside  # lazy: TensorFlow

    lang = language(request)
    rgb = read_image(image, lang)
    if class_name != "predicted" and class_name not in config.CLASS_NAMES:
        raise error("error_setting", lang, detail=f"class {class_name!r}")
    network, note = chosen_model(model, student_model, lang, progress)
    target = None if class_name == "predicted" else config.CLASS_NAMES.index(class_name)
    try:
        cam = inside.grad_cam(network, rgb, target)
    except inside.InspectError as problem:
        raise error(problem.key, lang, detail=problem.detail) from problem
    probabilities = finite_answer(cam.probabilities, lang)
    names = [class_label(name, lang) for name in config.CLASS_NAMES]
    answer = int(probabilities.argmax())
    text = translate("saliency_text", lang, answer=names[answer], confidence=100 * probabilities[answer],
                     target=names[cam.class_index], probability=100 * probabilities[cam.class_index],
                     height=cam.heatmap.shape[0], width=cam.heatmap.shape[1], layer=cam.layer)
    if inside.is_mirror_averaged(network):
        text += translate("saliency_mirror", lang)
    overlay = plots.saliency_overlay(images.fit_within(rgb, config.MAX_KERNEL_SIDE), cam.heatmap,
                                     clamp_float(opacity, 0.0, 1.0, 0.5))
    return overlay, "\n\n".join(part for part in (text, note) if part)


def build(input_image, model_choice, student_model):
    """Grad-CAM's controls and picture (class to explain, opacity); returns what to chain on:
    (the handler's inputs, its outputs, the controls' change events)."""
    class_choices = [(t("saliency_predicted"), "predicted")] + [(t(f"class_{name}"), name)
                                                                 for name in config.CLASS_NAMES]
    with gr.Row():
        class_dropdown = components.Dropdown(class_choices, value="predicted", label=t("saliency_class"))
        opacity_slider = components.Slider(0, 1, value=0.5, step=0.05, label=t("saliency_opacity"))
    saliency_image = components.PictureOutput(label=t("saliency_image"), format="jpeg", interactive=False, height=360)
    saliency_markdown = gr.Markdown()
    inputs = [input_image, model_choice, class_dropdown, opacity_slider, student_model]
    return inputs, [saliency_image, saliency_markdown], [class_dropdown.change, opacity_slider.release]
