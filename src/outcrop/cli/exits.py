"""The CLI's exit codes: each means one thing, in every command. README.md lists them (a test compares)."""

from __future__ import annotations

EXIT_OK = 0
EXIT_API_ERROR = 1
EXIT_USAGE = 2  # click's own code for a bad option or argument
EXIT_NO_SERVER = 3
EXIT_JOB_FAILED = 4
EXIT_OPEN_NETWORK = 5
EXIT_BAD_DEVICE = 6
EXIT_PULL_FAILED = 7
EXIT_INVALID = 8

MEANINGS: dict[int, str] = {
    EXIT_OK: "success",
    EXIT_API_ERROR: "the server answered with an error (its code and message are printed)",
    EXIT_USAGE: "a bad option or argument, or an input file that cannot be read",
    EXIT_NO_SERVER: "no Outcrop server answers at the URL",
    EXIT_JOB_FAILED: "an async job failed or was cancelled",
    EXIT_OPEN_NETWORK: "`outcrop serve` refused a non-loopback host without credentials",
    EXIT_BAD_DEVICE: "`outcrop serve`: the device or dtype asked for is not there",
    EXIT_PULL_FAILED: "`outcrop models pull`: no source could deliver the weights, or a checksum did not match",
    EXIT_INVALID: "`outcrop provenance verify`: the file's provenance does not hold",
}
