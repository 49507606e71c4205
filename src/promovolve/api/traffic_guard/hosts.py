"""The base of the signed tracking URLs: never a Host header the server does not know.

A client chooses the Host header it sends; if it went into the tracking URLs, anyone could
have the server hand out beacon URLs that point elsewhere (or poison a cache with them). So
the base is `PROMOVOLVE_PUBLIC_URL` when set; else the request's host when it is on
`PROMOVOLVE_ALLOWED_HOSTS`; else where a browser on this machine reaches the server.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import Scope


def local_base(host: str, port: int) -> str:
    """The server's own address (a wildcard bind is reached on the loopback)."""
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def split_list(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


class TrackingBase:
    def __init__(self, public_url: str | None, allowed_hosts: Iterable[str], fallback: str) -> None:
        self.public_url = public_url.rstrip("/") if public_url else None
        self.allowed = frozenset(h.lower() for h in allowed_hosts)
        self.fallback = fallback.rstrip("/")

    def base_url(self, scope: Scope) -> str:
        if self.public_url is not None:
            return self.public_url
        if self.allowed:
            for name, value in scope["headers"]:
                if name == b"host":
                    netloc = value.decode("latin-1").lower()
                    if _hostname(netloc) in self.allowed:
                        scheme = scope.get("scheme", "http")
                        return f"{scheme}://{netloc}{scope.get('root_path', '')}"
                    break
        return self.fallback


def _hostname(netloc: str) -> str:
    if netloc.startswith("["):  # [v6]:port
        return netloc[1 : netloc.find("]")]
    return netloc.rsplit(":", 1)[0] if netloc.count(":") == 1 else netloc
