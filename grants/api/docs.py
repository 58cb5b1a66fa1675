"""The OpenAPI 3.1 document and the assets of the interactive docs (Swagger UI, served from
this site; the docs page itself is a web page, ``grants.web.system.api_docs``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import APIRouter, FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles

from grants.api.common import if_match, problem_schemas
from grants.http.deps import Public
from grants.http.methods import served_routes

router = APIRouter(include_in_schema=False)
SWAGGER_ASSETS = Path(fastapi_offline.__file__).parent / "static"
DESCRIPTION = """\
The grants tracker's API: the same services and permissions as the web pages.

* **Authentication**: `Authorization: Bearer <token>`; an administrator creates tokens
  with `grants token create`.
* **Scope**: you see what your role sees; anything else is 404.
* **Lists** are pages: `limit` (up to 200), `offset`, `total` and the `next` page's URL.
* **Concurrency**: every single-object GET returns an `ETag`; PATCH, PUT and DELETE need
  it back in `If-Match` (428 without, 412 when the object changed meanwhile); workflow
  steps take it optionally.
* **Methods**: every GET also answers HEAD (the same headers, no body); a method a path
  does not have is 405, with `Allow` listing the ones it has.
* **Errors** are `application/problem+json` (RFC 9457) with `errors` per field.
* **Money** is a decimal string with its ISO 4217 currency, written plainly (`"12500.00"`:
  no sign, exponent or separators); dates are `YYYY-MM-DD` between 1990-01-01 and
  2100-12-31; required text must hold more than white space.
"""


@router.get("/api/v1/openapi.json")
def openapi(request: Request, principal: Public) -> JSONResponse:
    """The OpenAPI 3.1 description of the API."""
    return JSONResponse(request.app.openapi())


def install(app: FastAPI) -> None:
    """Describe the API and serve the docs' assets."""
    app.description = DESCRIPTION
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            schema.setdefault("components", {}).setdefault("schemas", {}).update(problem_schemas())
            require_if_match(schema, app.routes)
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]
    app.mount("/api/docs/assets", StaticFiles(directory=SWAGGER_ASSETS), name="api-docs-assets")
    app.include_router(router)


def require_if_match(schema: dict[str, Any], routes: list[Any]) -> None:
    """Mark ``If-Match`` required on the operations that answer 428 without it.

    The header is read as optional so that its absence is a 428 naming it, not a 422; the
    document still has to say the operation needs it.
    """
    for route in served_routes(routes):
        original = getattr(route, "original_route", route)
        if not (isinstance(original, APIRoute) and route.include_in_schema):
            continue
        if not _depends_on(route.dependant, if_match):
            continue
        for method in route.methods or ():
            operation = schema["paths"][route.path_format][method.lower()]
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "header" and parameter["name"] == "If-Match":
                    parameter["required"] = True


def _depends_on(dependant: Dependant, call: Any) -> bool:
    return any(sub.call is call or _depends_on(sub, call) for sub in dependant.dependencies)
