"""The dashboard session: a signed cookie holding the key's hash and a CSRF token.

The cookie never holds the API key itself, only its SHA-256 hash, which is resolved against
the keyring on every request: a rotated key or a deactivated account ends its sessions.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

COOKIE = "pv_session"
MAX_AGE_SECONDS = 12 * 3600


@dataclass(frozen=True, slots=True)
class Session:
    csrf: str
    key_hash: str | None = None


class SessionCodec:
    """Signs and reads the session cookie.

    The secret is derived from the admin key, so every replica of the server accepts the
    same sessions and they survive a restart; a new admin key ends them all.
    """

    def __init__(self, admin_key: str) -> None:
        secret = hmac.new(admin_key.encode(), b"promovolve dashboard sessions", "sha256")
        self._signer = URLSafeTimedSerializer(secret.hexdigest(), salt="pv-ui")

    def read(self, request: Request) -> Session | None:
        raw = request.cookies.get(COOKIE)
        if raw is None:
            return None
        try:
            data = self._signer.loads(raw, max_age=MAX_AGE_SECONDS)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("csrf"), str):
            return None
        key_hash = data.get("k")
        return Session(data["csrf"], key_hash if isinstance(key_hash, str) else None)

    def write(self, request: Request, response: Response, session: Session) -> None:
        value = self._signer.dumps({"csrf": session.csrf, "k": session.key_hash})
        response.set_cookie(
            COOKIE,
            value,
            max_age=MAX_AGE_SECONDS,
            path="/ui",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )


def new_session(key_hash: str | None = None) -> Session:
    return Session(secrets.token_urlsafe(24), key_hash)


def csrf_ok(session: Session | None, token: str | None) -> bool:
    if session is None or not token:
        return False
    return hmac.compare_digest(session.csrf, token)
