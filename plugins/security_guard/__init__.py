"""Security guards: selection, training and assessment (挑选关/培训关/考核关), duty and patrols."""

PLUGIN_NAME = "security_guard"
__version__ = "0.1.0"
JIAYUAN_REQUIRES = ">=0.1,<0.2"
