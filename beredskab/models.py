"""Imports every table module so that `SQLModel.metadata` is complete (Alembic's target)."""

from beredskab import deadlines, outbox  # noqa: F401
from beredskab.activations import (
    callbacks,  # noqa: F401
    voicecalls,  # noqa: F401
)
from beredskab.activations import models as activation_models  # noqa: F401
from beredskab.auth import models as auth_models  # noqa: F401
from beredskab.costs import models as cost_models  # noqa: F401
from beredskab.crisis_staff import models as crisis_staff_models  # noqa: F401
from beredskab.debrief import models as debrief_models  # noqa: F401
from beredskab.directory import models as directory_models  # noqa: F401
from beredskab.drills import models as drill_models  # noqa: F401
from beredskab.eventlog import models as eventlog_models  # noqa: F401
from beredskab.invoices import models as invoice_models  # noqa: F401
from beredskab.metadata import metadata
from beredskab.shifts import models as shift_models  # noqa: F401

__all__ = ["metadata"]
