-- pipeline_data.sql — generates the pipeline benchmark's data set directly in
-- SQLite (bench/pipeline.sh runs it with the sqlite3 shell on a migrated
-- database whose first volunteer is the account the benchmark signs in as):
-- 100,000 people spread over two years, 20 states, 6 sources; each person
-- in the pipeline with ten stage moves (1,000,000 stage events in all) whose
-- times in stage vary; 200 volunteer accounts (not able to log in) plus the
-- benchmark's own, which gets 400 people in its call queue and 200 open
-- tasks. Deterministic: every value derives from the row number.
PRAGMA journal_mode = WAL;
PRAGMA synchronous = OFF;
BEGIN;
INSERT INTO users (email, password_hash, role, disabled, created_at, password_changed_at)
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200)
SELECT 'bench.vol' || i || '@example.org', '!', 'volunteer', 0, 0, 0 FROM n;

INSERT INTO people (id, first_name, last_name, state, zip, source, consent_email, created_at, updated_at)
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
SELECT i, 'First' || i, 'Last' || (i % 997),
       substr('WIMNIAILMIOHPAGANCVAAZCOTXCANYFLWAORNVNM', 1 + 2 * (i % 20), 2),
       printf('%05d', 10000 + i % 89999),
       CASE i % 6 WHEN 0 THEN 'web' WHEN 1 THEN 'instagram' WHEN 2 THEN 'friend'
            WHEN 3 THEN 'event' WHEN 4 THEN 'newsletter' ELSE NULL END,
       1, CAST(strftime('%s', 'now') AS INTEGER) - 63072000 + i * 630, 0
FROM n;
UPDATE people SET updated_at = created_at;

-- Ten moves per person along the first stages (funnel and side exits), each
-- after a stay that depends on the person and the step.
INSERT INTO stage_events (person_id, from_stage_id, to_stage_id, at, reason, time_in_from)
WITH RECURSIVE k(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM k WHERE j < 9),
st AS (SELECT id, row_number() OVER (ORDER BY position) - 1 AS r FROM pipeline_stages),
nst AS (SELECT count(*) AS c FROM pipeline_stages)
SELECT p.id,
       CASE WHEN k.j = 0 THEN NULL ELSE (SELECT id FROM st WHERE r = (p.id + k.j - 1) % (SELECT c FROM nst)) END,
       (SELECT id FROM st WHERE r = (p.id + k.j) % (SELECT c FROM nst)),
       p.created_at + k.j * 3600 * (1 + p.id % 50),
       'bench',
       CASE WHEN k.j = 0 THEN NULL ELSE 3600 * (1 + p.id % 50) END
FROM people p, k;

INSERT INTO person_pipeline (person_id, stage_id, stage_since, max_position, signup_month,
                             assignee_id, assigned_at, first_call_at, last_call_at, entered_at)
SELECT p.id,
       (SELECT to_stage_id FROM stage_events e WHERE e.person_id = p.id ORDER BY e.at DESC LIMIT 1),
       p.created_at + 9 * 3600 * (1 + p.id % 50),
       (SELECT max(s.position) FROM stage_events e JOIN pipeline_stages s ON s.id = e.to_stage_id
        WHERE e.person_id = p.id AND s.funnel = 1),
       strftime('%Y-%m', p.created_at, 'unixepoch'),
       (SELECT min(id) FROM users WHERE role = 'volunteer') + p.id % 201,
       p.created_at,
       CASE WHEN p.id % 3 = 0 THEN NULL ELSE p.created_at + 86400 END,
       CASE WHEN p.id % 3 = 0 THEN NULL ELSE p.created_at + 86400 END,
       p.created_at
FROM people p;

-- The benchmark volunteer (the first volunteer, created before this script):
-- 400 people in its queue, 200 of them with an open task.
UPDATE person_pipeline SET assignee_id = (SELECT min(id) FROM users WHERE role = 'volunteer'),
       stage_id = (SELECT id FROM pipeline_stages WHERE code = 'signed_up')
WHERE person_id % 250 = 7;
INSERT INTO tasks (person_id, assignee_id, title, due_at, created_by, created_at)
SELECT person_id, assignee_id, 'Call back', entered_at + 30 * 86400, assignee_id, entered_at
FROM person_pipeline WHERE person_id % 500 = 7;
INSERT INTO person_phones (phone, person_id, created_at)
SELECT '+1608555' || printf('%04d', person_id % 10000) || person_id, person_id, 0
FROM person_pipeline WHERE person_id % 250 = 7;
-- Each volunteer's queue size, kept by onramp as assignments change
-- (migration 14), counted once here for the rows written above.
DELETE FROM volunteer_load;
INSERT INTO volunteer_load (user_id, queued)
SELECT pp.assignee_id, count(*) FROM person_pipeline pp
JOIN pipeline_stages st ON st.id = pp.stage_id
WHERE pp.assignee_id IS NOT NULL AND st.in_queue = 1 GROUP BY pp.assignee_id;
COMMIT;
ANALYZE;
