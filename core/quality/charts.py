"""Small inline SVG charts for the dashboard and the scorecard (no JavaScript, prints well)."""

from __future__ import annotations

from markupsafe import Markup, escape


def bars(points: list[tuple[str, float | None]], *, width: int = 560, height: int = 160, unit: str = "",
         max_value: float | None = None, label: str = "") -> Markup:
    """A bar chart of ``(label, value)``; a missing value leaves a gap."""
    values = [v for _, v in points if v is not None]
    top = max_value if max_value is not None else (max(values) if values else 0) or 1
    n = max(len(points), 1)
    pad, base = 4, height - 22
    step = min((width - 2 * pad) / n, 48)
    parts = [f'<svg class="chart" role="img" aria-label="{escape(label)}" viewBox="0 0 {width} {height}" '
             f'width="100%" style="max-width:{width}px" preserveAspectRatio="xMinYMid meet" '
             'xmlns="http://www.w3.org/2000/svg">',
             f'<line x1="{pad}" y1="{base}" x2="{width - pad}" y2="{base}" stroke="#d9e2ec"/>']
    for i, (name, value) in enumerate(points):
        x = pad + i * step
        if value is not None:
            h = (base - 14) * (float(value) / float(top)) if top else 0
            parts.append(f'<rect x="{x + step * 0.15:.1f}" y="{base - h:.1f}" width="{step * 0.7:.1f}" '
                         f'height="{h:.1f}" fill="#b7312c"><title>{escape(name)}: {value}{escape(unit)}</title></rect>')
            parts.append(f'<text x="{x + step / 2:.1f}" y="{base - h - 3:.1f}" font-size="9" text-anchor="middle">'
                         f'{escape(_short(value))}</text>')
        parts.append(f'<text x="{x + step / 2:.1f}" y="{height - 8}" font-size="9" text-anchor="middle">'
                     f'{escape(str(name)[-5:])}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _short(value) -> str:
    f = float(value)
    return str(int(f)) if f == int(f) else f"{f:.1f}"
