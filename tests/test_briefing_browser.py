"""周报 in the browser: a secretary opens /briefing, reads the preview, picks a week, has the files
built (by the scheduler's worker, here a thread of the test) and downloads them; headless
Chromium saves them and the tests open them."""
from __future__ import annotations

import threading
import time

import pytest

from data_access import briefing as data
from data_access.engine import make_engine
from data_access.scope import scope_of
from dashboard import create_app
from dashboard.briefing import jobs
from dashboard.briefing.worker import Worker, loop
from layouts import briefing as view

from .browser import click, start_signed_in
from .conftest import ARTIFACTS, copy_sqlite, now


@pytest.fixture()
def browser_url(sqlite_url, tmp_path):
    """A copy of the test city: the page's requests write briefing builds."""
    from sqlalchemy import delete

    from data_access.schema import briefing_build
    url = copy_sqlite(sqlite_url, tmp_path / "briefing-page.db")
    engine = make_engine(url)
    with engine.begin() as conn:  # the download route's tests build into the original
        conn.execute(delete(briefing_build))
    engine.dispose()
    return url


@pytest.fixture()
def browser_app(browser_url):
    return create_app({"DATABASE_URL": browser_url, "REFRESH_SECONDS": 60})


@pytest.fixture()
def worker_thread(browser_url):
    """The scheduler's briefing worker (issue #19 item 7), in a thread of the test."""
    stop = threading.Event()
    engine = make_engine(browser_url)
    worker = Worker(engine, jobs.Config("450800", prebuild_at=""), holder="test:browser")
    thread = threading.Thread(target=loop, args=(worker, 0.3, None, stop, lambda _d: False), daemon=True)
    thread.start()
    yield worker
    stop.set()
    thread.join(timeout=120)
    worker.close()
    engine.dispose()


def _wait_file(folder, name: str, timeout=90):
    end = time.time() + timeout
    path = folder / name
    while time.time() < end:
        # Chromium writes NAME.crdownload first and renames it when complete.
        if path.exists() and not list(folder.glob("*.crdownload")):
            return path
        time.sleep(0.5)
    raise AssertionError(f"{name} was not downloaded; folder has {sorted(p.name for p in folder.iterdir())}")


def test_brf101_preview_and_downloads(dash_duo, browser_app, sqlite_url, tmp_path, worker_thread):
    from docx import Document
    from openpyxl import load_workbook
    import pypdfium2 as pdfium

    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        scope = scope_of(conn, "450800")
        w46 = data.headline(conn, scope, "450802", data.parse_week("2026-W46").span(now()))
        w45 = data.headline(conn, scope, "450802", data.parse_week("2026-W45").span(now()))
    engine.dispose()

    # Exports are an analyst's (dashboard/auth.py): sign in as one.
    start_signed_in(dash_duo, browser_app, "city_analyst", path="/briefing?region=450802")
    dash_duo.driver.set_window_size(1400, 1000)
    dash_duo.driver.execute_cdp_cmd("Browser.setDownloadBehavior",
                                    {"behavior": "allow", "downloadPath": str(tmp_path)})
    dash_duo.driver.get(dash_duo.server_url + "/briefing?region=450802")
    # The default is the last complete week; its preview shows the key figures.
    dash_duo.wait_for_element("#brf-figures", timeout=60)
    assert dash_duo.find_element("#breadcrumb .active").text == "港北区"
    assert dash_duo.find_element("#nav-briefing").text == "周报"
    row = [td.text for td in dash_duo.find_elements("#brf-fig-0 td")]
    assert row[:3] == ["受理事件（件）", f"{w46['received']:,}", f"{w45['received']:,}"]
    assert f"全区共受理事件{w46['received']:,}件" in dash_duo.find_element("#brf-summary").text
    # The files are built in the background on request; then the links appear.
    click(dash_duo, "#brf-generate")
    dash_duo.wait_for_element("#brf-dl-xlsx", timeout=180)
    href = dash_duo.find_element("#brf-dl-xlsx").get_attribute("href")
    assert href.endswith("/briefing/download?region=450802&week=2026-W46&format=xlsx")
    dash_duo.driver.save_screenshot(str(ARTIFACTS / "briefing-page.png"))

    click(dash_duo, "#brf-dl-xlsx")
    xlsx = _wait_file(tmp_path, "briefing-450802-2026-W46.xlsx")
    assert load_workbook(xlsx)["主要指标"]["B2"].value == w46["received"]

    # Another week: the links and the preview follow the choice.
    # dash_duo picks an option by its visible label.
    dash_duo.select_dcc_dropdown("#brf-week", value=view.week_label(data.parse_week("2026-W45"), True))
    dash_duo.wait_for_text_to_equal("#brf-fig-0 td:nth-child(2)", f"{w45['received']:,}", timeout=60)
    click(dash_duo, "#brf-generate")
    dash_duo.wait_for_element("#brf-dl-docx", timeout=180)
    assert dash_duo.find_element("#brf-dl-docx").get_attribute("href").endswith("week=2026-W45&format=docx")
    click(dash_duo, "#brf-dl-docx")
    docx = _wait_file(tmp_path, "briefing-450802-2026-W45.docx", timeout=120)
    assert Document(str(docx)).paragraphs[0].text == "港北区网格化社会治理周报"
    click(dash_duo, "#brf-dl-pdf")
    pdf = _wait_file(tmp_path, "briefing-450802-2026-W45.pdf", timeout=120)
    text = pdfium.PdfDocument(str(pdf))[0].get_textpage().get_text_range()
    assert "港北区网格化社会治理周报" in text and "2026年第45周" in text
