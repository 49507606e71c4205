"""The `promovolve` command: each subcommand lives in a module of its own."""

from __future__ import annotations

import typer

from promovolve.cli import lab, serve, simulate

app = typer.Typer(
    name="promovolve",
    help="Promovolve: a publisher-centric, context-based ad network.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def main() -> None:
    """Promovolve: a publisher-centric, context-based ad network."""


lab.register(app)
serve.register(app)
simulate.register(app)


if __name__ == "__main__":
    app()
