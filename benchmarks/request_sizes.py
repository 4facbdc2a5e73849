"""How large do real request bodies get? Sizes REQUEST_MAX_BYTES (issue #14).

Starts the app on a seeded database, signs in as a duty officer in headless Chromium, walks
every view at city level and at a grid, clicks the map and the desk's queue, waits a few
ticks, and records each /_dash-update-component body's size by callback output.

    python benchmarks/request_sizes.py --db sqlite:///var/redgrid.db [--out benchmarks/results/request_sizes.json]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path

from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--user", default="city_duty")
    ap.add_argument("--password", default="test-password-1")
    ap.add_argument("--port", type=int, default=8097)
    ap.add_argument("--out", default="benchmarks/results/request_sizes.json")
    args = ap.parse_args()

    from flask import request

    from dashboard import create_app
    app = create_app({"DATABASE_URL": args.db, "REFRESH_SECONDS": 2})
    sizes: dict[str, int] = {}

    @app.server.before_request
    def record():
        if request.path == "/_dash-update-component":
            body = request.get_data(cache=True)
            try:
                key = json.loads(body).get("output", "?")[:80]
            except ValueError:
                key = "?"
            sizes[key] = max(sizes.get(key, 0), len(body))

    server = make_server("127.0.0.1", args.port, app.server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    from selenium import webdriver
    from selenium.webdriver.common.by import By
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1600,1000",
                 "--enable-unsafe-swiftshader", "--use-angle=swiftshader"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options)
    base = f"http://127.0.0.1:{args.port}"
    try:
        driver.get(f"{base}/login")
        driver.find_element(By.ID, "username").send_keys(args.user)
        driver.find_element(By.ID, "password").send_keys(args.password)
        driver.find_element(By.ID, "login-submit").click()
        time.sleep(3)
        grid = os.environ.get("GRID", "")
        for path in ("/", "/incidents", "/patrols", "/opinion", "/warnings", "/briefing", *(
                [f"/grid/{grid}"] if grid else [])):
            driver.get(f"{base}{path}?region=450800")
            time.sleep(6)  # the first render and a few ticks
            for sel in (".js-plotly-plot .choroplethmap", ".warn-item"):
                for el in driver.find_elements(By.CSS_SELECTOR, sel)[:2]:
                    try:
                        el.click()
                        time.sleep(1.5)
                    except Exception:  # noqa: BLE001 - an element that is not clickable is no request
                        pass
    finally:
        driver.quit()
        server.shutdown()
    top = sorted(sizes.items(), key=lambda kv: -kv[1])
    result = {"largest_bytes": top[0][1] if top else 0, "by_output": dict(top)}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=1))
    for key, n in top[:10]:
        print(f"{n:>8}  {key}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
