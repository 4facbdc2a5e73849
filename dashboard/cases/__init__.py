"""一事一码: link reports of one happening into one case (the text measure and the linker).

The SQL is in data_access/cases.py; this package holds what needs the text model (jieba):
`text` (tokens and the similarity chosen on tests/data/case_pairs.csv), `link` (the incremental
linker the scheduler and the seed run) and `cli` (`python -m dashboard cases link|show|eval`).
Decisions and measurements: docs/cases.md.
"""
