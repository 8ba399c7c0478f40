"""everydoor: registers, reconciliation, coverage and field work for universal health insurance."""

__version__ = "0.1.0"
