"""Directory admin endpoints (filled in by the directory work)."""

from fastapi import APIRouter

router = APIRouter(tags=["directory"])
