"""Call a Dash callback over HTTP exactly as the browser does (/_dash-update-component)."""
from __future__ import annotations

import json


def _split(key: str) -> list[tuple[str, str]]:
    parts = key.strip(".").split("...") if key.startswith("..") else [key]
    return [tuple(p.rsplit(".", 1)) for p in parts]


def find(app, output_contains: str) -> str:
    keys = [k for k in app.callback_map if output_contains in k]
    assert len(keys) == 1, keys
    return keys[0]


def call(client, app, key: str, inputs: list, state: list | None = None, changed: str | None = None):
    spec = app.callback_map[key]
    outs = _split(key)
    body = {
        "output": key,
        "outputs": [{"id": i, "property": p} for i, p in outs] if key.startswith("..")
        else {"id": outs[0][0], "property": outs[0][1]},
        "inputs": [{**d, "value": v} for d, v in zip(spec["inputs"], inputs)],
        "state": [{**d, "value": v} for d, v in zip(spec.get("state", []), state or [])],
        "changedPropIds": [changed or f"{spec['inputs'][0]['id']}.{spec['inputs'][0]['property']}"],
    }
    return client.post("/_dash-update-component", data=json.dumps(body),
                       content_type="application/json")
