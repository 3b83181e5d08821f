"""livepoll: self-hosted live audience polling."""

__version__ = "0.1.0"
