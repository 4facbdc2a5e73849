"""The only package that speaks SQL. Every query takes the caller's scope.

Modules: schema (the contract), vocabulary (topics, categories, roles, KPI keys, labels),
engine, scope, regions, metrics, grid, quality, health, cache, privacy, stats (pure math),
load (writes of the seed/simulator), timeutil. It imports nothing from the layers above
(tests/test_imports.py); what it needs from them (the text model) is handed in.
"""
from sqlalchemy.exc import SQLAlchemyError as DatabaseError  # the database did not answer

from . import rollups  # noqa: F401 - its tables join `schema.metadata` before create_schema runs
from .scope import BadRegionCode, NotInScope, OutOfScope, Region, RegionError, RegionNotFound, Scope

__all__ = ["BadRegionCode", "DatabaseError", "NotInScope", "OutOfScope", "Region", "RegionError", "RegionNotFound",
           "Scope"]
