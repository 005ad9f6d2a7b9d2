"""Who may reach the web app and what they may do there: bind address, login, uploads, upload size.

The rules (`rag serve` applies them before anything is loaded):
- The default address is 127.0.0.1: only this machine.
- Any other address needs an explicit choice: a login (`--auth user:pass`, RAG_AUTH, or `--auth-file`
  with one `user:pass` per line) or `--no-auth`, which is allowed with a warning.
- Uploads are off unless `--allow-upload`; on an address other than 127.0.0.1 they also need a login,
  so that every uploaded document has a named uploader.
- The port must be free; if not, the message names it and how to choose another.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from pathlib import Path

from rag.config import DEFAULT_MAX_UPLOAD_MB
from rag.errors import UsageError


@dataclass(frozen=True)
class Access:
    host: str
    auth: tuple[tuple[str, str], ...] = ()  # (user, password) pairs; empty = no login
    allow_upload: bool = False
    max_upload_mb: int = DEFAULT_MAX_UPLOAD_MB
    warnings: tuple[str, ...] = ()


def is_loopback(host: str) -> bool:
    """`is_loopback('127.0.0.1')`, `is_loopback('localhost')` → True; `is_loopback('0.0.0.0')` → False."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_auth(text: str, where: str) -> tuple[tuple[str, str], ...]:
    """"alice:pw1,bob:pw2" or one pair per line → ((user, password), …); UsageError when malformed.

    >>> parse_auth("alice:s3cret", "--auth")
    (('alice', 's3cret'),)
    """
    pairs = []
    for item in text.replace(",", "\n").splitlines():
        item = item.strip()
        if not item or item.startswith("#"):
            continue
        user, sep, password = item.partition(":")
        if not sep or not user.strip() or not password:
            raise UsageError(f"{where}: 登录信息应写成 用户名:密码 (user:pass)，收到 {user.strip() or item[:1]}…")
        pairs.append((user.strip(), password))
    if not pairs:
        raise UsageError(f"{where}: 没有登录信息 — 写成 用户名:密码 (user:pass)")
    return tuple(pairs)


def resolve_access(host: str, *, auth: str | None = None, auth_file: Path | None = None, no_auth: bool = False,
                   allow_upload: bool = False, max_upload_mb: int = DEFAULT_MAX_UPLOAD_MB,
                   env_auth: str | None = None) -> Access:
    """The access rules for `rag serve` from its options (and RAG_AUTH as `env_auth`)."""
    if max_upload_mb < 1:
        raise UsageError(f"--max-upload-mb 至少为 1，收到 {max_upload_mb}")
    given = [(text, where) for text, where in ((auth, "--auth"), (env_auth, "RAG_AUTH")) if text]
    if auth_file is not None:
        try:
            given.append((auth_file.read_text(encoding="utf-8"), str(auth_file)))
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"{auth_file}: 无法读取登录文件 ({exc}) — 请检查路径") from exc
    if given and no_auth:
        raise UsageError("--no-auth 与 --auth/--auth-file/RAG_AUTH 不能同时使用")
    pairs = tuple(p for text, where in given for p in parse_auth(text, where))
    warnings: list[str] = []
    if not is_loopback(host) and not pairs:
        if not no_auth:
            raise UsageError(
                f"监听 {host} 会让网络上的其他人访问本服务 — 请用 --auth 用户名:密码（或 RAG_AUTH、--auth-file）"
                "设置登录，或明确加 --no-auth；只在本机使用时去掉 --host")
        warnings.append(f"警告: 在 {host} 上不设登录 (--no-auth)：能连到这台机器的任何人都能使用本服务")
    if allow_upload and not pairs and not is_loopback(host):
        raise UsageError("在非本机地址上，上传只对登录用户开放 — 请同时设置 --auth，或去掉 --allow-upload")
    return Access(host, pairs, allow_upload, max_upload_mb, tuple(warnings))


def check_port(host: str, port: int) -> None:
    """UsageError naming the port when it cannot be bound (in use, or an address not on this machine)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise port_error(host, port, exc) from exc


def port_error(host: str, port: int, exc: OSError) -> UsageError:
    other = port + 1 if port < 65535 else port - 1
    if isinstance(exc, socket.gaierror) or exc.errno == 99:  # EADDRNOTAVAIL
        return UsageError(f"无法监听地址 {host}（{exc.strerror or exc}）— 请用 --host 指定本机的地址，例如 127.0.0.1")
    return UsageError(f"端口 {port} 已被占用（{host}:{port}）— 用 --port 选择其他端口，例如 rag serve --port {other}，"
                      f"或 PORT={other} rag serve / make run PORT={other}")
