"""Route guards in front of the Gradio server: the upload route closed when uploads are off, and login
attempts limited per client. A plain ASGI middleware (`launch_app` installs it through Gradio's
`app_kwargs`), so it sees every request before Gradio does.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from typing import Any, Awaitable, Callable

UPLOAD_PATHS = ("/gradio_api/upload", "/upload")
LOGIN_PATHS = ("/login",)
LOGIN_ATTEMPTS = 10  # per client and window: a person mistyping needs a few, a guesser thousands
LOGIN_WINDOW = 60.0  # seconds

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]


class LoginLimiter:
    """At most `attempts` login requests per client within `window` seconds (a sliding window)."""

    def __init__(self, attempts: int = LOGIN_ATTEMPTS, window: float = LOGIN_WINDOW) -> None:
        self.attempts, self.window = attempts, window
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str, now: float | None = None) -> bool:
        """Record one attempt by `client`; False when it is over the limit.

        >>> limiter = LoginLimiter(attempts=2, window=60)
        >>> [limiter.allow("10.0.0.7", now=t) for t in (0, 1, 2, 61.5)]
        [True, True, False, True]
        """
        now = time.monotonic() if now is None else now
        with self._lock:
            seen = self._seen.setdefault(client, deque())
            while seen and now - seen[0] > self.window:
                seen.popleft()
            if len(seen) >= self.attempts:
                return False
            seen.append(now)
            return True


class Guard:
    """ASGI middleware: 403 for the upload route when uploads are off; 429 for logins over the limit."""

    def __init__(self, app: Callable, allow_upload: bool, limiter: LoginLimiter | None = None) -> None:
        self.app, self.allow_upload = app, allow_upload
        self.limiter = limiter or LoginLimiter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") == "http":
            path = scope.get("path", "").rstrip("/") or "/"
            if not self.allow_upload and path.endswith(UPLOAD_PATHS):
                return await _refuse(send, 403, "上传已关闭 (uploads are off) — 用 rag serve --allow-upload 开启")
            client = (scope.get("client") or ("?",))[0]
            if scope.get("method") == "POST" and path.endswith(LOGIN_PATHS) and not self.limiter.allow(client):
                return await _refuse(send, 429, f"登录尝试过多 — 请 {LOGIN_WINDOW:.0f} 秒后再试 (too many login attempts)")
        await self.app(scope, receive, send)


async def _refuse(send: Send, status: int, message: str) -> None:
    body = json.dumps({"detail": message}, ensure_ascii=False).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
