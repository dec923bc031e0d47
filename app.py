"""The CNN classroom app: eight tabs on the flower_demo core. Assembly only.

    python app.py            # http://127.0.0.1:7860 (GRADIO_SERVER_NAME / GRADIO_SERVER_PORT to change)
"""

from __future__ import annotations

from flower_demo import workarounds
from flower_demo.server import leftovers

# Before Gradio or any server thread exists (flower_demo/workarounds.py says why and which versions).
workarounds.quiet_gradio_analytics()
workarounds.fewer_malloc_arenas()
leftovers.use_own_temporary_folder()  # uploads and Keras' unpacked files, where a restart finds them

import gradio as gr  # noqa: E402  (after the settings above)
from starlette.middleware import Middleware  # noqa: E402

from flower_demo import config
from flower_demo.server import session_models
from flower_demo.server.boot_script import BootScript
from flower_demo.tabs import (augmentation, classify, compare, dataset, evaluate, inside, kernels,
                              language_switch, model_choice, page_links, theme, training, ui, your_photos)

# Events waiting or running per session: one running and one more of each event (a click while the
# last answer is still on its way), a dozen in all (a training run, a comparison, page-load events and
# a few clicks). More from one session are refused with a message; the next event to run is always
# taken from the session with the fewest ahead of it (workarounds.share_the_queue).
PER_SESSION_EVENT, PER_SESSION_EVENTS = 2, 12
REFUSAL_DELAY_S = 3.0  # a refusal answers after this: a retry loop sends ~1 call a lane every 3 s, not hundreds
QUEUE_SIZE = 400  # more than a class of 30 can hold at PER_SESSION_EVENTS each: nobody sees "queue full"
LIGHT_CONCURRENCY = 4  # convolve/augment/classify at once: each takes tens of ms on 2 cores


def build_demo() -> gr.Blocks:
    # Uploads and outputs live in Gradio's cache, fetchable by whoever has the URL: delete them after
    # an hour (checked every 10 minutes), so a class's photos do not pile up or linger on a public server.
    with gr.Blocks(title="CNN · flores / flowers", delete_cache=(600, 3600)) as demo:
        gr.Markdown(ui.t("app_title"), elem_id="app-title")
        # A handle to the model this student trained or brought: session_models keeps the model itself,
        # within one memory budget for the class, and frees it when the state expires.
        student_model = gr.State(None, time_to_live=3600, delete_callback=session_models.release)
        run_history = gr.State([], time_to_live=3600)  # this student's runs: settings and curves, never models
        with gr.Tabs(overflow_behavior="wrap") as tabs:  # every tab in sight on a phone, no "More tabs" menu
            kernels.build(demo)
            dataset.build()
            augmentation.build()
            training.build(demo, student_model, run_history)
            classify_inputs, classify_sent = classify.build(student_model)
            inside.build(student_model)
            compare.build(demo, student_model, run_history)
            evaluate.build(student_model, tabs, classify_inputs, classify_sent)
            your_photos.build(demo)
        page_links.follow_links(demo, tabs)  # ?tab=… (each tab reads its own settings from the link)
        language_switch.wire(demo)  # the footer's language choice redraws every tab's results
        demo.unload(model_choice.forget_model)  # a closed tab's model is freed now, not with its state an hour later
        demo.unload(language_switch.forget)
    demo.queue(max_size=QUEUE_SIZE, default_concurrency_limit=LIGHT_CONCURRENCY, api_open=False)
    workarounds.share_the_queue(demo, PER_SESSION_EVENT, PER_SESSION_EVENTS, ui.too_many_calls, REFUSAL_DELAY_S)
    return demo


def launch(demo: gr.Blocks, ready_within: float = config.READY_BEFORE_PAGE_S, **kwargs):
    """Serves `demo` once TensorFlow, the shipped model and their graphs are loaded (at most
    `ready_within` seconds of waiting; past that the page opens and its buttons say what still loads)."""
    from flower_demo.server.warm_up import WARM_UP

    WARM_UP.start()
    leftovers.remove_leftovers()  # a crashed run's files and folders, while the warm-up loads
    WARM_UP.finish(timeout=ready_within)
    # Gradio's cap is the largest file anyone may send, a teacher's zip of class folders (100 MB); a
    # .keras model above config.MAX_MODEL_BYTES and photos above config.MAX_UPLOAD_BYTES are refused by
    # their readers, in the student's language.
    # The boot script sets the page's language before Gradio's front end starts (boot_script.py says why).
    return demo.launch(i18n=ui.I18N, theme=theme.THEME, css=theme.CSS, max_file_size=max(config.MAX_MODEL_BYTES, config.OWN_ZIP_MAX_BYTES),
                       enable_monitoring=False, footer_links=["api", "gradio", "settings"],
                       app_kwargs={"middleware": [Middleware(BootScript)]}, **kwargs)


if __name__ == "__main__":
    from flower_demo.server.warm_up import WARM_UP

    WARM_UP.start()  # loads while the tabs are built
    launch(build_demo())
