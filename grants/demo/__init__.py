"""Demo data: a programme modelled on MC2CM, laid out around a chosen day."""

from grants.demo.loader import DEMO_PASSWORD, load_demo

__all__ = ["DEMO_PASSWORD", "load_demo"]
