"""Photos of the daily reports: checked, re-encoded, resized and stripped of metadata.

An uploaded file is never stored as sent. It is opened with Pillow (JPEG, PNG; HEIC/HEIF when
the optional ``pillow-heif`` package is installed), fully decoded (a truncated or corrupt file
fails here), turned upright by its EXIF orientation, converted to RGB, scaled down to at most
``MAX_SIDE`` pixels and saved again as JPEG without any EXIF block, so GPS position, camera serial
and the like are gone. A ``THUMB_SIDE`` thumbnail is kept beside it. Files live under
``<data dir>/photos/<campaign>/<commune>/<day>/``; the database keeps paths relative to the data
directory.
"""
from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from app.core.i18n import t
from app.core.settings import read_settings
from db.engine import data_dir

MAX_SIDE = 1600
THUMB_SIDE = 360
JPEG_QUALITY = 82
MAX_PIXELS = 40_000_000  # 40 MP: bigger than any phone photo, far below a decompression bomb
ACCEPTED_FORMATS = {"JPEG", "MPO", "PNG", "HEIF", "HEIC"}

try:  # optional: iPhone photos (HEIC)
    from pillow_heif import register_heif_opener  # type: ignore
    register_heif_opener()
    HEIF_SUPPORTED = True
except Exception:  # pragma: no cover - depends on the installation
    HEIF_SUPPORTED = False


class PhotoError(ValueError):
    """A refused photo; the message is Vietnamese and names the file."""


@dataclass(frozen=True)
class ProcessedPhoto:
    name: str
    image: bytes
    thumb: bytes
    width: int
    height: int


def max_bytes() -> int:
    return read_settings().max_photo_mb * 1024 * 1024


def _looks_heic(data: bytes) -> bool:
    return len(data) > 12 and data[4:8] == b"ftyp" and data[8:12] in (
        b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1", b"heim", b"heis")


def process_photo(data: bytes, filename: str = "") -> ProcessedPhoto:
    """Check and re-encode one uploaded photo, or raise ``PhotoError``."""
    name = (filename or "ảnh")[:80]
    limit = max_bytes()
    if not data:
        raise PhotoError(t("photo.err.empty", name=name))
    if len(data) > limit:
        raise PhotoError(t("photo.err.too_big", name=name, size=round(len(data) / 1048576, 1),
                           max=read_settings().max_photo_mb))
    if _looks_heic(data) and not HEIF_SUPPORTED:
        raise PhotoError(t("photo.err.heic", name=name))
    try:
        # Image.open reads the header only: the pixel count is checked before any decoding
        img = Image.open(io.BytesIO(data))
        fmt = (img.format or "").upper()
        if fmt not in ACCEPTED_FORMATS:
            raise PhotoError(t("photo.err.format", name=name, fmt=fmt or "?"))
        if img.width * img.height > MAX_PIXELS:
            raise PhotoError(t("photo.err.pixels", name=name))
        if fmt in ("JPEG", "MPO"):
            # decode at a reduced DCT scale (still at least MAX_SIDE): several times faster on
            # phone photos, and the whole stream is still read, so corruption is still caught
            scale = MAX_SIDE / max(img.width, img.height)
            if scale < 1:
                img.draft("RGB", (max(1, int(img.width * scale)), max(1, int(img.height * scale))))
        img.load()  # full decode: a truncated or corrupt file fails here
        img = ImageOps.exif_transpose(img)
        if img.mode in ("RGBA", "LA", "P"):
            rgba = img.convert("RGBA")
            background = Image.new("RGB", rgba.size, (255, 255, 255))
            background.paste(rgba, mask=rgba.getchannel("A"))
            img = background
        elif img.mode != "RGB":
            img = img.convert("RGB")
        img.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        # a brand-new image with no info dict: no EXIF, GPS, XMP, comments or ICC leftovers
        clean = Image.new("RGB", img.size)
        clean.paste(img)
        clean.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
        thumb_img = clean.copy()
        thumb_img.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
        thumb = io.BytesIO()
        thumb_img.save(thumb, "JPEG", quality=78, optimize=True)
        return ProcessedPhoto(name, out.getvalue(), thumb.getvalue(), clean.width, clean.height)
    except PhotoError:
        raise
    except Image.DecompressionBombError:
        raise PhotoError(t("photo.err.pixels", name=name)) from None
    except UnidentifiedImageError:
        raise PhotoError(t("photo.err.not_image", name=name)) from None
    except (OSError, ValueError, SyntaxError, EOFError, MemoryError):
        raise PhotoError(t("photo.err.corrupt", name=name)) from None


def photo_root() -> Path:
    return data_dir() / "photos"


def store(photo: ProcessedPhoto, campaign_id: int, commune_code: str, day: date) -> tuple[str, str]:
    """Write the photo and its thumbnail; returns their paths relative to the data dir."""
    rel_dir = Path("photos") / str(int(campaign_id)) / commune_code / day.isoformat()
    target = data_dir() / rel_dir
    target.mkdir(parents=True, exist_ok=True)
    stem = secrets.token_hex(8)
    main, thumb = rel_dir / f"{stem}.jpg", rel_dir / f"{stem}_t.jpg"
    (data_dir() / main).write_bytes(photo.image)
    (data_dir() / thumb).write_bytes(photo.thumb)
    return main.as_posix(), thumb.as_posix()


def resolve(rel_path: str) -> Path | None:
    """The absolute file of a stored relative path, refusing anything outside the photo dir."""
    if not rel_path:
        return None
    root = photo_root().resolve()
    p = (data_dir() / rel_path).resolve()
    if root not in p.parents or not p.is_file():
        return None
    return p


def read(rel_path: str) -> bytes | None:
    p = resolve(rel_path)
    return p.read_bytes() if p else None


def remove_files(*rel_paths: str) -> None:
    for rel in rel_paths:
        p = resolve(rel)
        if p is not None:
            try:
                p.unlink()
            except OSError:
                pass
