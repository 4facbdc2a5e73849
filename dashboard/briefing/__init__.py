"""周报 weekly briefing: one week of a region as Word, Excel and PDF (issue #5, docs/briefing.md).

content gathers the figures and writes the text, charts renders the dashboard's own
figures to PNG, word / excel / pdf write the files; files.make puts them together for
cli and the /briefing page.
"""
