"""Routes: the reach (JSON, streamed NDJSON with progress, CSV, PNG), as ``mudump reach``."""

from __future__ import annotations

import json
import logging
import queue
import threading
import time

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from ..errors import MudumpError
from ..reachio import reach_csv
from .compute import Cancelled, ReachPlan, reach_payload, reach_png
from .inputs import RequestError, attachment, field_of_message
from .schemas import LIMITS, ReachRequest

log = logging.getLogger("mudump.web")
router = APIRouter(prefix="/api")


def json_response(payload: dict) -> Response:
    """A JSON answer (payload already plain and finite: mudump.jsonio.plain)."""
    return Response(json.dumps(payload, allow_nan=False, separators=(",", ":")), media_type="application/json")


def _run(request: Request, req: ReachRequest, progress=None):
    plan = ReachPlan(req)
    t, c = time.perf_counter(), time.thread_time()
    results = plan.run(request.app.state.reach_cache, progress)
    return plan, results, time.perf_counter() - t, time.thread_time() - c


def _file_stem(plan: ReachPlan) -> str:
    return "+".join(e.name for e in plan.experiments)


@router.post("/reach")
def reach(req: ReachRequest, request: Request):
    """Excluded g_mu intervals per mass for each experiment and model (``mudump reach
    --json``), with the contours, the (g-2) band of the model drawn and the overlays."""
    plan, results, dt, cpu = _run(request, req)
    return json_response(reach_payload(plan, results, dt, cpu))


@router.post("/reach/stream")
def reach_stream(req: ReachRequest, request: Request):
    """As /api/reach, streamed as NDJSON: {"progress": [done, total]} lines while production
    tables are computed, then one {"result": ...} (or {"error": ...}) line."""
    plan = ReachPlan(req)  # validation errors answer 4xx before the stream starts
    cache, slots = request.app.state.reach_cache, request.app.state.stream_slots
    if not slots.acquire(blocking=False):
        raise RequestError(f"busy: {LIMITS['stream_jobs']} reach computations are already waiting; retry shortly",
                           status=503)
    q: queue.Queue = queue.Queue()
    last = [0.0]
    left = threading.Event()  # the client has gone (the page asked something else): stop

    def progress(done, total):
        if left.is_set():
            raise Cancelled("the client has left")
        now = time.perf_counter()
        if now - last[0] > 0.05 or done == total:
            last[0] = now
            q.put({"progress": [done, total]})

    def work():
        try:
            t, c = time.perf_counter(), time.thread_time()
            results = plan.run(cache, progress)
            q.put({"result": reach_payload(plan, results, time.perf_counter() - t, time.thread_time() - c)})
        except Cancelled:
            q.put({"cancelled": True})
        except MudumpError as exc:
            q.put({"error": str(exc), "fields": getattr(exc, "fields", None) or field_of_message(str(exc))})
        except Exception as exc:  # noqa: BLE001 - reported to the client, logged here
            log.exception("reach stream failed")
            q.put({"error": f"internal error ({type(exc).__name__})", "fields": []})
        finally:
            slots.release()

    threading.Thread(target=work, name="mudump-reach", daemon=True).start()

    async def lines():
        finished = False
        try:
            while True:
                # a worker thread waits for the next line; when the client leaves, the server
                # cancels this generator: the wait is abandoned and the computation told to stop
                item = await anyio.to_thread.run_sync(q.get, abandon_on_cancel=True)
                if "cancelled" in item:
                    return
                yield json.dumps(item, allow_nan=False) + "\n"
                if "progress" not in item:
                    finished = True
                    return
        finally:
            if not finished:
                left.set()

    return StreamingResponse(lines(), media_type="application/x-ndjson",
                             headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


@router.post("/reach.csv")
def reach_csv_endpoint(req: ReachRequest, request: Request):
    """The excluded intervals as the CSV that ``mudump reach --output x.csv`` writes (one
    block of rows per experiment and model)."""
    plan, results, _, _ = _run(request, req)
    main, _, _ = plan.grouped(results)  # one list over the models' ReachSets
    return Response(reach_csv(main, plan.constraints), media_type="text/csv",
                    headers=attachment(f"{_file_stem(plan)}-reach.csv"))


@router.post("/reach.png")
def reach_png_endpoint(req: ReachRequest, request: Request):
    """The reach plot that ``mudump reach --plot x.png`` writes."""
    plan, results, _, _ = _run(request, req)
    return Response(reach_png(plan, results), media_type="image/png", headers=attachment(f"{_file_stem(plan)}-reach.png"))
