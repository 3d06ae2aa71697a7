"""The console's routes as the app holds them: method, path and the roles `web.deps.allow` states
(None: no role check), read from the routes' dependencies."""

from __future__ import annotations

from fastapi.routing import APIRoute

from web.app import is_console_path


def _routes(routes):  # noqa: ANN001, ANN202
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from _routes(route.original_router.routes)


def console_api_routes(app) -> list[APIRoute]:
    return [route for route in _routes(app.routes) if is_console_path(route.path)]


def console_routes(app) -> list[tuple[str, str, frozenset | None]]:
    out = []
    for route in console_api_routes(app):
        allowed, stack = None, list(route.dependant.dependencies)
        while stack:
            dep = stack.pop()
            if getattr(dep.call, "allowed_roles", None) is not None:
                allowed = dep.call.allowed_roles
            stack.extend(dep.dependencies)
        out.extend((method, route.path, allowed) for method in route.methods)
    return out
