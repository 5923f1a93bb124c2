"""The Amazon States Language, as pure functions over JSON values: no I/O, no clock.

The interpreter (``../engine``) calls these modules; they never call back. ``errors.py``
holds the one exception every evaluation raises, ``env.py`` what an evaluation sees.
"""
