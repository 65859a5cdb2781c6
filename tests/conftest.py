# Fixtures come from core.testing (the pytest11 plugin shipped with jiayuan).
