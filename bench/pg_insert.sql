-- pg_insert.sql — pgbench script for bench/pg_intake.sh: one durable
-- single-row INSERT per transaction into bench_people, a table shaped like
-- the person row a signup writes (the same columns, an identity id, a
-- unique email). The email's random suffix (up to 9e18) makes a collision
-- (which would stop a pgbench client) vanishingly unlikely.
\set n random(1, 9000000000000000000)
INSERT INTO bench_people (first_name, last_name, email, city, state, zip, issues, why_run, consent_email, consent_sms, consent_share, source, ref_code, created_at, updated_at) VALUES ('Bench', 'Runner' || :client_id, 'bench-' || :client_id || '-' || :n || '@example.org', 'Oakland', 'CA', '94612', 'school_board county', 'Load testing the signup path.', 1, 0, 0, 'bench', NULL, extract(epoch from now())::bigint, extract(epoch from now())::bigint);
