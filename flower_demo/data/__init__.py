"""The photos: the download, the photo index and decoded cache, reading any picture, augmentation,
the tf.data pipeline and the dataset's overview."""
