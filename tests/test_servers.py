"""The settings SMTP and IMAP share (cadence.channels.servers): one reading of port, timeout and password for both."""

from __future__ import annotations

import pytest

from cadence.channels.imap import Account
from cadence.channels.mail import Server
from cadence.errors import CadenceError

SMTP = {"smtp_host": "smtp.example.com", "smtp_user": "me@example.com"}
IMAP = {"imap_host": "imap.example.com", "imap_user": "me@example.com"}


@pytest.mark.parametrize(
    ("read", "values", "message"),
    [
        (Server.from_profile, {**SMTP, "smtp_port": "0"}, "smtp_port '0' is not a port number: run `cadence me set smtp_port 587`"),
        (Account.from_profile, {**IMAP, "imap_port": "99999"}, "imap_port '99999' is not a port number: run `cadence me set imap_port 993`"),
        (Server.from_profile, {**SMTP, "smtp_timeout": "601"}, "smtp_timeout '601' is not a number of seconds between 0 and 600"),
        (Account.from_profile, {**IMAP, "imap_timeout": "soon"}, "imap_timeout 'soon' is not a number of seconds between 0 and 600"),
    ],
)
def test_a_bad_port_or_timeout_is_named_for_its_channel(read, values, message):
    with pytest.raises(CadenceError) as caught:
        read(values)
    assert str(caught.value) == message


def test_ports_default_by_tls_mode_and_timeouts_are_read():
    assert (Server.from_profile({**SMTP, "smtp_tls": "ssl"}).port, Server.from_profile(SMTP).port) == (465, 587)
    assert (Account.from_profile(IMAP).port, Account.from_profile({**IMAP, "imap_tls": "starttls"}).port) == (993, 143)
    assert Server.from_profile({**SMTP, "smtp_port": "2525", "smtp_timeout": "4.5"}).port == 2525
    assert Account.from_profile({**IMAP, "imap_timeout": "4.5"}).timeout == 4.5


def test_passwords_come_from_each_channels_variable(monkeypatch):
    from cadence.channels.imap import imap_password
    from cadence.channels.mail import smtp_password

    monkeypatch.setenv("CADENCE_SMTP_PASSWORD", "s3cret")
    monkeypatch.setenv("CADENCE_IMAP_PASSWORD", "imap-s3cret")
    assert (smtp_password("me@example.com"), imap_password("me@example.com")) == ("s3cret", "imap-s3cret")
