"""Suite-wide test settings."""

from hypothesis import settings

# No per-example deadline: speed is measured by the benchmarks, and on a shared machine (or
# the first call of a compiled function) a deadline only makes property tests flaky.
settings.register_profile("promovolve", deadline=None)
settings.load_profile("promovolve")
