"""The dashboard's routes: parse the request, check the role, call a view, render a template.

Pages (HTML, server-rendered with Jinja2; htmx swaps parts of them):

- ``/login`` (a token in, a session cookie out), ``/logout``;
- ``/plant``, ``/lines/{line}``, ``/stations/{station}``: state tiles, state timeline, downtime
  Pareto and counters, kept live over server-sent events (``/live/...``);
- ``/spc`` and ``/spc/chart``: control charts of stored parameters;
- ``/cells`` (search by id) and ``/cells/{unit}``: history, parameters, genealogy graph;
- ``/holds``, ``/holds/{id}``: place (operator), see what a hold caught, release (operator);
- ``/planner``: the plan of the reference line or an uploaded line file for a target;
- ``/twin``: a short simulation run and its report (engineer);
- ``/plan-vs-actual``: a stored line's plan per step against the stored period, with the gap.

Reading needs viewer; holds need operator; uploads and runs need engineer (the API's roles).
Refusals are pages too: 401 sends the browser to the login page, 403 says which role is needed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from gigaline import __version__
from gigaline.api.deps import get_settings, get_store
from gigaline.errors import FieldError, GigalineError, LineFileError, NotFoundError
from gigaline.mes.services import place_hold, release_hold
from gigaline.mes.services.models import Principal
from gigaline.model import Line, load_line, parse_line
from gigaline.model.examples import REFERENCE_LINE as REFERENCE_NAME
from gigaline.model.examples import reference_line_path
from gigaline.web import session, views
from gigaline.web.charts import STATE_COLOURS
from gigaline.web.twin import MAX_DAYS, Runs

__all__ = ["REFERENCE_LINE", "router"]

router = APIRouter(include_in_schema=False)

#: The reference line (shipped in the package: ``gigaline examples``); the planner and the
#: twin offer it.
REFERENCE_LINE: Final = f"{REFERENCE_NAME}.yaml"
#: Seconds between two live updates of a floor page, and the longest a live stream lasts [s]
#: before the browser opens a new one (EventSource reconnects by itself).
LIVE_EVERY_S: Final = 5.0
LIVE_FOR_S: Final = 600.0

_env = Environment(
    loader=PackageLoader("gigaline.web", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _num(value: float | int | None, digits: int = 0) -> str:
    """A number in full with thousands separators (a table never cuts a number)."""
    if value is None:
        return "n/a"
    if value != value:  # NaN: undefined
        return "n/a"
    return f"{value:,.{digits}f}"


def _pct(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None or value != value else f"{100 * value:.{digits}f} %"


def _duration(seconds: float) -> str:
    m = round(seconds / 60)
    return f"{m // 60} h {m % 60:02d} min" if m >= 60 else f"{m} min"


def _band(value: float | None) -> str:
    """The OEE band of a value: below 65 % poor, 65 to 85 % fair, 85 % and above good."""
    if value is None or value != value:
        return "none"
    return "good" if value >= 0.85 else "fair" if value >= 0.65 else "poor"


def _tiles(stations: Any) -> Markup:
    """The station tiles of ``stations`` (:class:`StationFloor`), one after another: what the
    template macro of a tile wrote, the same characters, made in Python (789 calls of a Jinja
    macro made the reference line's page render in 21 ms of CPU, 15 ms so, 6 December). A
    tile is two elements, its lines text under ``white-space: pre-line``."""
    out = []
    for s in stations:
        station, state = escape(s.station), escape(s.state)
        href = escape(quote(str(s.station), safe=""))
        reason = escape(f": {s.reason}") if s.reason else ""
        since = escape(f"since {s.since[11:19]}") if s.since else "no state received"
        out.append(
            f'<a class="tile state-{state}" href="/stations/{href}"'
            f' data-station="{station}" data-state="{state}"><b>{station}\n{state}{reason}</b>\n'
            f"{since}\n{escape(_num(s.records))} records, {escape(_num(s.ng))} NG\n"
            f"quality rate {escape(_pct(s.quality_rate))}</a>"
        )
    return Markup("".join(out))


_env.filters.update(num=_num, pct=_pct, duration=_duration, band=_band, tiles=_tiles,
                    q=lambda s: quote(str(s), safe=""))  # fmt: skip
_env.globals.update(version=__version__, state_colours=STATE_COLOURS)


#: The trace types of plotly.js's cartesian bundle (static/vendor/VENDORED.md), which pages
#: load: a third of the full bundle's bytes to parse on every page. A page with a chart of
#: another type (the SPC chart's WebGL scatter above 1,000 points) loads the full bundle.
CARTESIAN_TRACES: Final = frozenset({
    "bar", "box", "contour", "heatmap", "histogram", "histogram2d", "histogram2dcontour",
    "image", "pie", "scatter", "scatterternary", "violin",
})  # fmt: skip


def plotly_bundle(charts: dict[str, Any] | None) -> str:
    """The plotly.js bundle (a file of static/vendor/) that draws every chart of a page."""
    for fig in (charts or {}).values():
        for trace in (fig or {}).get("data", ()):
            if trace.get("type", "scatter") not in CARTESIAN_TRACES:
                return "plotly.min.js"
    return "plotly-cartesian.min.js"


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """The template ``name`` with the page's user and the request in its context."""
    user = context.pop("user", None)
    context.setdefault("plotly_js", plotly_bundle(context.get("charts")))
    html = _env.get_template(name).render(request=request, user=user, path=request.url.path,
                                          **context)  # fmt: skip
    return HTMLResponse(html, status_code=status, headers=_SECURITY_HEADERS)


#: Every page: scripts and styles only from this server (plotly.js injects its styles), no
#: framing by another site, no referrer leaking ids.
_SECURITY_HEADERS: Final = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' "
    "'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class _RefusedError(GigalineError):
    """The request's user may not see or do this (handled by :func:`refused`)."""

    def __init__(self, status: int, needed: str, user: Principal | None) -> None:
        super().__init__(f"this needs the role {needed} or above")
        self.status, self.needed, self.user = status, needed, user


def _user(request: Request, role: str) -> Principal:
    """The request's user if it has ``role``, else :class:`_RefusedError` (401 or 403)."""
    user = session.current_user(request)
    if user is None:
        raise _RefusedError(401, role, None)
    if not session.may(user, role):
        raise _RefusedError(403, role, user)
    return user


async def _user_async(request: Request, role: str) -> Principal:
    """:func:`_user` from an ``async`` route: the token's lookup (a database read) runs in a
    worker thread, never on the event loop that serves the live streams."""
    user: Principal = await run_in_threadpool(_user, request, role)
    return user


def refused(request: Request, exc: _RefusedError) -> Response:
    """401: to the login page (back here afterwards); 403: a page naming the role needed."""
    if exc.status == 401:
        if request.method == "GET" and request.url.path.startswith("/live/"):
            return Response(status_code=401)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    return render(request, "refused.html", status=403, user=exc.user, needed=exc.needed)


def _same_origin(request: Request) -> None:
    """A form post must come from this server's own pages (besides the SameSite cookie)."""
    origin = request.headers.get("origin")
    if origin is not None and origin != "null":
        host = request.headers.get("host", "")
        if urlsplit(origin).netloc != host:
            raise _RefusedError(403, "a form of this dashboard", session.current_user(request))


def _error(request: Request, user: Principal, exc: GigalineError, status: int = 400) -> Response:
    if isinstance(exc, NotFoundError):
        status = 404
    problems = exc.problems if isinstance(exc, LineFileError) else []
    return render(request, "error.html", status=status, user=user, message=str(exc),
                  problems=problems)  # fmt: skip


def _number(name: str, raw: str | None, kind: type[float], low: float, high: float) -> Any:
    """``raw`` as a ``kind`` (int or float) from ``low`` to ``high``; None when empty."""
    if raw is None or raw.strip() == "":
        return None
    what = "a whole number" if kind is int else "a number"
    allowed = f"{what} from {low:g} to {high:g}"
    try:
        value = kind(raw)
    except ValueError:
        raise FieldError(name, raw, allowed) from None
    if not low <= value <= high:  # NaN and infinity fail here too
        raise FieldError(name, raw, allowed)
    return value


def _int(name: str, raw: str | None, low: int, high: int) -> int | None:
    value: int | None = _number(name, raw, int, low, high)
    return value


def _float(name: str, raw: str | None, low: float, high: float) -> float | None:
    value: float | None = _number(name, raw, float, low, high)
    return value


def _time(name: str, raw: str | None) -> datetime | None:
    """A time of a form field (ISO 8601; UTC unless it says otherwise); None when empty."""
    if raw is None or raw.strip() == "":
        return None
    try:
        when = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise FieldError(name, raw, "a time such as 2026-01-05T08:00:00Z") from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def _hours(raw: str | None) -> float:
    """The window of a floor page [h]: 8 unless given, at most a month."""
    return _float("hours", raw, 0.01, 744.0) or 8.0


# -- login ------------------------------------------------------------------------------------


def _next(raw: str | None) -> str:
    """Where to go after the login: a path of this server only (never another site)."""
    if raw and raw.startswith("/") and not raw.startswith("//") and "\\" not in raw:
        return raw
    return "/plant"


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/plant", status_code=303)


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", next=_next(next), failed=False,
                  demo=get_settings(request).api_demo)  # fmt: skip


@router.post("/login")
async def login(request: Request) -> Response:
    _same_origin(request)
    form = await request.form()
    token = str(form.get("token", ""))
    target = _next(str(form.get("next", "")))
    done = await run_in_threadpool(session.login, request, token)
    if done is None:
        return render(request, "login.html", status=401, next=target, failed=True, demo=False)
    _, key = done
    response = RedirectResponse(target, status_code=303)
    session.sessions(request).set_cookie(request, response, key)
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    _same_origin(request)
    key = request.cookies.get(session.COOKIE)
    if key:
        session.sessions(request).close(key)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(session.COOKIE, path="/")
    return response


# -- plant, line, station ---------------------------------------------------------------------


def _floor_page(request: Request, template: str, live: str, **where: str) -> Response:
    user = _user(request, "viewer")
    try:
        hours = _hours(request.query_params.get("hours"))
        every = _float("every", request.query_params.get("every"), 1.0, 60.0) or LIVE_EVERY_S
        ctx = _floor_views(request).get(get_store(request), hours=hours, **where)
    except GigalineError as exc:
        return _error(request, user, exc)
    ctx.update(where, live_url=f"{live}?hours={hours:g}&every={every:g}")
    return render(request, template, user=user, **ctx)


@router.get("/plant")
def plant(request: Request) -> Response:
    return _floor_page(request, "plant.html", "/live/plant")


@router.get("/lines/{line}")
def line_page(request: Request, line: str) -> Response:
    return _floor_page(request, "line.html", f"/live/lines/{quote(line, safe='')}", line=line)


@router.get("/stations/{station}")
def station_page(request: Request, station: str) -> Response:
    live = f"/live/stations/{quote(station, safe='')}"
    return _floor_page(request, "station.html", live, station=station)


def _sse(event: str, data: str, event_id: str | None = None) -> str:
    head = f"event: {event}\n" + (f"id: {event_id}\n" if event_id is not None else "")
    return head + "".join(f"data: {part}\n" for part in data.split("\n")) + "\n"


def _known(store: Any, line: str | None = None, station: str | None = None) -> None:
    """NotFoundError for a line or station the store does not have (what the floor view would
    say, without computing it)."""
    steps = store.oee_layout().steps
    if line is not None and not any(s.line == line for s in steps):
        raise NotFoundError("line", line, "line")
    if station is not None and not any(station in s.stations for s in steps):
        raise NotFoundError("station", station, "station")


def _floor_views(request: Request) -> views.FloorViews:
    """The app's floor views: shared by its pages and live streams."""
    got: views.FloorViews = request.app.state.web_views
    return got


def _message(
    floor_views: views.FloorViews, store: Any, hours: float, where: dict[str, str]
) -> str:  # fmt: skip
    """The server-sent events of one live view: its tiles (HTML) and its charts (JSON)."""
    ctx = floor_views.get(store, hours=hours, **where)
    tiles = _env.get_template("_tiles.html").render(**where, **ctx)
    charts = json.dumps(ctx["charts"], separators=(",", ":"))
    # the id of the view's computation: a page already showing it does not draw it again
    view_id = ctx.get("view_id")
    return _sse("tiles", tiles, view_id) + _sse("charts", charts, view_id)


class _Feed:
    """One live view (the same page scope, window and period) computed once per period for
    every stream that shows it, so that many clients on one page cost one computation a
    period, not one each (the 200 live clients of docs/web.md "Performance").

    A period starts when its computation starts (a computation longer than the period is
    followed by the next at once). A message equal to the last one (nothing new was stored) is
    not sent again. Streams pull the newest version when they are ready for it: a slow client
    skips the versions it was too slow for and holds back nobody. Runs while it has streams;
    the last one leaving, or a failed computation, ends it (its streams then join a new one).
    """

    def __init__(
        self, store: Any, hours: float, every: float, where: dict[str, str],
        floor_views: views.FloorViews,
    ) -> None:  # fmt: skip
        self.store, self.hours, self.every, self.where = store, hours, every, where
        self.floor_views = floor_views
        self.version = 0
        self.message = ""
        self.streams = 0
        self.computations = 0
        self._published = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    def publish(self, message: str) -> None:
        """Hand ``message`` to every stream waiting for a new version (unless it is the same)."""
        if message == self.message:
            return
        self.message = message
        self.version += 1
        published, self._published = self._published, asyncio.Event()
        published.set()

    async def run(self, feeds: Feeds, key: tuple[Any, ...]) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self.streams > 0:
                started = loop.time()
                message = await run_in_threadpool(
                    _message, self.floor_views, self.store, self.hours, self.where
                )
                self.computations += 1
                self.publish(message)
                await asyncio.sleep(max(0.0, started + self.every - loop.time()))
        except Exception:  # the database went away, say: streams join a new feed
            _log.exception("live view %s failed", key)
        finally:
            if feeds.get(key) is self:
                del feeds[key]

    async def next(self, seen: int) -> tuple[int, str]:
        """The newest version after ``seen`` (waiting for one) and its message."""
        while self.version <= seen:
            await self._published.wait()
        return self.version, self.message


_log = logging.getLogger("gigaline.web")
Feeds = dict[tuple[Any, ...], _Feed]
"""The live views of one app (``app.state.web_feeds``, made by :func:`gigaline.web.mount`)."""


def _join(
    feeds: Feeds, store: Any, hours: float, every: float, where: dict[str, str],
    floor_views: views.FloorViews,
) -> _Feed:  # fmt: skip
    """The running feed of a view (started if there is none) with one more stream.

    A feed belongs to the event loop its computation runs on: one made on another loop (the
    same app served again, as tests do, after its first server stopped with the feed's task
    pending) is not joined, since its events and task would never wake this loop's streams.
    """
    key = (hours, every, tuple(sorted(where.items())))
    loop = asyncio.get_running_loop()
    feed = feeds.get(key)
    if feed is None or feed.task is None or feed.task.done() or feed.task.get_loop() is not loop:
        feed = feeds[key] = _Feed(store, hours, every, where, floor_views)
        feed.task = asyncio.create_task(feed.run(feeds, key))
    feed.streams += 1
    return feed


async def _live(request: Request, hours_raw: str | None, every_raw: str | None,
                **where: str) -> Response:  # fmt: skip
    """A live stream: the user checked in full once, here; then, before every message and
    at least every :data:`session.TOKEN_CHECK_S` while nothing new comes, its session and token
    (:func:`session.still_allowed`: no query of its own, except once for a token newer than
    the server's last read of the active tokens)."""
    checked_at = time.monotonic()
    user = await _user_async(request, "viewer")
    hours = _hours(hours_raw)
    every = _float("every", every_raw, 1.0, 60.0) or LIVE_EVERY_S
    store = get_store(request)
    await run_in_threadpool(_known, store, **where)  # an unknown line or station: 404 now
    idle_s = min(session.TOKEN_CHECK_S, every + 4.0)

    async def stream() -> AsyncIterator[str]:
        yield f"retry: {int(every * 1000)}\n\n"
        loop = asyncio.get_running_loop()
        end = loop.time() + LIVE_FOR_S
        feeds: Feeds = request.app.state.web_feeds
        floor_views = _floor_views(request)
        feed = _join(feeds, store, hours, every, where, floor_views)
        seen = 0
        try:
            while loop.time() < end and not await request.is_disconnected():
                try:
                    seen, message = await asyncio.wait_for(feed.next(seen), idle_s)
                except TimeoutError:  # nothing new stored, a slow database, or the view failed
                    message = ": idle\n\n"  # a comment: keeps proxies from closing the stream
                    if feed.task is not None and feed.task.done():
                        feed.streams -= 1
                        feed, seen = _join(feeds, store, hours, every, where, floor_views), 0
                if not await session.still_allowed(request, user, checked_at):  # out or revoked
                    yield _sse("logout", "")
                    return
                yield message
        finally:
            feed.streams -= 1

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.get("/live/plant")
async def live_plant(request: Request, hours: str | None = None,
                     every: str | None = None) -> Response:  # fmt: skip
    return await _live(request, hours, every)


@router.get("/live/lines/{line}")
async def live_line(request: Request, line: str, hours: str | None = None,
                    every: str | None = None) -> Response:  # fmt: skip
    return await _live(request, hours, every, line=line)


@router.get("/live/stations/{station}")
async def live_station(request: Request, station: str, hours: str | None = None,
                       every: str | None = None) -> Response:  # fmt: skip
    return await _live(request, hours, every, station=station)


# -- SPC --------------------------------------------------------------------------------------


@router.get("/spc")
def spc_index(request: Request) -> Response:
    user = _user(request, "viewer")
    return render(request, "spc_index.html", user=user, specs=views.spc_index(get_store(request)))


@router.get("/spc/chart")
def spc_chart(request: Request, step: str = "", param: str = "", chart: str = "imr",
              rules: str = "nelson", baseline: str | None = None, subgroup: str | None = None,
              since: str | None = None) -> Response:  # fmt: skip
    user = _user(request, "viewer")
    form = {
        "step": step, "param": param, "chart": chart, "rules": rules, "baseline": baseline or "",
        "subgroup": subgroup or "5", "since": since or "",
    }  # fmt: skip
    try:
        when = _time("since", since)
        ctx = views.spc_view(
            get_store(request), step, param, chart=chart, rules=rules,
            baseline=_int("baseline", baseline, 2, 1_000_000),
            subgroup_size=_int("subgroup", subgroup, 2, 25) or 5, since=when,
        )  # fmt: skip
    except GigalineError as exc:
        return _error(request, user, exc)
    return render(request, "spc.html", user=user, form=form, **ctx)


# -- cells ------------------------------------------------------------------------------------


@router.get("/cells")
def cells(request: Request, id: str = "") -> Response:
    user = _user(request, "viewer")
    unit = id.strip()
    if unit:
        kind = get_store(request).kind_of(unit)
        if kind == "unit":
            return RedirectResponse(f"/cells/{quote(unit, safe='')}", status_code=303)
        if kind == "lot":
            return RedirectResponse(f"/holds?target={quote(unit, safe='')}", status_code=303)
    return render(request, "cells.html", user=user, query=unit, missing=bool(unit),
                  status=404 if unit else 200)  # fmt: skip


@router.get("/cells/{unit}")
def cell(request: Request, unit: str) -> Response:
    user = _user(request, "viewer")
    try:
        ctx = views.cell_view(get_store(request), unit)
    except GigalineError as exc:
        return _error(request, user, exc)
    return render(request, "cell.html", user=user, **ctx)


# -- holds ------------------------------------------------------------------------------------


@router.get("/holds")
def holds(request: Request, target: str = "") -> Response:
    user = _user(request, "viewer")
    store = get_store(request)
    where = None
    if target:
        from gigaline.mes.services import where_used

        try:
            where = where_used(store, target)
        except GigalineError as exc:
            return _error(request, user, exc)
    return render(request, "holds.html", user=user, target=target, where=where,
                  may_hold=session.may(user, "operator"), **views.holds_view(store))  # fmt: skip


@router.post("/holds")
async def hold_place(request: Request) -> Response:
    _same_origin(request)
    user = await _user_async(request, "operator")
    form = await request.form()
    target, reason = str(form.get("target", "")).strip(), str(form.get("reason", ""))
    try:
        placed = await run_in_threadpool(place_hold, get_store(request), target, reason,
                                         user.name)  # fmt: skip
    except GigalineError as exc:
        return _error(request, user, exc)
    return RedirectResponse(f"/holds/{placed.id}", status_code=303)


@router.get("/holds/{hold_id}")
def hold(request: Request, hold_id: str) -> Response:
    user = _user(request, "viewer")
    try:
        number = _int("hold_id", hold_id, 1, 2**31 - 1)
        ctx = views.hold_view(get_store(request), number or 0)
    except GigalineError as exc:
        return _error(request, user, exc)
    return render(request, "hold.html", user=user, may_hold=session.may(user, "operator"),
                  **ctx)  # fmt: skip


@router.post("/holds/{hold_id}/release")
async def hold_release(request: Request, hold_id: str) -> Response:
    _same_origin(request)
    user = await _user_async(request, "operator")
    form = await request.form()
    try:
        number = _int("hold_id", hold_id, 1, 2**31 - 1) or 0
        await run_in_threadpool(release_hold, get_store(request), number,
                                str(form.get("reason", "")), user.name)  # fmt: skip
    except GigalineError as exc:
        return _error(request, user, exc)
    return RedirectResponse(f"/holds/{number}", status_code=303)


# -- planner and twin -------------------------------------------------------------------------


def _reference() -> tuple[Line, str]:
    path = reference_line_path()
    return load_line(path), f"the reference line ({path.name})"


async def _uploaded(request: Request) -> tuple[Line | None, str, Any]:
    """The line file of a form (None: none uploaded) and the form."""
    form = await request.form()
    upload = form.get("line_file")
    if upload is None or isinstance(upload, str) or not upload.filename:
        return None, "", form
    limit = get_settings(request).api_max_line_file_bytes
    raw = await upload.read(limit + 1)
    if len(raw) > limit:
        raise FieldError("line_file", upload.filename, f"at most {limit:,} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise FieldError("line_file", upload.filename, "UTF-8 text (a YAML line file)") from None
    name = Path(upload.filename).name
    return await run_in_threadpool(parse_line, text, name), f"the uploaded file {name}", form


def _plan(request: Request, user: Principal, line: Line, source: str,
          target_raw: str | None) -> Response:  # fmt: skip
    target = _float("target_gwh", target_raw, 0.001, 1000.0)
    ctx = views.planner_view(line, target, source)
    return render(request, "planner.html", user=user, may_upload=session.may(user, "engineer"),
                  **ctx)  # fmt: skip


@router.get("/planner")
def planner(request: Request, target_gwh: str | None = None) -> Response:
    user = _user(request, "viewer")
    try:
        line, source = _reference()
        return _plan(request, user, line, source, target_gwh)
    except GigalineError as exc:
        return _error(request, user, exc)


async def _with_uploaded_line(request: Request, page: Callable[..., Response],
                              no_file: Callable[[], tuple[Line, str]],
                              names: tuple[str, ...]) -> Response:  # fmt: skip
    """A form posting a line file (engineer): ``page(request, user, line, source, fields)``
    (``fields``: the form's values of ``names``) on the uploaded line, or on what ``no_file``
    gives (or raises) where none was sent."""
    _same_origin(request)
    user = await _user_async(request, "engineer")
    try:
        line, source, form = await _uploaded(request)
        if line is None:
            line, source = no_file()
        fields = {k: str(form.get(k, "")) for k in names}
        return await run_in_threadpool(page, request, user, line, source, fields)
    except GigalineError as exc:
        return _error(request, user, exc)


def _plan_form(request: Request, user: Principal, line: Line, source: str,
               fields: dict[str, str]) -> Response:  # fmt: skip
    return _plan(request, user, line, source, fields["target_gwh"])


@router.post("/planner")
async def planner_upload(request: Request) -> Response:
    return await _with_uploaded_line(request, _plan_form, _reference, ("target_gwh",))


# -- plan versus actual -----------------------------------------------------------------------


def _plan_actual(request: Request, user: Principal, line: Line | None, source: str,
                 fields: dict[str, str]) -> Response:  # fmt: skip
    """The page for ``line`` (None: the server's line file named by ``line`` in the query,
    or its only one) over the period of ``fields`` (since, until: the stored period where
    empty) for the target of ``fields`` (target_gwh: the file's where empty)."""
    from gigaline.api.routes.plan import line_files

    known = line_files(request)
    name = request.query_params.get("line")
    if line is None:
        if name is None and len(known) == 1:
            name = next(iter(known))
        line = known.get(name or "")
        source = f"the server's line file of {name!r}"
    ctx: dict[str, Any] = {"lines": sorted(known), "chosen": name, "source": source,
                           "may_upload": session.may(user, "engineer"),
                           "target_raw": fields.get("target_gwh"),
                           "since_raw": fields.get("since"),
                           "until_raw": fields.get("until")}  # fmt: skip
    if line is not None:
        target = _float("target_gwh", fields.get("target_gwh"), 0.001, 1000.0)
        since, until = _time("since", fields.get("since")), _time("until", fields.get("until"))
        ctx.update(views.plan_actual_view(get_store(request), line, target, since, until))
    return render(request, "plan_actual.html", user=user, **ctx)


_PERIOD_FIELDS: Final = ("target_gwh", "since", "until")


@router.get("/plan-vs-actual")
def plan_actual(request: Request) -> Response:
    user = _user(request, "viewer")
    fields = {k: request.query_params.get(k, "") for k in _PERIOD_FIELDS}
    try:
        return _plan_actual(request, user, None, "", fields)
    except GigalineError as exc:
        return _error(request, user, exc)


def _no_line_file() -> tuple[Line, str]:
    raise FieldError("line_file", "", "a line file (YAML) of a stored line")


@router.post("/plan-vs-actual")
async def plan_actual_upload(request: Request) -> Response:
    return await _with_uploaded_line(request, _plan_actual, _no_line_file, _PERIOD_FIELDS)


def runs(request: Request) -> Runs:
    book: Runs = request.app.state.web_runs
    return book


@router.get("/twin")
def twin(request: Request) -> Response:
    user = _user(request, "viewer")
    return render(request, "twin.html", user=user, runs=runs(request).all(),
                  may_run=session.may(user, "engineer"), max_days=MAX_DAYS,
                  reference=True)  # fmt: skip


@router.post("/twin")
async def twin_run(request: Request) -> Response:
    _same_origin(request)
    user = await _user_async(request, "engineer")
    try:
        line, source, form = await _uploaded(request)
        if line is None:
            line, source = _reference()
        days = _float("days", str(form.get("days", "")), 0.01, MAX_DAYS) or 1.0
        warmup = _float("warmup_days", str(form.get("warmup_days", "")), 0.0, MAX_DAYS) or 0.0
        if days + warmup > MAX_DAYS:
            raise FieldError("days", days + warmup, f"days and warm-up together at most "
                             f"{MAX_DAYS:g} here (longer runs: gigaline simulate)")  # fmt: skip
        seed = _int("seed", str(form.get("seed", "")), 0, 2**31 - 1) or 0
        run = runs(request).submit(line, source, days, warmup, seed, user.name)
    except GigalineError as exc:
        return _error(request, user, exc, status=429 if "waiting" in str(exc) else 400)
    return RedirectResponse(f"/twin/runs/{run.id}", status_code=303)


def _run_or_404(request: Request, user: Principal, run_id: str) -> Any:
    try:
        number = _int("run_id", run_id, 1, 2**31 - 1) or 0
    except FieldError as exc:
        return _error(request, user, exc)
    run = runs(request).get(number)
    if run is None:
        return _error(request, user, NotFoundError("run_id", run_id, "simulation run"))
    return run


@router.get("/twin/runs/{run_id}")
def twin_result(request: Request, run_id: str, part: str = "") -> Response:
    user = _user(request, "viewer")
    run = _run_or_404(request, user, run_id)
    if isinstance(run, Response):
        return run
    name = "_run.html" if part == "status" else "run.html"
    return render(request, name, user=user, run=run, summary=run.summary)


@router.get("/twin/runs/{run_id}/report")
def twin_report(request: Request, run_id: str) -> Response:
    user = _user(request, "viewer")
    run = _run_or_404(request, user, run_id)
    if isinstance(run, Response):
        return run
    if run.report is None:
        return _error(request, user, FieldError("run_id", run_id, "has no report (yet)"))
    # the report carries its own plotly.js inline (it is the file `gigaline simulate --report`
    # writes): allow its inline scripts on this one page
    headers = dict(_SECURITY_HEADERS)
    headers["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self' 'unsafe-inline' "
        "'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:"
    )
    return HTMLResponse(run.report, headers=headers)


def exception_handlers() -> dict[type[Exception], Callable[..., Any]]:
    """The handlers :func:`gigaline.web.mount` installs."""
    return {_RefusedError: refused}
