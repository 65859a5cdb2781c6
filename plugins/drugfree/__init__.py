"""Drug-free community (无毒社区) compliance checks per residents' committee area, privacy first."""

PLUGIN_NAME = "drugfree"
__version__ = "0.1.0"
JIAYUAN_REQUIRES = ">=0.1,<0.2"
