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
