"""Password hashing: Argon2id with parameters chosen for a shared two-core server.

Django's Argon2PasswordHasher defaults to time_cost 2, memory_cost 100 MiB, parallelism 8:
each sign-in costs tens of milliseconds of every core and 100 MiB of memory, and fifty people
signing in at once (the end of a course) starve every other request for seconds (bench/load.py;
bench/RESULTS.md, "Many people at once", gives the measurements of each parameter set).

This hasher keeps Argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane, in the
Password Storage Cheat Sheet): still memory-hard, so a guessing rig pays 19 MiB per guess, at a
fraction of the CPU. It keeps the algorithm name "argon2", so existing hashes verify with it and
Django re-hashes them with these parameters at their owner's next sign-in (`must_update`).
Sign-in attempts are also limited per client address (accounts/two_factor.py, SIGN_IN_RATE_LIMIT)
and per account (django-axes).
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class CecopamArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
