"""The briefing's charts: the dashboard's own figure builders, rendered to PNG by kaleido.

Kaleido drives Debian's Chromium (found on PATH, or BROWSER_PATH) through choreographer,
offline: plotly.js comes from the installed plotly package and MathJax is switched off.
One browser serves all the charts of a briefing (`Renderer`) and is closed afterwards,
so nothing outlives the request or the command.
"""
from __future__ import annotations

import asyncio
import threading

import kaleido

from layouts import figures
from layouts import incidents as incident_view

from .content import Briefing, Chart

SCALE = 2            # pixels per layout unit: sharp when printed at A4 width
RENDER_TIMEOUT = 90  # seconds for any one image


def _printable(fig, height: int):
    # Paper is white: the wall's see-through backgrounds would turn black in some viewers.
    fig.update_layout(paper_bgcolor="white", plot_bgcolor="white", height=height,
                      font={"size": 14}, margin={"l": 60, "r": 30, "t": 50, "b": 50})
    return fig


def trend_chart(b: Briefing, trend: list[dict]) -> Chart:
    fig = _printable(incident_view.trend_figure(b.region_code, trend), 420)
    return Chart("trend", "图1　近14日事件受理、办结与日清零率", fig, 1000, 420,
                 "柱：每日受理、办结事件数；折线：日清零率（当日受理事件中当日办结的比例）。后7日为本周。")


def category_chart(b: Briefing, categories: list[dict]) -> Chart:
    # The incident view's category volumes, two panels: this week (red) and the week before.
    rows = [{"category": c["category"], "source": None, "today": c["this"], "week": c["prev"]}
            for c in categories]
    fig = incident_view.volume_figure(b.region_code, rows, "category")
    fig.layout.annotations[0].text = "本周"
    fig.layout.annotations[1].text = "上周"
    fig.update_traces(textangle=0)  # printed labels stay upright
    height = max(320, int(fig.layout.height or 0) + 40)
    return Chart("categories", "图2　事件类别构成（本周与上周）", _printable(fig, height), 1000, height,
                 "按上报时间计，各类别事件件数。")


def children_chart(b: Briefing, ranking_rows: list[list]) -> Chart | None:
    """Received (bars) and closed (line) per child, in the ranking's order."""
    if not ranking_rows:
        return None
    names = [r[1] for r in ranking_rows]
    fig = figures.daily_bars(names, [r[2] for r in ranking_rows], [r[3] for r in ranking_rows], "受理", "办结")
    fig.update_xaxes(type="category", tickangle=-40 if len(names) > 8 else 0, automargin=True)
    fig.data[1].mode = "markers"  # regions are not a sequence: no line between their points
    fig.data[1].marker.size = 10
    height = 440 if len(names) > 8 else 380
    return Chart("children", "图3　下级区域本周受理与办结（按排名）", _printable(fig, height), 1000, height,
                 "按日清零率（全周）排名从左到右排列。")


def build_charts(b: Briefing, report: dict) -> list[Chart]:
    ranking = b.tables[0].rows
    charts = [trend_chart(b, report["trend"]), category_chart(b, report["categories"]),
              children_chart(b, ranking)]
    return [c for c in charts if c is not None]


class Renderer:
    """A headless Chromium for one briefing, started in a thread of its own as soon as the
    briefing begins, so its few seconds of start-up overlap the database work; closed on exit.

        with Renderer() as r:
            report = ...            # the browser boots meanwhile
            r.render(charts)
    """

    def __enter__(self) -> "Renderer":
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="briefing-charts", daemon=True)
        self._thread.start()
        self._k = kaleido.Kaleido(n=1, mathjax=False, timeout=RENDER_TIMEOUT)
        self._opened = asyncio.run_coroutine_threadsafe(self._k.open(), self._loop)
        return self

    def render(self, charts: list[Chart]) -> list[Chart]:
        self._opened.result(timeout=RENDER_TIMEOUT)
        for c in charts:
            opts = {"format": "png", "width": c.width, "height": c.height, "scale": SCALE}
            c.png = asyncio.run_coroutine_threadsafe(self._k.calc_fig(c.figure, opts=opts),
                                                     self._loop).result(timeout=RENDER_TIMEOUT)
        return charts

    def __exit__(self, *exc) -> None:
        try:
            self._opened.result(timeout=RENDER_TIMEOUT)  # a browser still booting is closed once up
            asyncio.run_coroutine_threadsafe(self._k.close(), self._loop).result(timeout=60)
        except Exception:  # noqa: BLE001 - a start that failed has nothing to close; the render said why
            pass
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=60)
            self._loop.close()


class ChartServer:
    """One Chromium for a long-lived process (the briefing worker, dashboard/briefing/worker.py):
    started on the first chart, with MathJax off (offline), and kept for every briefing after it,
    so a build does not pay the browser's start-up. Same `render` as Renderer.

    Not kaleido.start_sync_server: that keeps the same Kaleido in a process-wide singleton, but its
    calls and its stop wait without a timeout, and in our browser test its stop hung for good on
    Chromium's exit (its atexit hook would hang the refresher's shutdown the same way). This is
    the same Kaleido(mathjax=False) held open on our own loop (Renderer), where every wait is
    bounded; a render that fails drops the browser and the next build starts a new one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # one build renders at a time: the browser's one tab
        self._renderer: Renderer | None = None

    def render(self, charts: list[Chart]) -> list[Chart]:
        with self._lock:
            if self._renderer is None:
                self._renderer = Renderer().__enter__()
            try:
                return self._renderer.render(charts)
            except Exception:
                self._drop()
                raise

    def _drop(self) -> None:
        renderer, self._renderer = self._renderer, None
        if renderer is not None:
            renderer.__exit__(None, None, None)

    def close(self) -> None:
        with self._lock:
            self._drop()


def attach(b: Briefing, report: dict, renderer: Renderer | ChartServer | None = None) -> Briefing:
    """The briefing's charts as PNG, from `renderer`'s browser or a browser of their own."""
    charts = build_charts(b, report)
    if renderer is not None:
        b.charts = renderer.render(charts)
    else:
        with Renderer() as own:
            b.charts = own.render(charts)
    return b
