"""Forms of a page as a browser without JavaScript posts them: `form_fields(html, action)` gives the
(name, value) pairs of the first form with that action, in page order (checked boxes and radios, selected
options, text areas), and `with_fields` replaces or adds some, for the no-JavaScript tests of the host pages."""

from __future__ import annotations

from html.parser import HTMLParser


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, list[list[str]]]] = []
        self._fields: list[list[str]] | None = None
        self._textarea: list[str] | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._fields = []
            self.forms.append((a.get("action", ""), self._fields))
            return
        if self._fields is None or (not a.get("name") and tag != "option"):
            return
        kind = a.get("type", "text")
        if tag == "input" and kind in ("checkbox", "radio"):
            if "checked" in a:
                self._fields.append([a["name"], a.get("value", "on")])
        elif tag == "input" and kind not in ("submit", "button", "file"):
            self._fields.append([a["name"], a.get("value", "")])
        elif tag == "textarea":
            self._textarea = [a["name"], ""]
            self._fields.append(self._textarea)
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            self._fields.append([self._select, a.get("value", "")])

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self._fields = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea[1] += data


def form_fields(html: str, action: str) -> list[tuple[str, str]]:
    parser = _Forms()
    parser.feed(html)
    for found, fields in parser.forms:
        if found == action:
            return [(name, value) for name, value in fields]
    raise AssertionError(f"no form posting to {action}; forms: {[a for a, _ in parser.forms]}")


def with_fields(fields: list[tuple[str, str]], **changes: str | None) -> list[tuple[str, str]]:
    """`fields` with each named field set to its new value (None: left out, like an unticked box); names not
    in the form yet are added at the end."""
    out = [(n, changes[n]) if n in changes else (n, v) for n, v in fields]
    out = [(n, v) for n, v in out if v is not None]
    present = {n for n, _ in fields}
    out += [(n, v) for n, v in changes.items() if n not in present and v is not None]
    return out  # type: ignore[return-value]


def as_data(fields: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Pairs as httpx posts them (a list per name, each name's values in page order)."""
    data: dict[str, list[str]] = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    return data
