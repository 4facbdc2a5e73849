"""WSGI entry for gunicorn: `gunicorn -w 4 -b 127.0.0.1:8050 dashboard.wsgi:server`."""
from dashboard import create_app

app = create_app()
server = app.server
