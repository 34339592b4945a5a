"""CLI subcommands, one module each (discovered by ``cli.main``)."""
