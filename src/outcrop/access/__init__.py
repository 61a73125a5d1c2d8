"""Who may call the server: API keys kept as hashes (in a file or PostgreSQL), what each key may do, and its quotas.

Framework-free, so that the HTTP layer (`api/security`) and the CLI (`outcrop keys`) share it.
"""

from outcrop.access.keys import Action, ApiKey, KeyFile, KeyStore, Principal
from outcrop.access.quotas import Quotas
from outcrop.access.rings import FileKeyRing, KeyRing, PolledKeyRing, key_ring, key_store

__all__ = ["Action", "ApiKey", "FileKeyRing", "KeyFile", "KeyRing", "KeyStore", "PolledKeyRing", "Principal", "Quotas",
           "key_ring", "key_store"]  # fmt: skip
