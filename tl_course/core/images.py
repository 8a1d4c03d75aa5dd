"""Scan and validate a folder of class subfolders of images.

Used by every lesson through `scan_image_folder`; its quick-mode subset is
`sampling`'s per-class draw. Bad files never stop a
lesson: corrupt, empty and non-image files are reported (one warning that
lists them) and skipped; images TensorFlow would decode wrongly (CMYK, RGBA,
palette, 16-bit, formats other than JPEG/PNG/GIF/BMP) are converted to RGB
PNG copies in the course cache, and the originals are left untouched.
"""

import dataclasses
import hashlib
import warnings
from pathlib import Path

import numpy as np

from tl_course.core import settings
from tl_course.core.sampling import seeded_order

__all__ = ["ImageFolder", "ImageFolderWarning", "scan_image_folder"]

_NATIVE_FORMATS = {"JPEG", "PNG", "GIF", "BMP"}
_NATIVE_MODES = {"RGB", "L"}


class ImageFolderWarning(UserWarning):
    """Files were skipped, class folders were empty, or images were converted."""


@dataclasses.dataclass
class ImageFolder:
    """The usable images of a class-folder dataset.

    Attributes:
        root: the scanned folder.
        class_names: sorted names of class folders that hold usable images.
        paths: file to decode per image (the original, or its RGB copy).
        labels: int array `(n,)`, index into `class_names`.
        sources: original file per image (what a cache key should hash).
        skipped: `(file, reason)` for every file left out.
        converted: `(file, reason)` for every file decoded from an RGB copy.
        empty_classes: class folders with no usable image.
    """

    root: Path
    class_names: list
    paths: list
    labels: np.ndarray
    sources: list
    skipped: list = dataclasses.field(default_factory=list)
    converted: list = dataclasses.field(default_factory=list)
    empty_classes: list = dataclasses.field(default_factory=list)

    def __len__(self):
        return len(self.paths)

    def counts(self):
        """Return `{class_name: number of images}`."""
        return {name: int((self.labels == i).sum()) for i, name in enumerate(self.class_names)}

    def subset(self, indices):
        """Return the images at `indices`, with the same classes."""
        indices = np.asarray(indices, dtype=int)
        return dataclasses.replace(
            self,
            paths=[self.paths[i] for i in indices],
            sources=[self.sources[i] for i in indices],
            labels=self.labels[indices],
        )

    def report(self):
        """Return a short text summary: counts per class and what was left out."""
        lines = [f"{len(self)} images in {len(self.class_names)} classes from {self.root}"]
        lines += [f"  {name}: {n}" for name, n in self.counts().items()]
        for what, items in (("skipped", self.skipped), ("converted to RGB", self.converted)):
            if items:
                lines.append(f"  {len(items)} {what}: " + "; ".join(f"{Path(f).name} ({r})" for f, r in items[:5]))
        if self.empty_classes:
            lines.append(f"  empty class folders: {', '.join(self.empty_classes)}")
        return "\n".join(lines)


def scan_image_folder(root, per_class=None, seed=0, converted_dir=None, warn=True):
    """Find the usable images in `root/<class>/<image>`.

    Top-level files (such as `LICENSE.txt`) and hidden entries are ignored.

    Args:
        root: folder holding one subfolder per class.
        per_class: keep at most this many images per class (quick mode), drawn
            with `seed`; files are validated until that many usable ones are found.
        seed: seed for the per-class draw.
        converted_dir: where RGB copies go; defaults to the course cache.
        warn: emit one `ImageFolderWarning` summarising problems.

    Returns:
        `ImageFolder`.

    Raises:
        FileNotFoundError: `root` does not exist or is not a folder.
        ValueError: fewer than 2 class folders hold usable images.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(
            f"Expected a folder of class subfolders; received {root}, which does not exist or is not a folder."
        )
    converted_dir = Path(converted_dir) if converted_dir else settings.cache_dir("converted")
    class_dirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    folder = ImageFolder(root, [], [], np.zeros(0, int), [])
    labels = []
    for class_dir in class_dirs:
        files = sorted(p for p in class_dir.iterdir() if p.is_file() and not p.name.startswith("."))
        if per_class is not None:
            files = [files[i] for i in seeded_order(len(files), seed, len(folder.class_names))]
        kept = 0
        for path in files:
            if per_class is not None and kept >= per_class:
                break
            usable = _check_image(path, converted_dir, folder)
            if usable is None:
                continue
            folder.paths.append(str(usable))
            folder.sources.append(str(path))
            labels.append(len(folder.class_names))
            kept += 1
        if kept:
            folder.class_names.append(class_dir.name)
        else:
            folder.empty_classes.append(class_dir.name)
    folder.labels = np.asarray(labels, dtype=int)
    if warn and (folder.skipped or folder.empty_classes or folder.converted):
        warnings.warn(_problems(folder), ImageFolderWarning, stacklevel=2)
    if len(folder.class_names) < 2:
        loose = [p.name for p in root.iterdir() if p.is_file() and p.suffix.lower() in (".jpg", ".jpeg", ".png")]
        if loose and not class_dirs:
            raise ValueError(
                f"Expected class subfolders in {root} (root/<class>/<image>); received {len(loose)} "
                "images directly in it. Move each class's images into a subfolder named after the class."
            )
        raise ValueError(
            f"Expected at least 2 class folders with images in {root}; received "
            f"{len(folder.class_names)} ({', '.join(folder.class_names) or 'none'}). "
            "Put each class's images in its own subfolder."
        )
    return folder


def _problems(folder):
    parts = []
    if folder.skipped:
        parts.append(f"skipped {len(folder.skipped)} file(s): " + "; ".join(f"{f} ({r})" for f, r in folder.skipped))
    if folder.empty_classes:
        parts.append(f"empty class folder(s) left out: {', '.join(folder.empty_classes)}")
    if folder.converted:
        parts.append(f"converted {len(folder.converted)} image(s) to RGB copies: " + "; ".join(f"{f} ({r})" for f, r in folder.converted))
    return f"In {folder.root}: " + ". ".join(parts) + "."


def _check_image(path, converted_dir, folder):
    """Return the file to decode for `path`, or None after recording why it is skipped."""
    from PIL import Image, UnidentifiedImageError

    if path.stat().st_size == 0:
        folder.skipped.append((str(path), "empty file"))
        return None
    try:
        with Image.open(path) as image:
            image.load()  # a full decode catches truncated and corrupt data
            if image.format in _NATIVE_FORMATS and image.mode in _NATIVE_MODES:
                return path
            return _rgb_copy(path, image, converted_dir, folder)
    except UnidentifiedImageError:
        folder.skipped.append((str(path), "not an image"))
    except (OSError, SyntaxError, ValueError) as error:
        folder.skipped.append((str(path), f"corrupt image: {error}"))
    return None


def _rgb_copy(path, image, converted_dir, folder):
    from PIL import Image

    stat = path.stat()
    key = hashlib.sha1(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()
    target = converted_dir / f"{key}.png"
    if not target.exists():
        if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
            rgba = image.convert("RGBA")
            rgb = Image.new("RGB", rgba.size, (255, 255, 255))
            rgb.paste(rgba, mask=rgba.getchannel("A"))
        else:
            rgb = image.convert("RGB")
        converted_dir.mkdir(parents=True, exist_ok=True)
        rgb.save(target)
    folder.converted.append((str(path), f"{image.format} {image.mode} -> RGB"))
    return target
