# Fixtures come from core.testing (the pytest11 plugin shipped with jiayuan).
from hypothesis import HealthCheck, settings

# CI shares two cores with PostgreSQL and a browser: judge properties, not the machine's speed.
settings.register_profile("jiayuan", deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile("jiayuan")
