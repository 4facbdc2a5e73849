"""A Dash renderer cut down to what a wall screen does over HTTP.

It reads the layout (/_dash-layout) and the callback graph (/_dash-dependencies,
the same data as `app.callback_map`), keeps every component's props, and builds
the exact `/_dash-update-component` bodies the browser sends: the initial
callbacks of a page, each Interval's tick, and a region change (a new
`url.search`). Clientside callbacks stay in the browser and are skipped.
No HTTP here, so tests can drive it through Flask's test client and the load
generator through aiohttp.
"""
from __future__ import annotations

from urllib.parse import urlsplit

PATCH = "__dash_patch_update"


def split_output(key: str) -> list[tuple[str, str]]:
    """'..a.x...b.y..' -> [('a', 'x'), ('b', 'y')]; 'a.x' -> [('a', 'x')]."""
    parts = key.strip(".").split("...") if key.startswith("..") else [key]
    return [tuple(p.rsplit(".", 1)) for p in parts]


def walk(tree):
    """Every component (type, props) in a layout tree."""
    if isinstance(tree, list):
        for item in tree:
            yield from walk(item)
    elif isinstance(tree, dict) and "props" in tree and "type" in tree:
        yield tree
        props = tree["props"] or {}
        for value in props.values():
            if isinstance(value, (list, dict)):
                yield from walk(value)


class Screen:
    """One browser tab: its component props and the server callbacks they drive."""

    def __init__(self, dependencies: list[dict], layout: dict, url: str):
        self.callbacks = [d for d in dependencies if not d.get("clientside_function")]
        self.props: dict[tuple[str, str], object] = {}
        self.ids: set[str] = set()
        self.owned: dict[str, set[str]] = {}  # container id -> the ids its children brought
        self.absorb(layout)
        self.navigate(url)

    # --- state -------------------------------------------------------------------
    def absorb(self, tree) -> set[str]:
        """Record the props of every component in `tree`; returns the ids it brought."""
        added = set()
        for comp in walk(tree):
            cid = comp["props"].get("id")
            if not isinstance(cid, str):
                continue
            added.add(cid)
            for prop, value in comp["props"].items():
                if prop != "children" or not isinstance(value, (list, dict)):
                    self.props[(cid, prop)] = value
        self.ids |= added
        return added

    def navigate(self, url: str) -> None:
        """What dcc.Location reports for a URL (path and query only)."""
        parts = urlsplit(url)
        self.props[("url", "pathname")] = parts.path or "/"
        self.props[("url", "search")] = f"?{parts.query}" if parts.query else ""
        self.props[("url", "hash")] = ""
        self.ids.add("url")

    def intervals(self) -> dict[str, int]:
        """Interval id -> milliseconds, for the Intervals that drive a server callback."""
        out = {}
        for cid in self.ids:
            ms = self.props.get((cid, "interval"))
            if ms and not self.props.get((cid, "disabled")) and self.for_input(f"{cid}.n_intervals"):
                out[cid] = int(ms)
        return out

    # --- which callbacks fire -------------------------------------------------------
    def _ready(self, cb) -> bool:
        return all(i["id"] in self.ids for i in cb["inputs"]) and all(
            oid in self.ids for oid, _ in split_output(cb["output"]))

    def for_input(self, prop_id: str) -> list[dict]:
        cid, prop = prop_id.rsplit(".", 1)
        return [cb for cb in self.callbacks if self._ready(cb)
                and any(i["id"] == cid and i["property"] == prop for i in cb["inputs"])]

    def on_mount(self, new_ids: set[str]) -> list[dict]:
        """Callbacks Dash fires when components appear: an input among them, not prevent_initial_call."""
        return [cb for cb in self.callbacks if self._ready(cb) and not cb.get("prevent_initial_call")
                and any(i["id"] in new_ids for i in cb["inputs"])]

    # --- requests ----------------------------------------------------------------
    def body(self, cb: dict, changed: list[str]) -> dict:
        outs = split_output(cb["output"])
        many = cb["output"].startswith("..")
        return {
            "output": cb["output"],
            "outputs": [{"id": i, "property": p} for i, p in outs] if many
            else {"id": outs[0][0], "property": outs[0][1]},
            "inputs": [{**d, "value": self.props.get((d["id"], d["property"]))} for d in cb["inputs"]],
            "state": [{**d, "value": self.props.get((d["id"], d["property"]))} for d in cb.get("state", [])],
            "changedPropIds": changed,
        }

    def tick(self, interval_id: str) -> tuple[str, list[dict]]:
        """Advance an Interval by one; returns its changed prop id and the callbacks to send."""
        n = (self.props.get((interval_id, "n_intervals")) or 0) + 1
        self.props[(interval_id, "n_intervals")] = n
        prop_id = f"{interval_id}.n_intervals"
        return prop_id, self.for_input(prop_id)

    def apply(self, response: dict | None) -> set[str]:
        """Take a 200 answer's outputs in; a new page's components are absorbed. Returns new ids."""
        added: set[str] = set()
        for cid, props in ((response or {}).get("response") or {}).items():
            for prop, value in props.items():
                if isinstance(value, dict) and value.get(PATCH) == PATCH:
                    continue  # values inside a figure: nothing a later request reads
                self.props[(cid, prop)] = value
                if prop == "children":
                    # A new page replaces the old one: its components (and their Intervals) go.
                    gone = self.owned.pop(cid, set())
                    self.ids -= gone
                    self.props = {k: v for k, v in self.props.items() if k[0] not in gone}
                    if isinstance(value, (list, dict)):
                        self.owned[cid] = self.absorb(value)
                        added |= self.owned[cid]
        return added


def short_name(cb: dict) -> str:
    """A readable name for a callback: its first output, e.g. 'page.children'."""
    cid, prop = split_output(cb["output"])[0]
    return f"{cid}.{prop}"
