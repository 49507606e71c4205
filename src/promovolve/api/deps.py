"""FastAPI dependencies: the runtime, its services and the caller's principal."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from promovolve.api.auth import bearer_key, unauthorized
from promovolve.api.keys import Principal
from promovolve.api.runtime import Runtime
from promovolve.api.services import Services


# Async, so FastAPI calls them on the event loop: a plain `def` dependency would cost a
# worker-thread round trip on every request.
async def get_runtime(request: Request) -> Runtime:
    runtime = request.app.state.runtime
    assert isinstance(runtime, Runtime)
    return runtime


async def get_services(request: Request) -> Services:
    return (await get_runtime(request)).services


async def get_principal(request: Request) -> Principal:
    key = bearer_key(request)
    if key is None:
        raise unauthorized()
    principal = (await get_runtime(request)).state.keyring.resolve(key)
    if principal is None:
        raise unauthorized()
    return principal


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
ServicesDep = Annotated[Services, Depends(get_services)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
