"""Community culture: events, clubs, registration with waiting lists, check-in and participation."""

PLUGIN_NAME = "culture_events"
__version__ = "0.1.0"
JIAYUAN_REQUIRES = ">=0.1,<0.2"
