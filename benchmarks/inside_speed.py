"""Issue 16: what "Inside the network" costs on the shipped model, in process, on this machine.

    python -m benchmarks.inside_speed [--photo PATH] [--repeats 30]

For one photo (default: a 500x375 crop of matplotlib's sample photo, so the benchmark needs no
dataset) and the shipped model, times each view the way the tab computes it, pictures included:
  feature_maps_ms   the stages' maps (one forward pass) and their picture (the tab's sheet, 12 a stage);
  saliency_ms       Grad-CAM through both looks of the mirror-averaged model, and the overlay;
  filters_ms        the 32 first-layer filters with their closest kernels, and one filter applied;
  classify_ms       the baseline in the same run: one classification (two looks, softmax), as /classify.
Medians of --repeats after one warm-up call each (the first call traces the graphs); the target is
feature maps and saliency together <= 300 ms on 2 cores. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def cpu_flags() -> list[str]:
    """The bfloat16 instructions this CPU has (AVX2-only machines have none)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return []
    return sorted(set(re.findall(r"\b(avx512_bf16|amx_bf16|avx512f|avx2)\b", text)))


def median_ms(function, repeats: int) -> float:
    function()  # warm-up: traces the graph once per model
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return round(1000 * statistics.median(times), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photo", type=Path, help="a photo (default: matplotlib's sample photo, cropped to 500x375)")
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()

    import matplotlib

    from flower_demo.data import images
    from flower_demo.look import inside, kernels, plots
    from flower_demo.model import serving

    if args.photo:
        rgb = images.load_image(args.photo)
    else:  # grace_hopper.jpg is 512x600: a 500x375 landscape crop, the size of a typical dataset photo
        rgb = images.load_image(Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg")[:375, :500]
    network = serving.shipped_model()

    def feature_maps():
        stages = inside.feature_maps(network, rgb, 12)
        return plots.feature_map_sheet([(layer.layer, layer.maps, layer.channels) for layer in stages])

    def saliency():
        cam = inside.grad_cam(network, rgb)
        return plots.saliency_overlay(rgb, cam.heatmap, 0.5)

    def filters():
        learned = inside.learned_filters(network)
        pictures = [(plots.filter_picture(learned.weights[..., i]),
                     inside.closest_kernel(inside.grey_version(learned.weights[..., i])))
                    for i in range(learned.weights.shape[-1])]
        name = pictures[0][1][0]
        return (plots.response_picture(inside.apply_learned_filter(rgb, learned.weights[..., 0])),
                plots.response_picture(kernels.apply(rgb, kernels.KERNELS[name], "grey", max_side=512).response))

    def classify():
        return serving.predict_probabilities(network, rgb)

    result = {"photo": list(rgb.shape[:2][::-1]), "repeats": args.repeats, "cpu": cpu_flags(),
              "cores": os.cpu_count(), "model": network.name,
              "feature_maps_ms": median_ms(feature_maps, args.repeats),
              "saliency_ms": median_ms(saliency, args.repeats),
              "filters_ms": median_ms(filters, args.repeats),
              "classify_ms": median_ms(classify, args.repeats)}
    both = result["feature_maps_ms"] + result["saliency_ms"]
    result["maps_and_saliency_ms"] = round(both, 1)
    result["maps_and_saliency_per_classify"] = round(both / result["classify_ms"], 2)
    result["target_maps_and_saliency_at_most_300_ms"] = both <= 300
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
