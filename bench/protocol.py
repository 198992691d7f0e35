"""A browser session as Streamlit's own websocket protocol sees it, without a browser: the capacity bench's load client.

The browser opens `ws://host/_stcore/stream` (subprotocol "streamlit"), sends a BackMsg `rerun_script` naming the
page (its url path) and the query string, and the server answers with ForwardMsgs: the page's elements (deltas),
then `script_finished`. A tap is one more `rerun_script` carrying the widgets' values (a text box's new text, a
button's trigger); its time is from the send to the `script_finished` of the run it started. Cookies go in the
handshake's headers, as a browser sends them (the app reads them through `st.context.cookies`). The server's
`auto_rerun` (a fragment's `run_every`, such as the KPI cards' refresh each minute) is answered as the browser
answers it, a fragment rerun at that interval, so open sessions cost what they cost in real use.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Delta_pb2 import Delta
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import ClientConnection, connect

# A run that ends early for a rerun (st.rerun, st.switch_page) is followed by another: only the last one counts.
_EARLY = ForwardMsg.ScriptFinishedStatus.FINISHED_EARLY_FOR_RERUN
_COMPILE_ERROR = ForwardMsg.ScriptFinishedStatus.FINISHED_WITH_COMPILE_ERROR
_FRAGMENT = ForwardMsg.ScriptFinishedStatus.FINISHED_FRAGMENT_RUN_SUCCESSFULLY
# Longer than any run the bench waits for: a run still going then counts as failed (ProtocolError).
RUN_TIMEOUT_S = 60.0


def _throwaway_tls() -> ssl.SSLContext:
    """TLS that accepts any certificate: the bench talks only to a proxy it started itself with a throwaway one."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class ProtocolError(RuntimeError):
    """The server closed the session, named no such page or widget, or a run did not finish in time."""


@dataclass(frozen=True)
class Widget:
    """A widget the last runs drew: its id (Streamlit's, ending with the widget's key) and element type."""

    id: str
    kind: str


def text_value(widget: Widget, value: str) -> WidgetState:
    """A text box's new content, as the browser sends it when Enter is pressed or the form is submitted."""
    return WidgetState(id=widget.id, string_value=value)


def trigger(widget: Widget) -> WidgetState:
    """A button's (or a form's submit button's) tap."""
    return WidgetState(id=widget.id, trigger_value=True)


class StreamlitSession:
    """One open browser session on one page; `open` connects and runs the page once, `tap` reruns it."""

    def __init__(self, socket: ClientConnection, *, page: str, query: str, auto_reruns: bool) -> None:
        self._socket = socket
        self._page = page
        self._query = query
        self._auto_reruns = auto_reruns
        # One run asked for at a time (the browser also queues its messages); its final status arrives here.
        self._turn = asyncio.Lock()
        self._finished: asyncio.Queue[int] = asyncio.Queue()
        self._widgets: dict[str, Widget] = {}
        self._texts: list[str] = []
        self._fragments: dict[str, asyncio.Task[None]] = {}
        self._closed = False
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def open(
        cls,
        base_url: str,
        *,
        page: str,
        query: str = "",
        cookies: dict[str, str] | None = None,
        address: str | None = None,
        auto_reruns: bool = True,
    ) -> tuple[StreamlitSession, float]:
        """A new session with its page's first run done, and that run's milliseconds (from the handshake's start).
        `address` is sent as X-Forwarded-For: what a proxy in front of the app adds (the app believes it only with
        TRUST_FORWARDED_FOR=1), so that each simulated browser is a client of its own for the rate limits."""
        headers = {"Origin": base_url}
        if cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
        if address:
            headers["X-Forwarded-For"] = address
        started = time.perf_counter()
        socket = await connect(
            base_url.replace("http", "ws", 1) + "/_stcore/stream",
            ssl=_throwaway_tls() if base_url.startswith("https:") else None,
            subprotocols=["streamlit"],  # type: ignore[list-item]  # websockets types it as a NewType of str
            additional_headers=headers,
            max_size=None,
            open_timeout=RUN_TIMEOUT_S,
            close_timeout=2,
            ping_interval=None,
        )
        session = cls(socket, page=page, query=query, auto_reruns=auto_reruns)
        try:
            await session._run(BackMsg(), full=True)
        except BaseException:
            await session.close()
            raise
        return session, (time.perf_counter() - started) * 1000

    def widget(self, key: str) -> Widget:
        """The widget with this key in the last full run (Streamlit's id ends with `-<key>`)."""
        found = self._widgets.get(key)
        if found is None:
            raise ProtocolError(f"no widget with the key {key!r} on {self._page}")
        return found

    @property
    def texts(self) -> list[str]:
        """What the last full run wrote: headings, Markdown, text, alerts, metrics' labels and values (the
        protocol's strings, Markdown escapes included)."""
        return list(self._texts)

    async def tap(self, widgets: Sequence[WidgetState] = ()) -> float:
        """A rerun carrying these widgets' values (none: a plain rerun); milliseconds from the send to its
        script_finished (a fragment's refresh the server is still running first counts, as it does in a browser)."""
        started = time.perf_counter()
        message = BackMsg()
        message.rerun_script.widget_states.widgets.extend(widgets)
        await self._run(message, full=True)
        return (time.perf_counter() - started) * 1000

    async def close(self) -> None:
        self._closed = True
        for task in self._fragments.values():
            task.cancel()
        await self._socket.close()
        for task in (*self._fragments.values(), self._reader):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _run(self, message: BackMsg, *, full: bool) -> None:
        """Send a rerun; a full one is waited for until its script_finished. A fragment's rerun is sent and left, as
        the browser leaves it: the server drops one whose fragment the last full run did not draw, without a word
        (AppSession.request_rerun), so waiting for it could wait forever."""
        message.rerun_script.page_name = self._page
        message.rerun_script.query_string = self._query
        async with self._turn:
            if self._reader.done():
                raise ProtocolError(f"the server closed the session on {self._page}")
            if not full:
                await self._socket.send(message.SerializeToString())
                return
            self._texts = []
            await self._socket.send(message.SerializeToString())
            try:
                status = await asyncio.wait_for(self._finished.get(), RUN_TIMEOUT_S)
            except TimeoutError as error:
                raise ProtocolError(f"a run of {self._page} did not finish within {RUN_TIMEOUT_S:.0f} s") from error
        if status < 0:
            raise ProtocolError(f"the server closed the session on {self._page}")
        if status == _COMPILE_ERROR:
            raise ProtocolError(f"{self._page} did not compile")

    async def _read(self) -> None:
        try:
            async for raw in self._socket:
                message = ForwardMsg()
                message.ParseFromString(raw if isinstance(raw, bytes) else raw.encode())
                kind = message.WhichOneof("type")
                if kind == "delta":
                    self._on_delta(message.delta)
                elif kind == "page_not_found":
                    self._finished.put_nowait(_COMPILE_ERROR)
                elif kind == "auto_rerun" and self._auto_reruns:
                    self._on_auto_rerun(message.auto_rerun.fragment_id, message.auto_rerun.interval)
                elif kind == "stop_auto_rerun":
                    self._stop_auto_reruns(set(message.stop_auto_rerun.fragment_ids))
                elif kind == "script_finished" and message.script_finished not in (_EARLY, _FRAGMENT):
                    # Only full runs finish here: only full runs are waited for, and this client asks for one at a
                    # time, so the status is the one of the run asked for.
                    self._finished.put_nowait(message.script_finished)
        finally:
            # Whoever waits for a run learns that none will come.
            self._finished.put_nowait(-1)

    def _on_delta(self, delta: Delta) -> None:
        if delta.WhichOneof("type") != "new_element":
            return
        element = delta.new_element
        kind = element.WhichOneof("type")
        if kind is None:
            return
        body = getattr(element, kind)
        widget_id = getattr(body, "id", "")
        if isinstance(widget_id, str) and widget_id.startswith("$$ID-"):
            key = widget_id.split("-", 2)[2] if widget_id.count("-") >= 2 else widget_id
            self._widgets[key] = Widget(id=widget_id, kind=kind)
        for field in ("body", "label", "value"):
            text = getattr(body, field, None)
            if isinstance(text, str) and text:
                self._texts.append(text)

    def _on_auto_rerun(self, fragment_id: str, interval: float) -> None:
        if fragment_id in self._fragments or interval <= 0:
            return
        self._fragments[fragment_id] = asyncio.create_task(self._refresh(fragment_id, interval))

    def _stop_auto_reruns(self, fragment_ids: set[str]) -> None:
        """The server's word that these fragments are gone (none named: every one)."""
        for fragment_id in list(self._fragments):
            if not fragment_ids or fragment_id in fragment_ids:
                self._fragments.pop(fragment_id).cancel()

    async def _refresh(self, fragment_id: str, interval: float) -> None:
        # The first refresh at a random point of the interval: browsers opened at different moments refresh at
        # different moments, where sessions the bench opens together would otherwise all refresh at once.
        await asyncio.sleep(random.uniform(0, interval))
        while not self._closed:
            message = BackMsg()
            message.rerun_script.fragment_id = fragment_id
            message.rerun_script.is_auto_rerun = True
            try:
                await self._run(message, full=False)
            except ProtocolError:
                return
            await asyncio.sleep(interval)
