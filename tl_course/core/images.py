"""Scan and validate a folder of class subfolders of images.

Used by every lesson through `scan_image_folder`; its quick-mode subset is
`sampling`'s per-class draw. Bad files never stop a
lesson: corrupt, empty and non-image files, and decompression bombs (files
claiming more pixels than Pillow decodes safely) are reported (one warning
that lists them) and skipped; files in nested subfolders of a class folder and
broken symbolic links are reported and not scanned. Images TensorFlow would
decode wrongly (CMYK, RGBA, palette, 16-bit, EXIF-rotated photos, formats
other than JPEG/PNG/GIF/BMP) are converted to upright RGB PNG copies in the
course cache, and the originals are left untouched.
"""

import dataclasses
import hashlib
import os
import warnings
from pathlib import Path

import numpy as np

from tl_course.core import settings
from tl_course.core.sampling import seeded_order

__all__ = ["ImageFolder", "ImageFolderWarning", "scan_image_folder"]

_NATIVE_FORMATS = {"JPEG", "PNG", "GIF", "BMP"}
_NATIVE_MODES = {"RGB", "L"}
_ORIENTATION = 0x0112  # the EXIF tag; 1 is upright, 2-8 say how the stored pixels are turned
_COPY_VERSION = 2  # part of a copy's name: bump it when a conversion changes, so stale copies are not reused
_EXAMPLES = 3  # example paths shown per kind of entry that was not scanned
_NESTED, _BROKEN = "in a nested subfolder", "broken symbolic link"  # why an entry was not scanned
_PLURAL = {_NESTED: "file(s) in nested subfolders", _BROKEN: "broken symbolic link(s)"}


class ImageFolderWarning(UserWarning):
    """Files were skipped or not scanned, class folders were empty, or images were converted."""


@dataclasses.dataclass
class ImageFolder:
    """The usable images of a class-folder dataset.

    Attributes:
        root: the scanned folder.
        class_names: sorted names of class folders that hold usable images.
        paths: file to decode per image (the original, or its RGB copy).
        labels: int array `(n,)`, index into `class_names`.
        sources: original file per image (what a cache key should hash).
        skipped: `(file, reason)` for every file scanned and left out.
        converted: `(file, reason)` for every file decoded from an RGB copy.
        empty_classes: class folders with no usable image.
        ignored: `(path, reason)` for every entry of a class folder that was
            not scanned: files in nested subfolders, broken symbolic links.
    """

    root: Path
    class_names: list
    paths: list
    labels: np.ndarray
    sources: list
    skipped: list = dataclasses.field(default_factory=list)
    converted: list = dataclasses.field(default_factory=list)
    empty_classes: list = dataclasses.field(default_factory=list)
    ignored: list = dataclasses.field(default_factory=list)

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
        for what, items in (("skipped", self.skipped), ("converted to RGB", self.converted),
                            ("not scanned", self.ignored)):
            if items:
                lines.append(f"  {len(items)} {what}: " + "; ".join(f"{Path(f).name} ({r})" for f, r in items[:5]))
        if self.empty_classes:
            lines.append(f"  empty class folders: {', '.join(self.empty_classes)}")
        return "\n".join(lines)


def scan_image_folder(root, per_class=None, seed=0, converted_dir=None, warn=True):
    """Find the usable images in `root/<class>/<image>`.

    Top-level files (such as `LICENSE.txt`) and hidden entries are ignored.
    Files in subfolders of a class folder, and broken symbolic links, are not
    used either; they are counted in the warning, with a few example paths.

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
        files = _class_files(class_dir, folder)
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
    if warn and (folder.skipped or folder.empty_classes or folder.converted or folder.ignored):
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
    if folder.ignored:
        kinds = {}
        for path, reason in folder.ignored:
            kinds.setdefault(reason, []).append(path)
        parts.append(f"did not scan {len(folder.ignored)} entr(ies): " + "; ".join(
            f"{len(paths)} {_PLURAL[reason]} ({', '.join(paths[:_EXAMPLES])}"
            + (f" and {len(paths) - _EXAMPLES} more)" if len(paths) > _EXAMPLES else ")")
            for reason, paths in kinds.items()))
    return f"In {folder.root}: " + ". ".join(parts) + "."


def _class_files(class_dir, folder):
    """Return the files directly in `class_dir`; record nested files and broken links as not scanned."""
    files = []
    for entry in sorted(class_dir.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_file():
            files.append(entry)
        elif entry.is_dir():
            for parent, dirs, names in os.walk(entry):  # does not follow links to folders, so never loops
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                folder.ignored += [(os.path.join(parent, n), _NESTED) for n in sorted(names) if not n.startswith(".")]
        elif entry.is_symlink():
            folder.ignored.append((str(entry), _BROKEN))
    return files


def _check_image(path, converted_dir, folder):
    """Return the file to decode for `path`, or None after recording why it is skipped."""
    from PIL import Image, UnidentifiedImageError

    if path.stat().st_size == 0:
        folder.skipped.append((str(path), "empty file"))
        return None
    try:
        with Image.open(path) as image:
            image.load()  # a full decode catches truncated and corrupt data
            if image.format in _NATIVE_FORMATS and image.mode in _NATIVE_MODES and _orientation(image) == 1:
                return path
            return _rgb_copy(path, image, converted_dir, folder)
    except Image.DecompressionBombError as error:  # raised before any pixel is decoded; Pillow's message gives the size
        folder.skipped.append((str(path), f"possible decompression bomb, not decoded: {error}"))
    except UnidentifiedImageError:
        folder.skipped.append((str(path), "not an image"))
    except (OSError, SyntaxError, ValueError) as error:
        folder.skipped.append((str(path), f"corrupt image: {error}"))
    return None


def _orientation(image):
    """Return the EXIF orientation, 2-8, or 1 (upright) when absent, unreadable or out of range."""
    try:
        orientation = image.getexif().get(_ORIENTATION, 1)
    except Exception:  # a malformed EXIF block is no reason to lose the photo
        return 1
    return orientation if orientation in range(2, 9) else 1


def _rgb_copy(path, image, converted_dir, folder):
    """Write (once) an upright 8-bit RGB PNG copy of `image` and return its path.

    TensorFlow ignores EXIF, so the orientation is applied here; 16-bit
    grayscale (Pillow's modes "I;16" and "I") is scaled, 65535 -> 255, where
    `convert` would clip it; transparency is composited on white.
    """
    from PIL import Image, ImageOps

    orientation = _orientation(image)
    reason = f"{image.format} {image.mode}" + (f", EXIF orientation {orientation}" if orientation != 1 else "") + " -> RGB"
    stat = path.stat()
    key = hashlib.sha1(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{_COPY_VERSION}".encode()).hexdigest()
    target = converted_dir / f"{key}.png"
    if not target.exists():
        if orientation != 1:
            image = ImageOps.exif_transpose(image)
        if image.mode.startswith("I"):
            image = Image.fromarray(np.clip(np.rint(np.asarray(image, dtype=np.float64) / 257), 0, 255).astype(np.uint8))
        if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
            rgba = image.convert("RGBA")
            rgb = Image.new("RGB", rgba.size, (255, 255, 255))
            rgb.paste(rgba, mask=rgba.getchannel("A"))
        else:
            rgb = image.convert("RGB")
        converted_dir.mkdir(parents=True, exist_ok=True)
        rgb.save(target)
    folder.converted.append((str(path), reason))
    return target
