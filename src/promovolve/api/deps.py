"""FastAPI dependencies: the runtime and the caller's principal."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from promovolve.api.auth import Principal, bearer_key, unauthorized
from promovolve.api.runtime import Runtime


# Async, so FastAPI calls them on the event loop: a plain `def` dependency would cost a
# worker-thread round trip on every request.
async def get_runtime(request: Request) -> Runtime:
    runtime = request.app.state.runtime
    assert isinstance(runtime, Runtime)
    return runtime


async def get_principal(request: Request) -> Principal:
    key = bearer_key(request)
    if key is None:
        raise unauthorized()
    keyring = (await get_runtime(request)).keyring
    principal = keyring.resolve(key) if keyring is not None else None
    if principal is None:
        raise unauthorized()
    return principal


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
