"""红格指挥舱 (RedGrid Command): the grid-governance command-centre dashboard."""
from data_access import opinion_readings as _opinion_readings

__all__ = ["create_app"]


def _text_model():
    # Imported on the first text to read, not with the package (jieba takes a while to load).
    from . import opinion_text
    return opinion_text


# data_access reads appeal text with the model it is given (it never imports dashboard): every
# process that runs this app's code (the web app, the refresher, the CLI, tests) imports this package.
_opinion_readings.use_text_model(_text_model)


def __getattr__(name):
    # Lazy, so `python -m dashboard seed` and the demo generator need not load Dash.
    if name == "create_app":
        from .app import create_app
        return create_app
    raise AttributeError(name)
