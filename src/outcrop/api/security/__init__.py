"""One access layer for every route: `AccessMiddleware` wraps the whole app (see middleware.py)."""
