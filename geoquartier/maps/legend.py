"""The legend: one section per layer shown, with swatches and classed ranges (escaped HTML)."""

from __future__ import annotations

from dataclasses import dataclass, field

from geoquartier.maps.escape import text


@dataclass
class Legend:
    """Legend sections collected while the layers are drawn; :meth:`html` renders them."""

    title: str
    sections: list[tuple[str, list[tuple[str, str, str]], str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(
        self, heading: str, entries: list[tuple[str, str, str]], note: str = "", layer: str = ""
    ) -> None:
        """A section: ``entries`` are ``(swatch kind: fill|dot|line|pin, colour, label)``;
        ``layer`` the page script's name of the layer (the section is hidden while the
        layer is switched off)."""
        self.sections.append((heading, entries, note, layer))

    def note(self, message: str) -> None:
        """A note shown at the top of the legend (e.g. "walking times are estimates")."""
        if message and message not in self.notes:
            self.notes.append(message)

    def html(self) -> str:
        """``<details open>`` with the notes, a heading and a list per section (keyboard-usable)."""
        parts = [f"<details open><summary>{text(self.title)}</summary>"]
        parts += [f'<p class="gq-note gq-top-note">{text(n)}</p>' for n in self.notes]
        for heading, entries, note, layer in self.sections:
            attr = f' data-gq-legend="{text(layer)}"' if layer else ""
            parts.append(f"<section{attr}><h4>{text(heading)}</h4><ul>")
            for kind, colour, label in entries:
                if kind == "line":
                    style = f"border-top-color:{colour}"
                else:
                    style = f"background:{colour}"
                cls = {
                    "dot": "gq-sw gq-sw-dot",
                    "pin": "gq-sw gq-sw-pin",
                    "line": "gq-sw gq-sw-line",
                }.get(kind, "gq-sw")
                swatch = f'<span class="{cls}" style="{text(style)}" aria-hidden="true"></span>'
                parts.append(f"<li>{swatch}{text(label)}</li>")
            parts.append("</ul>")
            if note:
                parts.append(f'<p class="gq-note">{text(note)}</p>')
            parts.append("</section>")
        parts.append("</details>")
        return "".join(parts)
