"""Commands for e-mail digests and webhooks."""

from __future__ import annotations

from typing import Annotated

import typer

from academichub import compose
from academichub.cli.app import app, counted, err, init_store, out, print_json, reader_of, settings_of
from academichub.limits import ROW_ID_MAX
from academichub.present.names import radar_title
from academichub.worker import jobs

deliver_app = typer.Typer(help="E-mail digests and Feishu/DingTalk/WeCom/Slack webhooks of your radars.",
                          no_args_is_help=True)
app.add_typer(deliver_app, name="deliver")


@deliver_app.command("add")
def deliver_add(
    ctx: typer.Context,
    channel: Annotated[str, typer.Argument(help="email, feishu, dingtalk, wecom or slack.")],
    target: Annotated[str, typer.Argument(help="An e-mail address or the webhook URL.")],
    secret: Annotated[str | None, typer.Option("--secret", help="Signing secret (Feishu, DingTalk).")] = None,
    weekly: Annotated[bool, typer.Option("--weekly", help="Weekly instead of after each announcement day.")] = False,
    radar: Annotated[str | None, typer.Option("--radar", help="Radar name or id (default: your default radar).")] = None,
    lang: Annotated[str, typer.Option("--lang", help="zh or en.")] = "zh",
) -> None:
    """Send a radar's digest somewhere (checked before it is kept)."""
    settings = settings_of(ctx)
    cadence = "weekly" if weekly else "daily"
    with init_store(settings) as store:
        user, _default = reader_of(ctx, store)
        chosen = compose.Accounts(store).find_radar(user.id, radar)
        delivery = compose.Deliveries(store, settings.delivery).add(chosen, channel, target, secret=secret,
                                                                    cadence=cadence, lang=lang)
    err.print(f"Delivery {delivery.id}: radar '{radar_title(chosen, 'en')}' → {channel} {target} ({cadence})")


@deliver_app.command("list")
def deliver_list(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List your deliveries."""
    settings = settings_of(ctx)
    with init_store(settings) as store:
        user, _radar = reader_of(ctx, store)
        rows = [{"id": d.id, "radar_id": d.radar_id, "channel": d.channel, "target": d.target, "cadence": d.cadence,
                 "active": d.active, "last_sent_at": d.last_sent_at.isoformat() if d.last_sent_at else None,
                 "last_error": d.last_error} for d in compose.Deliveries(store, settings.delivery).of_user(user.id)]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        state = "off" if not row["active"] else ("failing: " + row["last_error"]) if row["last_error"] else "on"
        out.print(f"{row['id']:>4}  {row['channel']:<8} {row['target']}  {row['cadence']}  {state}")


@deliver_app.command("test")
def deliver_test(ctx: typer.Context, delivery_id: Annotated[int, typer.Argument(min=1, max=ROW_ID_MAX, help="The delivery's id.")]) -> None:
    """Send a delivery's digest now, marked as a test."""
    settings = settings_of(ctx)
    with init_store(settings) as store:
        user, _radar = reader_of(ctx, store)
        delivery = compose.Deliveries(store, settings.delivery).of(user.id, delivery_id)
        digest = compose.build(settings, store=store, background=False).delivery().send(delivery, test=True)
    err.print(f"Sent '{digest.title}' ({counted(len(digest.items), 'paper')}) to {delivery.channel} {delivery.target}")


@deliver_app.command("remove")
def deliver_remove(ctx: typer.Context, delivery_id: Annotated[int, typer.Argument(min=1, max=ROW_ID_MAX, help="The delivery's id.")]) -> None:
    """Remove a delivery."""
    settings = settings_of(ctx)
    with init_store(settings) as store:
        user, _radar = reader_of(ctx, store)
        compose.Deliveries(store, settings.delivery).remove(user.id, delivery_id)
    err.print(f"Removed delivery {delivery_id}")


@deliver_app.command("run")
def deliver_run(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Send every delivery that is due now (`academichub up` does this after each fetch)."""
    settings = settings_of(ctx)
    with init_store(settings) as store:
        results = jobs.deliver_due(compose.build(settings, store=store, background=False))
    if as_json:
        print_json(results)
        return
    for r in results:
        err.print(f"{r['id']} {r['channel']}: " + (f"sent {counted(r['papers'], 'paper')}" if r["ok"] else r["error"]))
    if any(not r["ok"] for r in results):
        raise typer.Exit(1)
