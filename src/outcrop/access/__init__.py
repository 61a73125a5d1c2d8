"""Who may call the server: API keys kept as hashes in a file, what each key may do, and its quotas.

Framework-free, so that the HTTP layer (`api/security`) and the CLI (`outcrop keys`) share it.
"""

from outcrop.access.keys import Action, ApiKey, KeyFile, KeyRing, Principal
from outcrop.access.quotas import Quotas

__all__ = ["Action", "ApiKey", "KeyFile", "KeyRing", "Principal", "Quotas"]
