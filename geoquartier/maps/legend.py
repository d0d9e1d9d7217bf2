"""The legend: one section per layer shown, with swatches and classed ranges (escaped HTML)."""

from __future__ import annotations

from dataclasses import dataclass, field

from geoquartier.maps.escape import text


@dataclass
class Legend:
    """Legend sections collected while the layers are drawn; :meth:`html` renders them."""

    title: str
    sections: list[tuple[str, list[tuple[str, str, str]], str]] = field(default_factory=list)

    def add(self, heading: str, entries: list[tuple[str, str, str]], note: str = "") -> None:
        """A section: ``entries`` are ``(swatch kind: fill|dot|line|pin, colour, label)``."""
        self.sections.append((heading, entries, note))

    def html(self) -> str:
        """``<details open>`` with a heading and a list per section (keyboard-usable)."""
        parts = [f"<details open><summary>{text(self.title)}</summary>"]
        for heading, entries, note in self.sections:
            parts.append(f"<h4>{text(heading)}</h4><ul>")
            for kind, colour, label in entries:
                if kind == "line":
                    style = f"border-top-color:{colour}"
                else:
                    style = f"background:{colour}"
                cls = {
                    "dot": "gq-sw gq-sw-dot",
                    "pin": "gq-sw gq-sw-dot",
                    "line": "gq-sw gq-sw-line",
                }.get(kind, "gq-sw")
                swatch = f'<span class="{cls}" style="{text(style)}" aria-hidden="true"></span>'
                parts.append(f"<li>{swatch}{text(label)}</li>")
            parts.append("</ul>")
            if note:
                parts.append(f'<p class="gq-note">{text(note)}</p>')
        parts.append("</details>")
        return "".join(parts)
