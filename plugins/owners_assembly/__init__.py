"""Owners' assembly (业主大会) votes with the Civil Code double majority, committee elections."""

PLUGIN_NAME = "owners_assembly"
__version__ = "0.1.0"
JIAYUAN_REQUIRES = ">=0.1,<0.2"
