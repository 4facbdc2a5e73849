"""Thin callbacks: parse and check inputs, ask data_access, hand to layouts."""
from . import grid, overview, router


def register(app) -> None:
    for module in (router, overview, grid):
        module.register(app)
