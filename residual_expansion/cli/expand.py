"""``expand``: the closed form of a residual stack up to order K (placeholder until the engine lands)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("expand", help="print the closed-form expansion")
    p.set_defaults(run=lambda args: 2)
