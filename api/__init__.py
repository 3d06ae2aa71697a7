"""HTTP entrypoints: app factory, routers, auth dependencies and the error mapping."""
