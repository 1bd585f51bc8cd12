"""QR bundle for the admin page and the CLI: PNG files under assets/qr/, the PDF and a ZIP."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.admin.qr import qr_pdf, write_pngs, zip_pngs
from app.core.public_url import valid_base_url
from app.core.reference import geography

QR_DIR = Path(__file__).resolve().parents[2] / "assets" / "qr"
__all__ = ["QR_DIR", "QrBundle", "build_qr_bundle", "valid_base_url"]


@dataclass
class QrBundle:
    base_url: str
    count: int
    pdf: bytes
    zip: bytes
    paths: list[Path]


def build_qr_bundle(base_url: str, progress: Callable[[int, int], None] | None = None,
                    out_dir: Path = QR_DIR) -> QrBundle:
    """Write assets/qr/<code>.png for every commune and assets/qr/qr_codes.pdf."""
    base_url = base_url.strip().rstrip("/")
    communes = list(geography().communes)
    total = len(communes) * 2
    step = (lambda d, n: progress(d, total)) if progress else None
    paths = write_pngs(base_url, communes, out_dir, progress=step)
    pdf = qr_pdf(base_url, communes,
                 progress=(lambda d, n: progress(len(communes) + d, total)) if progress else None)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "qr_codes.pdf").write_bytes(pdf)
    return QrBundle(base_url, len(communes), pdf, zip_pngs(base_url, communes), paths)
