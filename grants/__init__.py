"""Grants tracker: milestones, payment tranches, budgets and donor reports for city actions."""

__version__ = "0.1.0"
