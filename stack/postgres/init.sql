-- Roles and databases of the dev stack; safe to run on every start.
-- The application role owns its database but is not a superuser.
SELECT 'CREATE ROLE orderflow LOGIN PASSWORD ''orderflow'' NOSUPERUSER NOCREATEDB NOCREATEROLE'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'orderflow') \gexec
SELECT 'CREATE ROLE registry LOGIN PASSWORD ''registry'' NOSUPERUSER NOCREATEDB NOCREATEROLE'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'registry') \gexec
SELECT 'CREATE DATABASE orderflow OWNER orderflow'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'orderflow') \gexec
SELECT 'CREATE DATABASE registry OWNER registry'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'registry') \gexec

-- The audit log (Kafka Connect's JDBC sink) writes as a role of its own into schema `audit`
-- of the orderflow database, which it owns; the application role may read it, never write.
SELECT 'CREATE ROLE audit_writer LOGIN PASSWORD ''audit_writer'' NOSUPERUSER NOCREATEDB NOCREATEROLE'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'audit_writer') \gexec
\connect orderflow
SET client_min_messages = warning;
CREATE SCHEMA IF NOT EXISTS audit AUTHORIZATION audit_writer;
-- The sink names its tables without a schema; they land in audit.
ALTER ROLE audit_writer IN DATABASE orderflow SET search_path = audit;
GRANT USAGE ON SCHEMA audit TO orderflow;
ALTER DEFAULT PRIVILEGES FOR ROLE audit_writer IN SCHEMA audit GRANT SELECT ON TABLES TO orderflow;
GRANT SELECT ON ALL TABLES IN SCHEMA audit TO orderflow;
