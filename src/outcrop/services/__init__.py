"""The layer between the doors (api, sdk, cli) and the engines (runtime, index, safety, jobs, storage): the
composition root and the services that are not HTTP (async jobs)."""

from outcrop.services.root import Services, build_services

__all__ = ["Services", "build_services"]
