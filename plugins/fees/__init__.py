"""Transparent fees: price notices, billing runs, shared-cost splits, payments, receipts, disclosure."""

PLUGIN_NAME = "fees"
__version__ = "0.1.0"
JIAYUAN_REQUIRES = ">=0.1,<0.2"
