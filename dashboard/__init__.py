"""红格指挥舱 (RedGrid Command): the grid-governance command-centre dashboard."""

__all__ = ["create_app"]


def __getattr__(name):
    # Lazy, so `python -m dashboard seed` and the demo generator need not load Dash.
    if name == "create_app":
        from .app import create_app
        return create_app
    raise AttributeError(name)
