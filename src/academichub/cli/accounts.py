"""Commands for accounts: users, the first admin, personal API tokens."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from academichub.auth import service as auth
from academichub.cli.app import app, err, init_store, out, print_json, settings_of
from academichub.compose import Accounts
from academichub.errors import InputError, NotFoundError
from academichub.limits import ROW_ID_MAX

user_app = typer.Typer(help="Manage user accounts (accounts mode).", no_args_is_help=True)
admin_app = typer.Typer(help="Administer the install.", no_args_is_help=True)
token_app = typer.Typer(help="Personal API tokens (Authorization: Bearer TOKEN on /api/v1).", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(admin_app, name="admin")
app.add_typer(token_app, name="token")

StdinOption = Annotated[bool, typer.Option("--password-stdin", help="Read the password from standard input.")]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


def _add(ctx: typer.Context, name: str, from_stdin: bool, admin: bool) -> None:
    settings = settings_of(ctx)
    password = _password(from_stdin)
    with init_store(settings) as store:
        user = auth.add_user(store, name, password, settings.auth, admin=admin)
    role = "admin" if admin else "user"
    err.print(f"Created {role} '{user.name}'" + ("" if settings.auth.mode == "accounts" else
              " (set ACADEMICHUB_AUTH__MODE=accounts: the server refuses to start in local mode while accounts exist)"))


@user_app.command("add")
def user_add(ctx: typer.Context, name: Annotated[str, typer.Argument(help="User name (letters, digits, . - _).")],
             password_stdin: StdinOption = False,
             admin: Annotated[bool, typer.Option("--admin", help="Make the user an administrator.")] = False) -> None:
    """Create a user with a password (prompted, or one line on stdin with --password-stdin)."""
    _add(ctx, name, password_stdin, admin)


@user_app.command("password")
def user_password(ctx: typer.Context, name: Annotated[str, typer.Argument(help="Whose password.")],
                  password_stdin: StdinOption = False) -> None:
    """Set a new password for a user (a reset by the administrator); their sessions end."""
    settings = settings_of(ctx)
    password = _password(from_stdin=password_stdin)
    with init_store(settings) as store:
        user, ended = auth.reset_password(store, name, password, settings.auth)
    err.print(f"New password set for '{user.name}'; {ended} session(s) signed out (API tokens stay live)")


@user_app.command("delete")
def user_delete(ctx: typer.Context, name: Annotated[str, typer.Argument(help="Whose account.")],
                yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False) -> None:
    """Delete a user and everything that is theirs (radars, feedback, library, briefings, tokens, sessions)."""
    settings = settings_of(ctx)
    with init_store(settings) as store:
        accounts = Accounts(store)
        user_id = _user_id(accounts, name)
        if not yes and not typer.confirm(f"Delete '{name}' and all their radars, feedback, library and briefings?"):
            raise typer.Exit(1)
        accounts.delete_reader(user_id)
    err.print(f"Deleted '{name}'")


@user_app.command("list")
def user_list(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List users."""
    settings = settings_of(ctx)
    with init_store(settings) as store:
        accounts = Accounts(store)
        rows = [{"name": u.name, "admin": accounts.is_admin(u.id), "local": u.is_local} for u in accounts.readers()]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        out.print(f"{row['name']}{' (admin)' if row['admin'] else ''}{' (local)' if row['local'] else ''}")


@admin_app.command("create")
def admin_create(ctx: typer.Context, name: Annotated[str, typer.Argument(help="The administrator's user name.")],
                 password_stdin: StdinOption = False) -> None:
    """Create an administrator (the first one of an accounts-mode install)."""
    _add(ctx, name, password_stdin, True)


def _user_id(accounts: Accounts, name: str) -> int:
    """The id of a reader with a password (the local reader has no tokens of its own)."""
    user = accounts.find_reader(name)
    if user is None or user.is_local:
        raise NotFoundError(f"accounts: no user {name!r}")
    return user.id


@token_app.command("create")
def token_create(ctx: typer.Context, user: Annotated[str, typer.Option("--user", help="Whose token.")],
                 name: Annotated[str, typer.Option("--name", help="A label to tell tokens apart.")] = "cli") -> None:
    """Create a personal API token and print it (only its hash is kept)."""
    settings = settings_of(ctx)
    with init_store(settings) as store:
        accounts = Accounts(store)
        token = accounts.new_api_token(_user_id(accounts, user), name)
    if settings.auth.mode != "accounts":
        err.print("Note: in local mode every request is the local reader; this token protects nothing until "
                  "ACADEMICHUB_AUTH__MODE=accounts (and the server refuses to start with accounts in local mode).")
    print(token)


@token_app.command("list")
def token_list(ctx: typer.Context, user: Annotated[str, typer.Option("--user", help="Whose tokens.")],
               as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List a user's tokens (prefix, name, dates; never the token)."""
    settings = settings_of(ctx)
    with init_store(settings) as store:
        accounts = Accounts(store)
        rows = [{"id": t.id, "name": t.name, "prefix": t.prefix, "created_at": t.created_at.isoformat(),
                 "revoked": t.revoked} for t in accounts.api_tokens(_user_id(accounts, user))]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        out.print(f"{row['id']:>4}  {row['prefix']}…  {row['name']}  {row['created_at'][:10]}"
                  f"{'  revoked' if row['revoked'] else ''}")


@token_app.command("revoke")
def token_revoke(ctx: typer.Context, token_id: Annotated[int, typer.Argument(min=1, max=ROW_ID_MAX, help="The token's id (token list).")],
                 user: Annotated[str, typer.Option("--user", help="Whose token.")]) -> None:
    """Revoke a token."""
    settings = settings_of(ctx)
    with init_store(settings) as store:
        accounts = Accounts(store)
        try:
            accounts.revoke_api_token(_user_id(accounts, user), token_id)
        except NotFoundError:
            raise InputError(f"tokens: {user} has no live token {token_id}") from None
    err.print(f"Revoked token {token_id}")
