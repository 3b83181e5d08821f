"""Join links and their QR codes (SVG: sharp on a projector, no Pillow needed)."""

from __future__ import annotations

import functools
import io

import qrcode
import qrcode.image.svg


def join_link(base_url: str, code: str, token: str) -> str:
    """The participant page with the session's join token: whoever follows it is never refused by the limit
    on join-code guessing (see web/doors.py)."""
    return f"{base_url}/{code}?t={token}"


def qr_path(code: str, token: str) -> str:
    """The QR code image of the join link; with the token, presenters behind a cooling address load it too."""
    return f"/api/v1/sessions/{code}/qr.svg?t={token}"


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
