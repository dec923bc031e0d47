"""How the page looks from the back of a room: type sizes, colours and focus rings (WCAG 2.1 AA).

Gradio's default theme writes body text at 14 px, labels at 12 px in zinc-500, and white on orange-500
buttons (2.8:1). A class reads a projector from 8 m away and a phone at arm's length: body text 16 px,
labels 14 px, every text at 4.5:1 or more against its background, controls at 3:1.
"""

from __future__ import annotations

import gradio as gr
from gradio.themes.utils import colors, sizes

# Contrast against white (WCAG's relative luminance): zinc-600 7.7:1, zinc-700 10.4:1, orange-700 5.2:1,
# red-700 6.5:1, blue-700 6.7:1; zinc-500 (Gradio's subdued text) is 4.8:1 on white but 4.4:1 on zinc-50.
THEME = gr.themes.Default(primary_hue=colors.orange, neutral_hue=colors.zinc, text_size=sizes.text_lg).set(
    body_text_color_subdued="*neutral_600",
    block_label_text_color="*neutral_700",
    block_title_text_color="*neutral_800",
    block_info_text_color="*neutral_600",
    checkbox_label_text_color="*neutral_800",
    button_primary_background_fill="*primary_700",
    button_primary_background_fill_hover="*primary_800",
    button_primary_background_fill_dark="*primary_700",
    button_primary_background_fill_hover_dark="*primary_800",
    button_cancel_background_fill=colors.red.c700,
    button_cancel_background_fill_hover=colors.red.c800,
    link_text_color="*secondary_700",
    link_text_color_hover="*secondary_800",
    link_text_color_visited="*secondary_800",
)

FOCUS_RING = "3px solid #1d4ed8"  # blue-700: 6.7:1 against white, seen on orange, grey and white controls

CSS = f"""
/* A visible focus ring on every control a keyboard reaches (Gradio draws none on radios and sliders). */
button:focus-visible, [role="tab"]:focus-visible, input:focus-visible, textarea:focus-visible,
select:focus-visible, a:focus-visible, [tabindex]:focus-visible, label:focus-within {{
  outline: {FOCUS_RING} !important; outline-offset: 2px;
}}
/* The app's title in two short lines: a 768 px projector keeps its height for the controls and results. */
#app-title h1 {{ font-size: 1.6rem; margin: 0 0 0.2rem; }}
#app-title p {{ margin: 0; }}
/* A mistake's caption ("diente de león → girasoles") wraps under its thumbnail instead of being cut. */
#mistakes-gallery .caption-label {{ white-space: normal; max-width: none; }}
/* No box scrolls sideways on a phone: a command line wraps (a scrolling box would need a keyboard stop). */
.prose pre {{ white-space: pre-wrap; overflow-wrap: anywhere; }}
.prose table {{ max-width: 100%; }}
"""
