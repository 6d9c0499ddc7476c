"""`plugins` (what is installed) and `adapters new` (a new adapter package)."""

from __future__ import annotations

from pathlib import Path

import click

from ssj_bridge.cli.context import Context, pass_context


@click.command()
@pass_context
def plugins(ctx: Context) -> None:
    """The adapters and policies found, with versions; plugins that failed to load."""
    from ssj_bridge.plugins.host import load_plugins

    host = load_plugins()
    click.echo("adapters:")
    for name, spec in sorted(host.adapters.items()):
        sim = " +simulator" if spec.simulator else ""
        click.echo(f"  {name:<12} {spec.role:<10} {spec.version:<8} {spec.description}{sim}")
    click.echo("policies:")
    for name, policy in sorted(host.policies.items()):
        click.echo(f"  {name:<14} {policy.version:<8} {policy.locality}")
    if host.failures:
        click.echo("failed to load:")
        for failure in host.failures:
            click.echo(f"  {failure.group}:{failure.name}: {failure.error}")


@click.group()
def adapters() -> None:
    """Adapter packages: scaffold a new one."""


@adapters.command("new")
@click.argument("name")
@click.option("--dir", "directory", type=click.Path(path_type=Path), default=Path("."),
              show_default=True, help="Where the package's folder is created.")
@click.option("--role", default="province", show_default=True,
              type=click.Choice(["permit", "credit", "province", "publicity"]),
              help="The platform role the adapter serves.")
@click.option("--package", default=None, help="Python package name (default ssj_adapter_NAME).")
@click.option("--region", required=True,
              help="Region code the generated simulator and tests use (6 digits).")
def adapters_new(name: str, directory: Path, role: str, package: str | None,
                 region: str) -> None:
    """Scaffold an adapter package NAME that installs with pip and passes its own tests."""
    from ssj_bridge.scaffold import AdapterNames, ScaffoldError, new_adapter

    try:
        names = AdapterNames.of(name, role, package, region=region)
        written = new_adapter(names, directory)
    except ScaffoldError as exc:
        raise click.UsageError(str(exc)) from None
    root = directory / names.dist
    click.echo(f"wrote {len(written)} files into {root}:")
    for path in written:
        click.echo(f"  {path.relative_to(root)}")
    click.echo(f"next: pip install -e '{root}[test]' && (cd {root} && pytest); "
               f"then SSJ_{role.upper()}__ADAPTER={name} selects it")
