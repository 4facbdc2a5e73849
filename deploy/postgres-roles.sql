-- PostgreSQL roles for the dashboard (docs/deployment.md). Run as a superuser on the primary:
--   psql -d governance -v app_password="'...'" -f deploy/postgres-roles.sql
-- redgrid_app: reads the shared tables, writes only the dashboard's own ones.
-- redgrid_ro:  reads everything (the read-only role for replicas, reporting and the API).
CREATE ROLE redgrid_app LOGIN PASSWORD :app_password;
CREATE ROLE redgrid_ro NOLOGIN;
GRANT CONNECT ON DATABASE governance TO redgrid_app, redgrid_ro;
GRANT USAGE ON SCHEMA public TO redgrid_app, redgrid_ro;
GRANT SELECT ON region, grid_worker, incident, patrol, key_person, visit, appeal, wechat_group, grid_state,
    household, person, enterprise, place, organization, inspection  -- the register (docs/schema.md)
    TO redgrid_app, redgrid_ro;
-- The dashboard-owned tables: created and migrated by their owner before the app starts
-- (`python -m dashboard migrate --db URL`, Alembic, data_access/migrations); the app only
-- reads the version table to see that the schema is current.
-- Every one of them is listed (tests/test_deploy_roles.py fails when a new table is not).
GRANT SELECT, INSERT, UPDATE, DELETE ON dashboard_meta, warning, warning_action, warning_silence,
    app_user, kiosk_token, app_session, appeal_reading, wall_assignment,
    alert_channel, alert_delivery, alert_delivery_log, handover, handover_signoff,
    incident_case, case_action, assessment_weights, briefing_build,
    rollup_incident_day, rollup_appeal_day, rollup_patrol_last, rollup_check TO redgrid_app;
GRANT SELECT, INSERT ON audit_log TO redgrid_app;  -- append-only for the app
GRANT SELECT ON dashboard_alembic_version TO redgrid_app;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO redgrid_ro;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO redgrid_app;
ALTER ROLE redgrid_app SET statement_timeout = '15s';
ALTER ROLE redgrid_ro SET default_transaction_read_only = on;
