"""Join links and their QR codes (SVG: sharp on a projector, no Pillow needed)."""

from __future__ import annotations

import functools
import io

import qrcode
import qrcode.image.svg


def join_link(base_url: str, code: str) -> str:
    return f"{base_url}/{code}"


@functools.lru_cache(maxsize=256)
def qr_svg(text: str) -> bytes:
    """An SVG QR code of `text`, with a quiet zone, black on white for any projector."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4, box_size=10)
    qr.add_data(text)
    qr.make(fit=True)
    image = qr.make_image(image_factory=qrcode.image.svg.SvgPathFillImage)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()
