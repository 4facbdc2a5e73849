"""The only package that speaks SQL. Every query takes the caller's scope.

Modules: schema (the contract), engine, scope, regions, metrics, grid, quality,
health, cache, privacy, load (writes of the seed/simulator), timeutil.
"""
from sqlalchemy.exc import SQLAlchemyError as DatabaseError  # the database did not answer

from . import rollups  # noqa: F401 - its tables join `schema.metadata` before create_schema runs
from .scope import BadRegionCode, NotInScope, OutOfScope, Region, RegionError, RegionNotFound, Scope

__all__ = ["BadRegionCode", "DatabaseError", "NotInScope", "OutOfScope", "Region", "RegionError", "RegionNotFound",
           "Scope"]
