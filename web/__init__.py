"""The web console (#12): server-rendered Danish pages for the people of a crisis.

Routes here only translate between forms and the same services the API calls; no business rule
lives in a template or a route (docs/architecture.md)."""
