"""Looking at images and inside a network: kernels, feature maps, filters, Grad-CAM, evaluation and
their figures."""
