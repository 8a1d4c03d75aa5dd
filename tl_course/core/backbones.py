"""Keras Applications registry: build ImageNet backbones, offline-first.

Taught in `01_feature_extraction` (frozen backbones) and `02_fine_tuning`
(unfreezing the top blocks). Each entry knows its constructor, its
`preprocess_input`, its default input size, the ImageNet weight file Keras
caches, and how its layers group into blocks.

Example:

>>> base = load_backbone("mobilenet_v2", image_size=160)   # doctest: +SKIP
>>> preprocess = get_backbone("mobilenet_v2").preprocess()  # doctest: +SKIP
"""

import dataclasses
import re
from pathlib import Path

from tl_course.core import settings

__all__ = [
    "BackboneSpec",
    "BACKBONES",
    "block_names",
    "get_backbone",
    "layers_in_top_blocks",
    "load_backbone",
    "resolve_weights",
    "weights_status",
]

_KA = "https://storage.googleapis.com/tensorflow/keras-applications/"
_MOBILENET_ALPHA_TEXT = {0.25: "2_5", 0.5: "5_0", 0.75: "7_5", 1.0: "1_0"}


@dataclasses.dataclass(frozen=True)
class BackboneSpec:
    """One Keras Applications model family, as the course uses it.

    Attributes:
        name: registry key, e.g. `"mobilenet_v2"`.
        constructor: attribute of `keras.applications`, e.g. `"MobileNetV2"`.
        module: submodule holding `preprocess_input`, e.g. `"mobilenet_v2"`.
        default_size: the input size (pixels, square) ImageNet weights were trained at.
        sizes: input sizes that have their own weight files (None: any size).
        default_alpha: width multiplier used when none is given (None: no alpha).
        block_pattern: regex whose first group names a layer's block.
        url_base: where Keras downloads the weight files from.
    """

    name: str
    constructor: str
    module: str
    default_size: int
    sizes: tuple = None
    default_alpha: float = None
    block_pattern: str = r"^(block\d+[a-z])_"
    url_base: str = _KA

    def build_fn(self):
        """Return the `keras.applications` constructor."""
        import keras

        return getattr(keras.applications, self.constructor)

    def preprocess(self):
        """Return this family's `preprocess_input` (expects pixels in [0, 255])."""
        import keras

        return getattr(keras.applications, self.module).preprocess_input

    def weights_file(self, image_size=None, alpha=None, include_top=False):
        """Return the file name Keras caches this family's ImageNet weights under."""
        rows = image_size or self.default_size
        if self.sizes and rows not in self.sizes:
            rows = self.default_size  # Keras falls back to its default size too.
        alpha = self.default_alpha if alpha is None else alpha
        if self.name == "mobilenet_v2":
            top = "" if include_top else "_no_top"
            return f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(alpha)}_{rows}{top}.h5"
        if self.name == "mobilenet":
            top = "" if include_top else "_no_top"
            return f"mobilenet_{_MOBILENET_ALPHA_TEXT[float(alpha)]}_{rows}_tf{top}.h5"
        stem = _FIXED_WEIGHT_STEMS[self.name]
        return stem + (".h5" if include_top else "_notop.h5")


_FIXED_WEIGHT_STEMS = {
    "efficientnet_b0": "efficientnetb0",
    "efficientnet_v2_b0": "efficientnetv2-b0",
    "resnet50": "resnet50_weights_tf_dim_ordering_tf_kernels",
    "convnext_tiny": "convnext_tiny",
}

BACKBONES = {
    spec.name: spec
    for spec in [
        BackboneSpec(
            "mobilenet_v2", "MobileNetV2", "mobilenet_v2", 224,
            sizes=(96, 128, 160, 192, 224), default_alpha=0.35,
            block_pattern=r"^(block_\d+)_", url_base=_KA + "mobilenet_v2/",
        ),
        BackboneSpec(
            "mobilenet", "MobileNet", "mobilenet", 224,
            sizes=(128, 160, 192, 224), default_alpha=0.25,
            block_pattern=r"^conv_(?:dw|pw)_(\d+)", url_base=_KA + "mobilenet/",
        ),
        BackboneSpec(
            "efficientnet_b0", "EfficientNetB0", "efficientnet", 224,
            url_base="https://storage.googleapis.com/keras-applications/",
        ),
        BackboneSpec(
            "efficientnet_v2_b0", "EfficientNetV2B0", "efficientnet_v2", 224,
            url_base=_KA + "efficientnet_v2/",
        ),
        BackboneSpec(
            "resnet50", "ResNet50", "resnet50", 224,
            block_pattern=r"^(conv\d_block\d+)_", url_base=_KA + "resnet/",
        ),
        BackboneSpec(
            "convnext_tiny", "ConvNeXtTiny", "convnext", 224,
            block_pattern=r"^convnext_tiny_(stage_\d_block_\d+)_", url_base=_KA + "convnext/",
        ),
    ]
}


def get_backbone(name):
    """Return the registry entry for `name`.

    Raises:
        ValueError: `name` is not registered; the message lists the known names.
    """
    try:
        return BACKBONES[name]
    except KeyError:
        known = ", ".join(sorted(BACKBONES))
        raise ValueError(
            f"Unknown backbone: expected one of {known}; received {name!r}."
        ) from None


def resolve_weights(name, image_size=None, alpha=None, include_top=False, allow_download=None, models_dir=None):
    """Decide where a backbone's ImageNet weights come from, without loading them.

    Order: the exact file in `$KERAS_HOME/models`; for MobileNet and
    MobileNetV2 without top, a cached no-top file of the same alpha at another
    size; else a download. A no-top file has the same weight shapes at every
    input size, so it loads at any size; Keras' 160-px and 224-px files are
    separate trainings of those shapes, though. With only the 224-px file
    cached (the offline assets), the 224-px weights are reused at 160 px; with
    no file cached, the exact size's file is downloaded.

    Args:
        name: registry key.
        image_size: input size in pixels (square); None for the default.
        alpha: width multiplier (MobileNet families only).
        include_top: whether the 1000-class ImageNet classifier is wanted.
        allow_download: False never downloads; None follows `TL_COURSE_OFFLINE`.
        models_dir: the folder to look in; None is Keras' cache, `$KERAS_HOME/models`.

    Returns:
        `(weights, note)`: `"imagenet"` or a file path to pass as `weights=`,
        and a one-line description of the source.

    Raises:
        FileNotFoundError: no cached file fits and downloading is not allowed;
            the message names the file and the folder to put it in.
    """
    spec = get_backbone(name)
    models_dir = Path(models_dir) if models_dir is not None else settings.keras_home() / "models"
    wanted = spec.weights_file(image_size, alpha, include_top)
    if (models_dir / wanted).is_file():
        return "imagenet", f"cached {wanted}"
    if spec.sizes and not include_top:
        for size in sorted(spec.sizes, key=lambda s: (s != spec.default_size, -s)):
            other = models_dir / spec.weights_file(size, alpha, include_top)
            if other.is_file():
                return str(other), f"cached {other.name}, reused at {image_size}px (same shapes at every size; trained at {size}px)"
    if allow_download is None:
        allow_download = not settings.offline()
    if not allow_download:
        raise _missing_weights(spec, wanted, models_dir)
    return "imagenet", f"download {spec.url_base}{wanted}"


def _missing_weights(spec, wanted, models_dir):
    return settings.missing_offline(
        f"The ImageNet weight file for {spec.name!r}", f"the file {wanted} in {models_dir}", f"{spec.url_base}{wanted}",
        f"put it in {models_dir}, or point KERAS_HOME at a folder whose models/ holds it",
    )


def load_backbone(
    name,
    image_size=None,
    alpha=None,
    weights="imagenet",
    include_top=False,
    pooling="avg",
    allow_download=None,
):
    """Build a Keras Applications backbone, loading ImageNet weights offline-first.

    Args:
        name: registry key, e.g. `"mobilenet_v2"` (see `BACKBONES`).
        image_size: square input size in pixels; None uses the family default.
        alpha: width multiplier for MobileNet families; None uses the registry
            default (0.35 for MobileNetV2, 0.25 for MobileNet: the cached ones).
        weights: `"imagenet"`, None (random init) or a weights file path.
        include_top: keep the 1000-class ImageNet classifier.
        pooling: `"avg"`, `"max"` or None, for the no-top feature output.
        allow_download: see `resolve_weights`.

    Returns:
        A `keras.Model`: `(batch, size, size, 3)` raw pixels after the family's
        `preprocess_input` -> `(batch, features)` when pooled.

    Raises:
        ValueError: unknown `name`.
        FileNotFoundError: ImageNet weights are neither cached nor downloadable.
    """
    spec = get_backbone(name)
    size = image_size or spec.default_size
    kwargs = {"include_top": include_top}
    if not include_top:
        kwargs.update(input_shape=(size, size, 3), pooling=pooling)
    elif image_size is not None:
        kwargs["input_shape"] = (size, size, 3)
    if spec.default_alpha is not None:
        kwargs["alpha"] = spec.default_alpha if alpha is None else alpha
    if weights == "imagenet":
        weights, _ = resolve_weights(name, size, alpha, include_top, allow_download)
    try:
        return spec.build_fn()(weights=weights, **kwargs)
    except Exception as error:  # a failed download surfaces as a bare Exception
        wanted = spec.weights_file(size, alpha, include_top)
        models_dir = settings.keras_home() / "models"
        if weights == "imagenet" and not (models_dir / wanted).is_file():
            raise _missing_weights(spec, wanted, models_dir) from error
        raise


def block_names(model, name):
    """List a backbone's blocks in order, bottom (input side) first.

    Layers before the first block form `"stem"`; layers after a block that
    match no block (the final 1x1 conv, its BatchNorm) join the block before.

    Args:
        model: a backbone built by `load_backbone(name, ...)`.
        name: its registry key.

    Returns:
        list of block names, e.g. `["stem", "block_1", ..., "block_16"]`.
    """
    return list(dict.fromkeys(_layer_blocks(model, name).values()))


def _layer_blocks(model, name):
    pattern = re.compile(get_backbone(name).block_pattern)
    current, blocks = "stem", {}
    for layer in model.layers:
        match = pattern.match(layer.name)
        if match:
            current = f"block_{match.group(1)}" if match.group(1).isdigit() else match.group(1)
        blocks[layer.name] = current
    return blocks


def layers_in_top_blocks(model, name, n_blocks):
    """Return the layers that belong to the top `n_blocks` blocks of a backbone.

    Args:
        model: a backbone built by `load_backbone(name, ...)`.
        name: its registry key.
        n_blocks: how many blocks, counted from the output, 0 to all.

    Raises:
        ValueError: `n_blocks` is negative or larger than the number of blocks.
    """
    blocks = block_names(model, name)
    if not 0 <= n_blocks <= len(blocks):
        raise ValueError(
            f"Expected n_blocks between 0 and {len(blocks)} for {name!r}; received {n_blocks}."
        )
    top = set(blocks[len(blocks) - n_blocks:]) if n_blocks else set()
    layer_block = _layer_blocks(model, name)
    return [layer for layer in model.layers if layer_block[layer.name] in top]


def weights_status(name, image_size=None, alpha=None, include_top=False):
    """Return `(available_offline, note)` for `tl-course doctor`."""
    try:
        _, note = resolve_weights(name, image_size, alpha, include_top, allow_download=False)
        return True, note
    except FileNotFoundError:
        spec = get_backbone(name)
        return False, f"missing {spec.weights_file(image_size, alpha, include_top)}"
