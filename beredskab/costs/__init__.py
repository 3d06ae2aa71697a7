"""Costs and billing: time registration, tariffs, expenses, statements and the finance report."""
