"""Outbound HTTP requests that services make to the user's endpoints (SNS HTTP/S subscriptions,
EventBridge API destinations), through httpx.

The environment's proxy settings are ignored (``trust_env=False``): these calls go where the
user's resource says. Redirects are not followed (AWS's callers do not follow them). A URL's
user and password are sent as basic authentication, as SNS does. Timeouts are real time: they
are network time, not service time.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Answer:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes


async def request(
    method: str,
    url: str,
    headers: list[tuple[str, str]] | list[list[str]],
    body: bytes | None,
    *,
    timeout: float,
    max_body: int = 1_048_576,
) -> Answer:
    """One request; its answer with at most ``max_body`` bytes of body. Raises OSError or
    TimeoutError when the endpoint cannot be reached or does not answer in time, ValueError
    for an answer that is not HTTP."""
    import httpx  # on first use: services that never call out do not pay for its import

    clean = [(str(k), str(v).replace("\r", " ").replace("\n", " ")) for k, v in headers]
    try:
        async with (
            httpx.AsyncClient(timeout=timeout, trust_env=False, follow_redirects=False) as client,
            client.stream(method, url, headers=clean, content=body) as response,
        ):
            data = bytearray()
            async for chunk in response.aiter_bytes():
                data += chunk
                if len(data) >= max_body:
                    break
            return Answer(
                response.status_code,
                {k.lower(): v for k, v in response.headers.items()},
                bytes(data[:max_body]),
            )
    except httpx.TimeoutException as exc:
        raise TimeoutError(f"no answer within {timeout} s") from exc
    except (httpx.ConnectError, httpx.NetworkError) as exc:
        raise OSError(str(exc) or type(exc).__name__) from exc
    except (httpx.ProtocolError, httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
        raise ValueError(str(exc) or type(exc).__name__) from exc
