"""ttrules: a rule language and simulation engine for e-commerce after-sales policy."""

__version__ = "0.1.0"
