"""Shared builders for the commune-operations tests: scopes, images, roster rows."""
from __future__ import annotations

import io
import struct
import zlib

from PIL import ExifTags, Image

from app.core.auth import Scope

XA = Scope("demo.xa", "Tổ công tác Thọ Xương", "commune", "213", "07201")
XA_OTHER = Scope("xa.khac", "Tổ công tác Đồng Tiến", "commune", "215", "07243")
HUYEN = Scope("demo.huyen", "BCĐ TP Bắc Giang", "district", "213", None)
HUYEN_OTHER = Scope("huyen.khac", "BCĐ Yên Thế", "district", "215", None)
TINH = Scope("demo.tinh", "Ban Dân vận", "province")
HOIND = Scope("demo.hoind", "Hội Nông dân tỉnh", "farmers")
ADMIN = Scope("demo.admin", "Quản trị", "admin")


def jpeg_with_gps(size=(2400, 1800), orientation: int | None = None) -> bytes:
    img = Image.new("RGB", size, (200, 60, 40))
    for x in range(0, size[0], 50):  # some detail so the encoder has work to do
        img.paste((20, 120, 200), (x, 0, x + 10, size[1]))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestCam"
    exif[ExifTags.Base.Model] = "Serial-XYZ-123"
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (21.0, 18.0, 3.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (106.0, 12.0, 1.0)
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def png_bytes(size=(300, 200), mode="RGBA") -> bytes:
    img = Image.new(mode, size, (10, 200, 10, 128) if mode == "RGBA" else 128)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def png_bomb(width=30000, height=30000) -> bytes:
    """A tiny PNG whose header claims a gigantic image (a decompression bomb)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 100)) + chunk(b"IEND", b""))


def row(name="Nguyễn Văn An", phone="0912345678", days=None, shift="sang",
        org="Hội Nông dân", position="Chi hội trưởng") -> dict:
    return {"full_name": name, "position": position, "organisation": org, "phone": phone,
            "duty_days": days, "shift": shift}
