"""``python -m residual_expansion``: the same program as the ``residual-expansion`` script."""

from residual_expansion.cli import main

raise SystemExit(main())
