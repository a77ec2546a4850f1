"""What the two mail channels share about a server: its port and timeout settings, and the password.

Sending (cadence.channels.mail, smtp_*) and reading (cadence.channels.imap, imap_*) take the same kinds of
settings from the profile; a password comes from an environment variable or the system keyring (service
`cadence`, the user) and is never stored or printed.
"""

from __future__ import annotations

import os

from cadence.errors import CadenceError

KEYRING_SERVICE = "cadence"


def port_and_timeout(values: dict[str, str], prefix: str, tls: str, ports: dict[str, int], example_port: int,
                     default_timeout: float) -> tuple[int, float]:
    """The `<prefix>_port` setting (else the TLS mode's port in `ports`) and `<prefix>_timeout` in seconds;
    refuses a port that is not one and a timeout outside 0..600."""
    port_text = values.get(f"{prefix}_port", "").strip()
    if port_text and not (port_text.isdigit() and 0 < int(port_text) < 65536):
        raise CadenceError(f"{prefix}_port {port_text!r} is not a port number: run `cadence me set {prefix}_port {example_port}`")
    timeout_text = values.get(f"{prefix}_timeout", "").strip()
    try:
        timeout = float(timeout_text) if timeout_text else default_timeout
    except ValueError:
        timeout = -1.0
    if not 0 < timeout <= 600:
        raise CadenceError(f"{prefix}_timeout {timeout_text!r} is not a number of seconds between 0 and 600")
    return (int(port_text) if port_text else ports[tls]), timeout


def password(env: str, user: str) -> str | None:
    """$`env`, else the keyring entry (service `cadence`, the user), else None."""
    secret = os.environ.get(env)
    if secret:
        return secret
    try:
        import keyring
    except ImportError:
        return None
    try:
        return keyring.get_password(KEYRING_SERVICE, user)
    except Exception:  # noqa: BLE001 - no usable keyring backend is the same as no password
        return None
