"""CLI subcommands, one module each (discovered by ``geo.cli``)."""
