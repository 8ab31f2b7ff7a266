"""A webhook receiver: a plain ASGI app (no framework) that verifies ShipStation V1 webhooks,
resolves their pointers and feeds the records to the sync.

Serve ``make_app(...)`` with any ASGI server (uvicorn, hypercorn, daphne) or mount it in your
framework. Subscribe ``https://your-host/shipstation/webhook?token=<long random token>`` for
``SHIP_NOTIFY``: V1 webhooks are not signed, so the token in the URL is the verification
(checked in constant time before the body is read). The pointer's URL is then checked against
ShipStation's hosts and the path its event implies before any request carries credentials,
and the sync records the pointer so a redelivery is a no-op. Webhooks and scheduled polls can
run side by side: posting keys make the same shipment count once.

Run ``python examples/webhook_receiver.py`` to deliver a few webhooks to the app in process
(the simulators stand in for ShipStation and Oracle).
"""

from __future__ import annotations

import asyncio
import hmac
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

from simulation import simulate

from ml_connector import ConnectorError, ResponseDecodeError, UnsafeUrlError
from ml_connector.audit import MemoryAuditSink
from ml_connector.oracle import AsyncOracleFusionClient
from ml_connector.shipstation import AsyncShipStationV1Client, parse_webhook
from ml_connector.sync import AsyncShipmentSync

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_BODY = 64 * 1024  # a pointer is a few hundred bytes; refuse anything much larger


async def _respond(send: Send, status: int, payload: dict[str, Any]) -> None:
    body = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def make_app(sync: AsyncShipmentSync, *, token: str, path: str = "/shipstation/webhook") -> App:
    """The ASGI app: ``POST {path}?token=...`` with a ShipStation V1 webhook body."""
    expected = token.encode()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        if scope["path"] != path:
            await _respond(send, 404, {"error": "not found"})
            return
        if scope["method"] != "POST":
            await _respond(send, 405, {"error": "POST only"})
            return
        given = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token", [""])[0]
        if not hmac.compare_digest(given.encode(), expected):
            await _respond(send, 401, {"error": "unauthorized"})
            return
        body = await _read_body(receive)
        if body is None:
            await _respond(send, 413, {"error": "body too large"})
            return
        try:
            pointer = parse_webhook(body)
            summary = await sync.run_webhook(pointer)
        except (ResponseDecodeError, UnsafeUrlError) as exc:
            # Malformed or pointing somewhere we refuse to send credentials: not retryable.
            await _respond(send, 400, {"error": exc.message})
            return
        except ConnectorError as exc:
            # ShipStation or Oracle unavailable: a 5xx asks ShipStation to deliver it again.
            await _respond(send, 503, {"error": exc.message})
            return
        await _respond(
            send,
            200,
            {
                "fetched": summary.fetched,
                "posted": summary.posted,
                "already_posted": summary.already_posted,
                "skipped": summary.skipped,
                "failed": summary.failed,
            },
        )

    return app


async def deliver(
    app: App, body: bytes, *, query: str, path: str = "/shipstation/webhook", method: str = "POST"
) -> tuple[int, dict[str, Any]]:
    """Call the ASGI app as a server would; returns the status and the JSON answer."""
    scope: Scope = {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": query.encode(),
        "headers": [(b"content-type", b"application/json")],
    }
    sent: list[Message] = []
    requests = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> Message:
        return requests.pop(0) if requests else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    status = int(sent[0]["status"])
    return status, json.loads(b"".join(m.get("body", b"") for m in sent[1:]))


async def demo() -> int:
    sim = simulate(orders=40)
    token = "s3cr3t-" + "x" * 32  # in production: secrets.token_urlsafe(32), kept in your vault
    async with (
        AsyncShipStationV1Client(
            sim.v1_settings, transport=sim.shipstation.async_transport(), clock=sim.clock
        ) as shipstation,
        AsyncOracleFusionClient(
            sim.oracle_settings, transport=sim.oracle.async_transport(), clock=sim.clock
        ) as oracle,
    ):
        sync = AsyncShipmentSync(
            shipstation=shipstation,
            oracle=oracle,
            mapping=sim.mapping,
            audit=MemoryAuditSink(),
            clock=sim.clock,
        )
        app = make_app(sync, token=token)
        shipments = [s["shipmentId"] for s in sim.day.iter_shipments()][:5]
        hook = sim.shipstation.make_webhook("SHIP_NOTIFY", shipments)
        body = json.dumps(hook).encode()
        query = f"token={token}"
        results = {
            "first delivery": await deliver(app, body, query=query),
            "redelivery": await deliver(app, body, query=query),
            "wrong token": await deliver(app, body, query="token=guess"),
            "forged pointer": await deliver(
                app,
                json.dumps(
                    {
                        "resource_url": "https://evil.example/shipments",
                        "resource_type": "SHIP_NOTIFY",
                    }
                ).encode(),
                query=query,
            ),
            "not JSON": await deliver(app, b"<html>", query=query),
        }
    for name, (status, answer) in results.items():
        print(f"{name:15} {status} {answer}")
    assert results["first delivery"][0] == 200
    assert results["redelivery"][1]["posted"] == 0
    assert [results[k][0] for k in ("wrong token", "forged pointer", "not JSON")] == [401, 400, 400]
    print(f"Oracle holds {len(sim.oracle.invoices())} invoices")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(demo()))
