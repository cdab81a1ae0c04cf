-- people_data.sql — generates the people-list benchmark's data set directly
-- in SQLite (bench/people.sh runs it with the sqlite3 shell on a database
-- made by `onramp migrate`): BENCH_PEOPLE_N people (1,000,000 by default;
-- people.sh puts the number in the temp table bench_n first), written as
-- the product writes a signup:
--   people          names from small tables of common first and last names
--                   (so a name prefix finds thousands, as in real data),
--                   one of 50 states with a city and a ZIP of that state,
--                   six sources, signups spread over three years;
--   person_emails   one per person, normalized (lower case), unique;
--   person_phones   three people in four, E.164 (+1 and ten digits), unique;
--   person_choices  one to three office interests, and help wanted for half;
-- and then the search index, where onramp keeps it on SQLite: in its own
-- file beside the database (DB-search, attached here as schema "search",
-- as onramp attaches it; src/store/store_search_queue.c):
--   people_fts      one row per person, rowid = people.id, exactly as
--                   store_people_fts_refresh() builds it: name "First Last",
--                   contact " email 1NNNNNNNNNN NNNNNNNNNN NNNNNNN" (the
--                   phone's digits, national digits, local seven), zip;
--   search_state    'version' 1 and 'position' the end of people_fts_log
--                   (empty here: a signup logs its person for the indexer,
--                   these rows are written directly), so onramp's indexer
--                   takes the file as current instead of rebuilding it.
-- The intake counters ('people', 'emails', 'phones') are kept by the
-- migration's triggers as rows go in, so they equal a recount at the end
-- (people.sh checks). Deterministic: every value derives from the row
-- number. Uses only the sqlite3 shell and the schema — nothing here is
-- product code.
ATTACH DATABASE (SELECT file FROM pragma_database_list WHERE name = 'main') || '-search'
	AS search;
PRAGMA journal_mode = WAL;
PRAGMA synchronous = OFF;
PRAGMA cache_size = -262144;
PRAGMA search.journal_mode = WAL;
PRAGMA search.synchronous = OFF;
PRAGMA search.cache_size = -262144;
BEGIN;

CREATE TEMP TABLE first_names (k INTEGER PRIMARY KEY, name TEXT NOT NULL);
INSERT INTO first_names (k, name) SELECT key, value FROM json_each('["James","Mary","Robert",
"Patricia","John","Jennifer","Michael","Linda","David","Elizabeth","William","Barbara","Richard",
"Susan","Joseph","Jessica","Thomas","Sarah","Christopher","Karen","Charles","Lisa","Daniel",
"Nancy","Matthew","Betty","Anthony","Sandra","Mark","Margaret","Donald","Ashley","Steven",
"Kimberly","Andrew","Emily","Paul","Donna","Joshua","Michelle","Kenneth","Carol","Kevin",
"Amanda","Brian","Melissa","Timothy","Deborah","Ronald","Stephanie","George","Rebecca","Jason",
"Sharon","Edward","Laura","Jeffrey","Cynthia","Ryan","Dorothy","Jacob","Amy","Nicholas",
"Kathleen","Gary","Angela","Eric","Shirley","Jonathan","Emma","Stephen","Brenda","Larry",
"Pamela","Justin","Nicole","Scott","Anna","Brandon","Samantha","Benjamin","Katherine","Samuel",
"Christine","Gregory","Debra","Alexander","Rachel","Patrick","Carolyn","Frank","Janet",
"Raymond","Maria","Jack","Olivia","Dennis","Heather","Jerry","Helen","Tyler","Catherine",
"Aaron","Diane","Jose","Julie","Adam","Victoria","Nathan","Joyce","Henry","Lauren","Zachary",
"Kelly","Douglas","Christina","Peter","Ruth","Kyle","Joan","Noah","Virginia","Ethan","Judith",
"Jeremy","Evelyn","Christian","Hannah","Walter","Andrea","Keith","Megan","Austin","Cheryl",
"Roger","Jacqueline","Terry","Madison","Sean","Teresa","Gerald","Abigail","Carl","Sophia",
"Dylan","Martha","Harold","Sara","Jordan","Gloria","Jesse","Janice","Bryan","Kathryn",
"Lawrence","Ann","Arthur","Isabella","Gabriel","Judy","Bruce","Charlotte","Logan","Julia",
"Billy","Grace","Joe","Amber","Alan","Alice","Juan","Jean","Elijah","Denise","Willie",
"Frances","Albert","Danielle","Wayne","Marilyn","Randy","Natalie","Mason","Beverly","Vincent",
"Diana","Liam","Brittany","Roy","Theresa","Bobby","Kayla","Caleb","Alexis","Bradley",
"Doris","Russell","Lori","Lucas","Tiffany","Aisha","Mei","Priya","Luis","Ana","Wei","Fatima",
"Diego","Keisha","Omar","Lucia","Hiroshi","Leila","Tomas","Ngozi","Rahul","Camila","Dmitri",
"Yusuf","Imani","Mateo","Sofia","Kwame","Nadia","Javier","Ximena"]');
CREATE TEMP TABLE last_names (k INTEGER PRIMARY KEY, name TEXT NOT NULL);
INSERT INTO last_names (k, name) SELECT key, value FROM json_each('["Smith","Johnson","Williams",
"Brown","Jones","Garcia","Miller","Davis","Rodriguez","Martinez","Hernandez","Lopez","Gonzalez",
"Wilson","Anderson","Thomas","Taylor","Moore","Jackson","Martin","Lee","Perez","Thompson",
"White","Harris","Sanchez","Clark","Ramirez","Lewis","Robinson","Walker","Young","Allen",
"King","Wright","Scott","Torres","Nguyen","Hill","Flores","Green","Adams","Nelson","Baker",
"Hall","Rivera","Campbell","Mitchell","Carter","Roberts","Gomez","Phillips","Evans","Turner",
"Diaz","Parker","Cruz","Edwards","Collins","Reyes","Stewart","Morris","Morales","Murphy",
"Cook","Rogers","Gutierrez","Ortiz","Morgan","Cooper","Peterson","Bailey","Reed","Kelly",
"Howard","Ramos","Kim","Cox","Ward","Richardson","Watson","Brooks","Chavez","Wood","James",
"Bennett","Gray","Mendoza","Ruiz","Hughes","Price","Alvarez","Castillo","Sanders","Patel",
"Myers","Long","Ross","Foster","Jimenez","Powell","Jenkins","Perry","Russell","Sullivan",
"Bell","Coleman","Butler","Henderson","Barnes","Gonzales","Fisher","Vasquez","Simmons",
"Romero","Jordan","Patterson","Alexander","Hamilton","Graham","Reynolds","Griffin","Wallace",
"Moreno","West","Cole","Hayes","Bryant","Herrera","Gibson","Ellis","Tran","Medina","Aguilar",
"Stevens","Murray","Ford","Castro","Marshall","Owens","Harrison","Fernandez","McDonald",
"Woods","Washington","Kennedy","Wells","Vargas","Henry","Chen","Freeman","Webb","Tucker",
"Guzman","Burns","Crawford","Olson","Simpson","Porter","Hunter","Gordon","Mendez","Silva",
"Shaw","Snyder","Mason","Dixon","Munoz","Hunt","Hicks","Holmes","Palmer","Wagner","Black",
"Robertson","Boyd","Rose","Stone","Salazar","Fox","Warren","Mills","Meyer","Rice","Schmidt",
"Garza","Daniels","Ferguson","Nichols","Stephens","Soto","Weaver","Ryan","Gardner","Payne",
"Grant","Dunn","Kelley","Spencer","Hawkins","Arnold","Pierce","Vazquez","Hansen","Peters",
"Santos","Hart","Bradley","Knight","Elliott","Cunningham","Duncan","Armstrong","Hudson",
"Carroll","Lane","Riley","Andrews","Alvarado","Ray","Delgado","Berry","Perkins","Hoffman",
"Johnston","Matthews","Pena","Richards","Contreras","Willis","Carpenter","Lawrence","Sandoval",
"Okafor","Yamamoto","Kowalski","Nakamura","Haddad","Abdullah","Novak","Singh","Oyelaran"]');
-- (state, city, first ZIP of the city's range, ZIPs in the range, area code)
CREATE TEMP TABLE places (k INTEGER PRIMARY KEY, state TEXT, city TEXT, zip0 INTEGER,
                          nzip INTEGER, area INTEGER);
INSERT INTO places (k, state, city, zip0, nzip, area)
SELECT key, json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'),
       json_extract(value, '$[3]'), json_extract(value, '$[4]')
FROM json_each('[["AL","Birmingham",35203,40,205],["AK","Anchorage",99501,20,907],
["AZ","Phoenix",85003,90,602],["AR","Little Rock",72201,20,501],["CA","Los Angeles",90001,90,213],
["CA","Oakland",94601,20,510],["CA","San Diego",92101,60,619],["CO","Denver",80202,40,303],
["CT","Hartford",6103,20,860],["DE","Wilmington",19801,10,302],["FL","Miami",33101,90,305],
["FL","Orlando",32801,30,407],["GA","Atlanta",30303,60,404],["HI","Honolulu",96813,20,808],
["ID","Boise",83702,10,208],["IL","Chicago",60601,60,312],["IN","Indianapolis",46204,30,317],
["IA","Des Moines",50309,20,515],["KS","Wichita",67202,20,316],["KY","Louisville",40202,30,502],
["LA","New Orleans",70112,30,504],["ME","Portland",4101,10,207],["MD","Baltimore",21201,30,410],
["MA","Boston",2108,30,617],["MI","Detroit",48201,40,313],["MN","Minneapolis",55401,30,612],
["MS","Jackson",39201,15,601],["MO","St. Louis",63101,40,314],["MT","Billings",59101,10,406],
["NE","Omaha",68102,20,402],["NV","Las Vegas",89101,40,702],["NH","Manchester",3101,10,603],
["NJ","Newark",7102,20,973],["NM","Albuquerque",87102,20,505],["NY","New York",10001,90,212],
["NY","Buffalo",14201,20,716],["NC","Charlotte",28202,40,704],["ND","Fargo",58102,10,701],
["OH","Columbus",43215,40,614],["OH","Cleveland",44101,30,216],["OK","Tulsa",74103,20,918],
["OR","Portland",97201,30,503],["PA","Philadelphia",19102,50,215],["PA","Pittsburgh",15201,30,412],
["RI","Providence",2903,10,401],["SC","Columbia",29201,20,803],["SD","Sioux Falls",57103,10,605],
["TN","Nashville",37201,30,615],["TX","Houston",77002,90,713],["TX","Austin",78701,40,512],
["TX","Dallas",75201,50,214],["UT","Salt Lake City",84101,20,801],["VT","Burlington",5401,5,802],
["VA","Richmond",23219,30,804],["WA","Seattle",98101,40,206],["WV","Charleston",25301,10,304],
["WI","Milwaukee",53202,30,414],["WY","Cheyenne",82001,5,307],["DC","Washington",20001,20,202]]');
CREATE TEMP TABLE offices (k INTEGER PRIMARY KEY, code TEXT NOT NULL);
INSERT INTO offices (k, code) SELECT key, value FROM json_each('["school_board","city_council",
"county","state_legislature","judicial","election_admin","other","dont_know"]');
CREATE TEMP TABLE helps (k INTEGER PRIMARY KEY, code TEXT NOT NULL);
INSERT INTO helps (k, code) SELECT key, value FROM json_each('["training","mentorship",
"seed_money","networking","finding_race"]');

-- One row per person: its name and place picked by multiplicative hashes
-- of the row number (so neighbours differ), its signup time spread evenly
-- over three years up to the start of the run.
CREATE TEMP TABLE gen AS
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < (SELECT n FROM bench_n)),
sizes AS (SELECT (SELECT count(*) FROM first_names) AS nf, (SELECT count(*) FROM last_names) AS nl,
                 (SELECT count(*) FROM places) AS np)
SELECT i, (i * 7919) % nf AS fk, (i * 104729 + i / 7) % nl AS lk, (i * 31337 + i / 13) % np AS pk
FROM n, sizes;

INSERT INTO people (id, first_name, last_name, preferred_name, city, state, zip, age_range,
                    source, consent_email, consent_sms, consent_share, created_at, updated_at)
SELECT g.i, f.name, l.name, NULL, pl.city, pl.state,
       printf('%05d', pl.zip0 + (g.i * 13) % pl.nzip),
       CASE g.i % 6 WHEN 0 THEN '18_24' WHEN 1 THEN '25_29' WHEN 2 THEN '30_34'
            WHEN 3 THEN '35_39' ELSE '40_plus' END,
       CASE g.i % 7 WHEN 0 THEN 'web' WHEN 1 THEN 'instagram' WHEN 2 THEN 'friend'
            WHEN 3 THEN 'event' WHEN 4 THEN 'newsletter' WHEN 5 THEN 'partner' ELSE NULL END,
       g.i % 5 <> 0, g.i % 3 = 0, g.i % 2,
       (SELECT t FROM bench_now) - 94608000 + g.i * 94608000 / (SELECT n FROM bench_n),
       (SELECT t FROM bench_now) - 94608000 + g.i * 94608000 / (SELECT n FROM bench_n)
FROM gen g JOIN first_names f ON f.k = g.fk JOIN last_names l ON l.k = g.lk
JOIN places pl ON pl.k = g.pk
ORDER BY g.i;

INSERT INTO person_emails (email, person_id, created_at)
SELECT lower(p.first_name) || '.' || lower(p.last_name) || p.id || '@'
       || CASE p.id % 5 WHEN 0 THEN 'gmail.com' WHEN 1 THEN 'yahoo.com' WHEN 2 THEN 'outlook.com'
               WHEN 3 THEN 'icloud.com' ELSE 'example.org' END,
       p.id, p.created_at
FROM people p ORDER BY p.id;

-- Unique by construction: the seven local digits are the row number
-- plus 2,000,000 (people.sh keeps BENCH_PEOPLE_N below 8,000,000).
INSERT INTO person_phones (phone, person_id, created_at)
SELECT '+1' || pl.area || printf('%07d', 2000000 + g.i), g.i,
       (SELECT created_at FROM people WHERE id = g.i)
FROM gen g JOIN places pl ON pl.k = g.pk WHERE g.i % 4 <> 0 ORDER BY g.i;

INSERT INTO person_choices (person_id, field, code)
SELECT g.i, 'office_interests', o.code FROM gen g JOIN offices o ON o.k = g.i % 8;
INSERT INTO person_choices (person_id, field, code)
SELECT g.i, 'office_interests', o.code FROM gen g JOIN offices o ON o.k = (g.i / 8 + 3) % 8
WHERE g.i % 3 = 0 AND (g.i / 8 + 3) % 8 <> g.i % 8;
INSERT INTO person_choices (person_id, field, code)
SELECT g.i, 'help_wanted', h.code FROM gen g JOIN helps h ON h.k = g.i % 5 WHERE g.i % 2 = 0;

COMMIT;

-- The index file, as the indexer creates it (store_search_queue.c); an
-- index already there (`onramp migrate` leaves the file empty) is replaced.
BEGIN;
DROP TABLE IF EXISTS search.people_fts;
CREATE VIRTUAL TABLE search.people_fts USING fts5(name, contact, zip,
	tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3');
CREATE TABLE IF NOT EXISTS search.search_state (k TEXT PRIMARY KEY, v INTEGER NOT NULL)
	WITHOUT ROWID;
INSERT INTO search.people_fts (rowid, name, contact, zip)
SELECT p.id, p.first_name || ' ' || p.last_name,
       ' ' || e.email || COALESCE(' ' || substr(h.phone, 2) || ' ' || substr(h.phone, 3)
                                  || ' ' || substr(h.phone, 6), ''),
       p.zip
FROM people p JOIN person_emails e ON e.person_id = p.id
LEFT JOIN person_phones h ON h.person_id = p.id
ORDER BY p.id;
DELETE FROM search.search_state;
INSERT INTO search.search_state (k, v) VALUES ('version', 1);
INSERT INTO search.search_state (k, v)
SELECT 'position', coalesce((SELECT max(seq) FROM people_fts_log), 0);
COMMIT;
