"""The tamper-evident event log of an activation."""
