"""Reading PDFs back as a person would: the text of each page (poppler's pdftotext) and a page
as a printed image (pdftoppm). poppler-utils is required (.ci/run installs it)."""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from PIL import Image


def _need(tool: str) -> str:
    path = shutil.which(tool)
    assert path, f"{tool} (poppler-utils) is required"
    return path


def pdf_pages(data: bytes, layout: bool = False) -> list[str]:
    """The text of every page, in order."""
    args = [_need("pdftotext"), "-enc", "UTF-8"] + (["-layout"] if layout else []) + ["-", "-"]
    out = subprocess.run(args, input=data, capture_output=True, check=True).stdout
    pages = out.decode("utf-8").split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def pdf_page_image(data: bytes, page: int, dpi: int = 120) -> Image.Image:
    """Page `page` (from 1) rendered as a printer would."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "doc.pdf"
        src.write_bytes(data)
        subprocess.run([_need("pdftoppm"), "-r", str(dpi), "-f", str(page), "-l", str(page),
                        "-png", str(src), str(Path(tmp) / "page")], check=True)
        img = Image.open(next(Path(tmp).glob("page*.png")))
        img.load()
        return img
