"""State shared by every process of one network, kept in Redis (`PROMOVOLVE_REDIS_URL`)."""
