"""`cadence me`: the salesperson's profile, used as me.* in scripts."""

from __future__ import annotations

import typer

from cadence.cli.common import JSON, pipeline, print_json

app = typer.Typer(help="Your profile: me.* in scripts, and settings such as timezone, region, holidays.", no_args_is_help=True, rich_markup_mode=None)


@app.command("set")
def set_value(
    ctx: typer.Context,
    key: str = typer.Argument(
        ...,
        metavar="KEY",
        help="name, company, phone, email, title, timezone, region, holidays, days_off, callback_lead, "
        "linger_after, calling_hours, max_calls, default_cadence, user, drafts, smtp_host, smtp_port, smtp_tls, "
        "smtp_user, smtp_timeout; with --custom, any name of your own.",
    ),
    value: str = typer.Argument(..., metavar="VALUE", help="The value."),
    custom: bool = typer.Option(False, "--custom", help="A value of your own, shown to scripts as me.KEY."),
) -> None:
    """Set one profile value. Passwords are never stored: see CADENCE_SMTP_PASSWORD."""
    stored = pipeline(ctx).set_me(key, value, custom)
    typer.echo(f"{key} = {stored}")


@app.command("unset")
def unset_value(ctx: typer.Context, key: str = typer.Argument(..., metavar="KEY", help="The value to remove.")) -> None:
    """Remove one profile value."""
    if pipeline(ctx).unset_me(key):
        typer.echo(f"{key} removed")
    else:
        typer.echo(f"{key} was not set")


@app.command("show")
def show(ctx: typer.Context, json_out: bool = JSON) -> None:
    """Your profile values and settings."""
    from cadence.domain.profile import SETTINGS

    values = pipeline(ctx).profile.values
    if json_out:
        print_json(dict(sorted(values.items())))
        return
    if not values:
        typer.echo("No profile values yet: start with `cadence me set name \"Your Name\"` (also company, phone, email).")
    for key, value in sorted(values.items()):
        typer.echo(f"{key}: {value}")
    missing = [k for k in SETTINGS if k not in values]
    if missing:
        typer.echo("\nOther settings: " + ", ".join(missing) + " (see `cadence me set --help`)")
