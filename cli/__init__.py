"""The command line (``python -m cli``): argument parsing and one module per subcommand.

Sits beside ``ui/`` above ``layers/`` and ``geo/``: commands may use both; ``geo`` never imports ``cli``.
"""
