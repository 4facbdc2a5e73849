"""Write the map's glyphs (assets/glyphs/RedGrid/0-255.pbf): the printable ASCII
characters as signed-distance bitmaps in the protobuf format maplibre reads, so that text on
the offline map (the counts on clustered events) needs no glyph server.

    python deploy/make_glyphs.py [--font /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf]

Run once; the output is committed (assets/VENDORED.md). Method: TinySDF's — the glyph drawn
at 24 px, the distance to its edge in both directions, 192 at the edge, 8 px of falloff,
3 px of buffer around the bitmap (what maplibre expects of a glyph server's files).
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from scipy.ndimage import distance_transform_edt

SIZE, BUFFER, RADIUS, CUTOFF = 24, 3, 8, 0.25
STACK = "RedGrid"  # plotly asks for the family as it is named (weight 400 adds nothing)
OUT = Path(__file__).resolve().parent.parent / "assets" / "glyphs" / STACK / "0-255.pbf"


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(number: int, wire: int, payload: bytes | int) -> bytes:
    key = _varint(number << 3 | wire)
    if wire == 0:
        return key + _varint(payload)
    return key + _varint(len(payload)) + payload


def _zigzag(n: int) -> int:
    return (n << 1) ^ (n >> 31)


def _sdf(mask: np.ndarray) -> np.ndarray:
    """192 on the edge, brighter inside, darker outside (TinySDF's scale)."""
    outside = distance_transform_edt(~mask)
    inside = distance_transform_edt(mask)
    d = outside - inside
    return np.clip(np.round(255 - 255 * (d / RADIUS + CUTOFF)), 0, 255).astype(np.uint8)


def glyph(font: ImageFont.FreeTypeFont, code: int) -> bytes:
    ch = chr(code)
    advance = round(font.getlength(ch))
    left, top, right, bottom = font.getbbox(ch, anchor="ls")  # relative to the baseline's left end
    w, h = max(0, right - left), max(0, bottom - top)
    fields = _field(1, 0, code)
    if w and h:
        pad = BUFFER
        img = Image.new("L", (w + 2 * pad, h + 2 * pad), 0)
        ImageDraw.Draw(img).text((pad - left, pad - top), ch, font=font, fill=255, anchor="ls")
        bitmap = _sdf(np.asarray(img) > 127)
        fields += _field(2, 2, bitmap.tobytes())
    # `top` is the glyph's top above the baseline, less the 24 px line maplibre lays out from.
    fields += (_field(3, 0, w) + _field(4, 0, h) + _field(5, 0, _zigzag(left)) + _field(6, 0, _zigzag(-top - SIZE))
               + _field(7, 0, advance))
    return fields


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--font", default="/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    args = parser.parse_args()
    font = ImageFont.truetype(args.font, SIZE)
    glyphs = b"".join(_field(3, 2, glyph(font, c)) for c in range(32, 127))
    stack = _field(1, 2, STACK.encode()) + _field(2, 2, b"0-255") + glyphs
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(_field(1, 2, stack))
    print(f"{OUT}: {OUT.stat().st_size} bytes, {127 - 32} glyphs from {args.font}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
