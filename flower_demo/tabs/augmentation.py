"""Augmentation tab: nine random versions of one photo, made by the very module training uses."""

from __future__ import annotations

import gradio as gr

from flower_demo import config, recipes
from flower_demo.data import augment
from flower_demo.look import plots
from flower_demo.recipes import Augmentation
from flower_demo.i18n import translate
from flower_demo.tabs import components, inputs, ui

MAX_FACTOR = 0.5  # beyond half a turn or half the side, a photo stops looking like a flower


@ui.light
def augment_image(image, flip: bool = True, rotation: float = 0.1, zoom: float = 0.1, contrast: float = 0.0,
                  seed: int = 0, cutmix: float = 0.0, second_image=None, request: gr.Request = None,
                  progress=gr.Progress()):
    """Nine augmented versions of `image` at the tutorial's 180 px in a 3x3 grid, deterministic for a seed.

    With `cutmix` > 0, that share of them get a box of `second_image` (a present when none is given)
    pasted in, as training does, each marked with the share of its label the second photo takes.
    """
    lang = ui.language(request)
    rgb = inputs.read_image(image, lang)
    share = ui.clamp_float(cutmix, 0.0, 1.0, 0.0)
    second = inputs.read_image(second_image or inputs.SECOND_PHOTO, lang) if share else None
    ui.wait_for_warm_up(lang, progress)
    factors = [ui.clamp_float(value, 0.0, MAX_FACTOR, 0.0) for value in (rotation, zoom, contrast)]
    settings = Augmentation(bool(flip), *factors)
    seed = ui.clamp_int(seed, 0, 2**31 - 1, 0)
    if second is None:
        return augment.tile(augment.augment_grid(rgb, settings, config.TUTORIAL_IMAGE_SIZE, seed))
    pictures, shares = augment.cut_mix_grid(rgb, second, settings, config.TUTORIAL_IMAGE_SIZE, seed, share)
    return augment.tile([plots.corner_label(picture, translate("cutmix_share", lang, share=round(100 * part)), size=15)
                         if part else picture for picture, part in zip(pictures, shares)])


def new_seed() -> int:
    """Another nine: a fresh random seed (shown, so the same nine can be had again by typing it)."""
    import random

    return random.randrange(2**31 - 1)


def load_preset(preset: str):
    """The augmentation settings a training preset uses, into the sliders."""
    chosen = recipes.PRESETS.get(preset, recipes.PRESETS[recipes.DEFAULT_PRESET])
    settings = chosen.augmentation
    return settings.flip, settings.rotation, settings.zoom, settings.contrast, chosen.cutmix


def build() -> None:
    with gr.Tab(ui.t("tab_augment"), id="augmentation") as tab:
        gr.Markdown(ui.t("augment_intro"))
        with gr.Row():
            with gr.Column():
                input_image = inputs.image_input(value=inputs.SAMPLE_PHOTO, height=300)
                dataset_photo_event = inputs.dataset_photo_button(input_image)
                preset_dropdown = components.Dropdown(ui.choices(recipes.PRESETS, "preset_"), value="seed_augmented",
                                              label=ui.t("augment_preset"))
                flip_checkbox = gr.Checkbox(True, label=ui.t("flip"))
                rotation_slider = components.Slider(0, MAX_FACTOR, value=0.1, step=0.01, label=ui.t("rotation"))
                zoom_slider = components.Slider(0, MAX_FACTOR, value=0.1, step=0.01, label=ui.t("zoom"))
                contrast_slider = components.Slider(0, MAX_FACTOR, value=0.0, step=0.01, label=ui.t("contrast"))
                with gr.Accordion(ui.t("cutmix_title"), open=False):
                    gr.Markdown(ui.t("cutmix_intro"))
                    cutmix_slider = components.Slider(0, 1, value=0.0, step=0.05, label=ui.t("cutmix"))
                    second_image = inputs.image_input("cutmix_second_photo", value=inputs.SECOND_PHOTO, height=160)
                    second_photo_event = inputs.dataset_photo_button(second_image)
                seed_number = components.Number(0, precision=0, minimum=0, label=ui.t("seed"))
                augment_button = gr.Button(ui.t("augment_button"), variant="primary")
                ui.active_when_warm(augment_button, ui.t("augment_button"), ui.t("augment_button_loading"))
            # One JPEG of the nine photos: ~3 ms to encode and one file to fetch, where nine PNGs in a
            # gallery took ~120 ms to encode and nine requests (~9 ms of server CPU each) per click.
            augmented_grid = components.PictureOutput(label=ui.t("augmented_grid"), format="jpeg", interactive=False,
                                              height=640, elem_id="augmented")
        augment_inputs = [input_image, flip_checkbox, rotation_slider, zoom_slider, contrast_slider, seed_number,
                          cutmix_slider, second_image]
        # Like the Kernels tab, every control re-draws at once, with the same seed (the same random draws,
        # so a slider's effect is what changes); the button draws nine new ones (a new seed).
        another = augment_button.click(new_seed, None, seed_number, api_visibility="private", queue=False)
        another.success(augment_image, augment_inputs, augmented_grid, api_name="augment", show_progress="hidden")
        preset_loaded = preset_dropdown.change(load_preset, preset_dropdown,
                                               [flip_checkbox, rotation_slider, zoom_slider, contrast_slider,
                                                cutmix_slider], api_visibility="private")
        redraws = [tab.select, input_image.upload, flip_checkbox.input, rotation_slider.release, zoom_slider.release,
                   contrast_slider.release, seed_number.submit, seed_number.blur, cutmix_slider.release,
                   second_image.upload]
        gr.on(redraws, augment_image, augment_inputs, augmented_grid, api_visibility="private",
              show_progress="hidden")
        for event in (preset_loaded, dataset_photo_event, second_photo_event):
            event.success(augment_image, augment_inputs, augmented_grid, api_visibility="private",
                          show_progress="hidden")
