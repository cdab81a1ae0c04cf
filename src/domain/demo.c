/*
 * demo.c — the demo dataset. See demo.h.
 *
 * Two steps. First, on the calling thread, a seeded generator plans every
 * submission as a small record: who (indexes into the name and city lists),
 * the email and phone as typed, when it was received, and a seed for the
 * rest of the answers. Identity is decided here, once, so it is the same for
 * a seed whatever the threads do: every new person gets an email and a
 * phone nobody else has (a hash set guards the emails; phones come from a
 * counter per area code), repeats reuse their person's email and phone in
 * another spelling, and conflicts pair one person's email with another's
 * phone. Second, worker threads turn records into answers (from each
 * record's own seed, so the order of threads does not matter), validate
 * them with person_validate() and store them with people_signup().
 *
 * New people are stored before any repeat or conflict starts (the workers
 * are joined in between), so every repeat finds its person and every
 * conflict finds both of its people: the outcomes are deterministic too.
 *
 * The emails are at common providers, as asked of a realistic demo; Onramp
 * never sends email, and demo data must never be exported to a mail tool.
 *
 * Threading: demo_load() starts and joins its own workers; the lists are
 * constant; the planning state belongs to the calling thread.
 */
#include "domain/demo.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "domain/people.h"
#include "domain/person.h"
#include "lib/limits.h"
#include "lib/log.h"

#define DEMO_THREADS      8
#define DEMO_SPAN_SECONDS (548LL * 24 * 60 * 60)   /* about 18 months */
#define DEMO_EMAIL_MAX    72
#define DEMO_PHONE_MAX    24
#define DEMO_PEOPLE_MAX   10000000

/* ---- the lists ---- */

/* Names as shown; "|ascii" gives the letters for an email when the name
 * has letters an address cannot carry. */
static const char *const demo_first_names[] = {
	"Aaliyah", "Aarav", "Abdul", "Adriana", "Ahmed", "Aiko", "Aisha", "Alejandro", "Alex",
	"Alicia", "Amara", "Amir", "Ana", "Andre", "Angela", "Anh", "Anjali", "Antonio", "Ari",
	"Ayesha", "Bao", "Beatriz", "Benjamin", "Bianca", "Brandon", "Brianna", "Camila", "Carlos",
	"Carmen", "Catalina", "Chen", "Chidi", "Chloe", "Christopher", "Daniela", "Darius", "David",
	"Deja", "Deshawn", "Diego", "Dmitri", "Elena", "Elif", "Elijah", "Emily", "Emmanuel",
	"Esperanza", "Fatima", "Felipe", "Gabriel", "Grace", "Guadalupe", "Hana", "Hannah",
	"Hector", "Hiroshi", "Ibrahim", "Imani", "Isabella", "Isaiah", "Jamal", "Jasmine", "Javier",
	"Jayden", "Jennifer", "Jessica", "Jin", "Jordan", "Jos\xC3\xA9|jose", "Joseph", "Juan",
	"Kai", "Kalani", "Kareem", "Keisha", "Kenji", "Kiara", "Kwame", "Lakshmi", "Latoya",
	"Leilani", "Li", "Lucia", "Luis", "Malia", "Marcus", "Mar\303\255a|maria", "Mateo",
	"Maya", "Mei", "Michael", "Miguel", "Mohammed", "Nadia", "Naomi", "Nasir", "Nia",
	"Nicole", "Noah", "Nkechi", "Omar", "Oluwaseun", "Paolo", "Pooja", "Priya", "Rafael",
	"Rashid", "Raven", "Reza", "Rosa", "Ruth", "Sakura", "Samira", "Samuel", "Santiago",
	"Sarah", "Sean", "Sofia", "Sun-Hee|sunhee", "Tamika", "Tariq", "Taylor", "Th\xE1\xBA\xA3o|thao",
	"Tom\xC3\xA1s|tomas", "Trinh", "Tyrone", "Valentina", "Vanessa", "Vikram", "Wei", "Winona",
	"Xavier", "Ximena", "Yara", "Yasmin", "Yusuf", "Zainab", "Zara", "Zo\xC3\xAB|zoe", "Ahanu",
	"Dakota", "Tallulah", "Ayasha", "Makoa", "Noelani", "Siosaia", "Lemalu", "Dolores",
	"Patricia", "Robert", "Linda", "James", "Mary", "William", "Barbara", "Kevin", "Erin",
};

static const char *const demo_last_names[] = {
	"Abara", "Acosta", "Adeyemi", "Aguilar", "Ahmed", "Al-Sayed|alsayed", "Alvarez", "Anderson",
	"Asante", "Baker", "Banerjee", "Begay", "Bell", "Brooks", "Brown", "Castillo", "Chang",
	"Chavez", "Chen", "Cho", "Clark", "Coleman", "Cruz", "Das", "Davis", "Delgado", "Diallo",
	"D\303\255az|diaz", "Dubois", "Edwards", "Eze", "Farah", "Fernandez", "Flores", "Fong",
	"Franklin", "Garcia", "Gonzalez", "Goldberg", "Gupta", "Gutierrez", "Haddad", "Hall",
	"Hernandez", "Hoang", "Huang", "Hussein", "Ibarra", "Ito", "Jackson", "James", "Jefferson",
	"Jenkins", "Johnson", "Jones", "Kahale", "Kaur", "Khan", "Kim", "Kowalski", "Kumar", "Lee",
	"Lewis", "Li", "Lin", "Littlefeather", "L\xC3\xB3pez|lopez", "Mahmoud", "Martin",
	"Martinez", "Mendoza", "Miller", "Mitchell", "Moreno", "Morales", "Murphy", "Nakamura",
	"Ng", "Nguyen", "Novak", "Nwosu", "Obi", "O'Brien|obrien", "O'Connor|oconnor", "Okafor",
	"Okonkwo", "Olsen", "Ortiz", "Owusu", "Park", "Patel", "Perez", "Petrov", "Pham", "Phillips",
	"Ramirez", "Ramos", "Reddy", "Reyes", "Rivera", "Robinson", "Rodriguez", "Romero", "Rossi",
	"Sanchez", "Santos", "Schmidt", "Shah", "Silva", "Singh", "Smith", "Soto", "Suarez",
	"Sullivan", "Tahir", "Tanaka", "Taylor", "Thomas", "Thompson", "Torres", "Tran", "Tsosie",
	"Turner", "Vargas", "Vasquez", "Vu", "Walker", "Washington", "Watanabe", "White",
	"Williams", "Wilson", "Wong", "Wright", "Wu", "Yamamoto", "Yang", "Yazzie", "Young",
	"Zhang", "Zhao", "Kealoha", "Tuiasosopo", "Mejia", "Whitehorse", "Osei", "Nakagawa",
	"Baptiste", "Jean-Louis|jeanlouis", "Haile", "Tesfaye", "Kovac", "Andersen",
};

struct demo_city {
	const char *city, *state, *zip, *area;
	int weight;   /* a rough share of signups */
};

static const struct demo_city demo_cities[] = {
	{ "Birmingham", "AL", "35203", "205", 2 },    { "Anchorage", "AK", "99501", "907", 1 },
	{ "Phoenix", "AZ", "85004", "602", 4 },       { "Tucson", "AZ", "85701", "520", 2 },
	{ "Little Rock", "AR", "72201", "501", 1 },   { "Los Angeles", "CA", "90012", "213", 6 },
	{ "Oakland", "CA", "94612", "510", 3 },       { "Fresno", "CA", "93721", "559", 2 },
	{ "San Diego", "CA", "92101", "619", 3 },     { "Sacramento", "CA", "95814", "916", 2 },
	{ "Denver", "CO", "80202", "303", 3 },        { "Pueblo", "CO", "81003", "719", 1 },
	{ "Hartford", "CT", "06103", "860", 1 },      { "Wilmington", "DE", "19801", "302", 1 },
	{ "Washington", "DC", "20001", "202", 2 },    { "Miami", "FL", "33130", "305", 4 },
	{ "Orlando", "FL", "32801", "407", 3 },       { "Tampa", "FL", "33602", "813", 2 },
	{ "Atlanta", "GA", "30303", "404", 4 },       { "Savannah", "GA", "31401", "912", 1 },
	{ "Honolulu", "HI", "96813", "808", 1 },      { "Boise", "ID", "83702", "208", 1 },
	{ "Chicago", "IL", "60602", "312", 5 },       { "Springfield", "IL", "62701", "217", 1 },
	{ "Indianapolis", "IN", "46204", "317", 2 },  { "Des Moines", "IA", "50309", "515", 1 },
	{ "Wichita", "KS", "67202", "316", 1 },       { "Louisville", "KY", "40202", "502", 2 },
	{ "New Orleans", "LA", "70112", "504", 2 },   { "Portland", "ME", "04101", "207", 1 },
	{ "Baltimore", "MD", "21202", "410", 2 },     { "Boston", "MA", "02108", "617", 3 },
	{ "Worcester", "MA", "01608", "508", 1 },     { "Detroit", "MI", "48226", "313", 3 },
	{ "Grand Rapids", "MI", "49503", "616", 1 },  { "Minneapolis", "MN", "55401", "612", 2 },
	{ "Jackson", "MS", "39201", "601", 1 },       { "St. Louis", "MO", "63101", "314", 2 },
	{ "Kansas City", "MO", "64106", "816", 2 },   { "Billings", "MT", "59101", "406", 1 },
	{ "Omaha", "NE", "68102", "402", 1 },         { "Las Vegas", "NV", "89101", "702", 2 },
	{ "Reno", "NV", "89501", "775", 1 },          { "Manchester", "NH", "03101", "603", 1 },
	{ "Newark", "NJ", "07102", "973", 2 },        { "Albuquerque", "NM", "87102", "505", 2 },
	{ "New York", "NY", "10001", "212", 6 },      { "Brooklyn", "NY", "11201", "718", 4 },
	{ "Buffalo", "NY", "14202", "716", 1 },       { "Charlotte", "NC", "28202", "704", 2 },
	{ "Durham", "NC", "27701", "919", 2 },        { "Fargo", "ND", "58102", "701", 1 },
	{ "Columbus", "OH", "43215", "614", 2 },      { "Cleveland", "OH", "44113", "216", 2 },
	{ "Oklahoma City", "OK", "73102", "405", 1 }, { "Tulsa", "OK", "74103", "918", 1 },
	{ "Portland", "OR", "97204", "503", 2 },      { "Philadelphia", "PA", "19107", "215", 4 },
	{ "Pittsburgh", "PA", "15222", "412", 2 },    { "Providence", "RI", "02903", "401", 1 },
	{ "Columbia", "SC", "29201", "803", 1 },      { "Sioux Falls", "SD", "57104", "605", 1 },
	{ "Nashville", "TN", "37203", "615", 2 },     { "Memphis", "TN", "38103", "901", 2 },
	{ "Houston", "TX", "77002", "713", 5 },       { "San Antonio", "TX", "78205", "210", 3 },
	{ "El Paso", "TX", "79901", "915", 2 },       { "Austin", "TX", "78701", "512", 3 },
	{ "Dallas", "TX", "75201", "214", 3 },        { "Salt Lake City", "UT", "84111", "801", 1 },
	{ "Burlington", "VT", "05401", "802", 1 },    { "Richmond", "VA", "23219", "804", 2 },
	{ "Seattle", "WA", "98104", "206", 3 },       { "Spokane", "WA", "99201", "509", 1 },
	{ "Charleston", "WV", "25301", "304", 1 },    { "Milwaukee", "WI", "53202", "414", 2 },
	{ "Madison", "WI", "53703", "608", 1 },       { "Cheyenne", "WY", "82001", "307", 1 },
	{ "San Juan", "PR", "00901", "787", 1 },
};

struct demo_weighted {
	const char *value;
	int weight;
};

static const struct demo_weighted demo_domains[] = {
	{ "gmail.com", 46 }, { "yahoo.com", 12 }, { "outlook.com", 8 }, { "hotmail.com", 7 },
	{ "icloud.com", 9 }, { "aol.com", 3 }, { "proton.me", 3 }, { "comcast.net", 4 },
	{ "att.net", 2 }, { "me.com", 2 }, { "live.com", 2 }, { "msn.com", 1 },
	{ NULL, 0 },
};

static const struct demo_weighted demo_sources[] = {
	{ "website", 45 }, { "instagram", 20 }, { "partner_x", 15 }, { "run_for_office_day", 14 },
	{ "tv", 6 }, { NULL, 0 },
};

static const struct demo_weighted demo_age_ranges[] = {
	{ "under_18", 3 }, { "18_24", 15 }, { "25_29", 18 }, { "30_34", 20 }, { "35_39", 17 },
	{ "40_plus", 27 }, { NULL, 0 },
};

static const struct demo_weighted demo_offices[] = {
	{ "school_board", 30 }, { "city_council", 28 }, { "county", 12 },
	{ "state_legislature", 10 }, { "judicial", 3 }, { "election_admin", 4 }, { "other", 5 },
	{ "dont_know", 8 }, { NULL, 0 },
};

static const struct demo_weighted demo_help[] = {
	{ "training", 30 }, { "mentorship", 22 }, { "seed_money", 18 }, { "networking", 16 },
	{ "finding_race", 14 }, { NULL, 0 },
};

static const struct demo_weighted demo_genders[] = {
	{ "woman", 52 }, { "man", 37 }, { "nonbinary", 5 }, { "self_describe", 1 },
	{ "prefer_not", 5 }, { NULL, 0 },
};

static const struct demo_weighted demo_races[] = {
	{ "american_indian_alaska_native", 3 }, { "asian", 12 }, { "black", 20 },
	{ "hispanic_latino", 20 }, { "middle_eastern_north_african", 4 },
	{ "native_hawaiian_pacific_islander", 2 }, { "white", 36 }, { "self_describe", 1 },
	{ "prefer_not", 2 }, { NULL, 0 },
};

static const struct demo_weighted demo_yes_no[] = {
	{ "yes", 25 }, { "no", 65 }, { "prefer_not", 10 }, { NULL, 0 },
};

static const char *const demo_streets[] = {
	"Main St", "Oak Ave", "Maple St", "Cedar Ln", "Washington Blvd", "Park Ave", "Elm St",
	"Lincoln Way", "MLK Jr Blvd", "Chavez Ave", "2nd St", "Lakeview Dr", "Pine St",
	"Jefferson Ave", "Sunset Blvd", "River Rd", "Highland Ave", "Church St", "Mill St",
	"Union St",
};

static const char *const demo_issues[] = {
	"affordable housing", "public schools", "public transit", "climate and clean energy",
	"public safety", "small business", "health care access", "child care", "voting access",
	"parks and libraries", "water quality", "broadband", "immigrant rights", "jobs and wages",
	"police accountability", "reproductive rights", "mental health", "road repair",
	"homelessness", "disability access",
};

static const char *const demo_why_open[] = {
	"I've lived in this community for years and",
	"As a parent of two kids in public school,",
	"After speaking up at too many meetings,",
	"As a nurse,",
	"As a small business owner,",
	"I grew up here and",
	"As a teacher,",
	"After the last election,",
	"As a renter,",
	"As a veteran,",
	"My neighbors keep telling me",
	"As a first-generation college graduate,",
};

static const char *const demo_why_middle[] = {
	" I see decisions made without the people they affect.",
	" I know our schools need leaders who listen to families.",
	" I want rents that working people can afford.",
	" I think our city council should look like our city.",
	" I want buses that come on time and streets that are safe to walk.",
	" nobody ran against the incumbent last time, and that isn't right.",
	" I want local government to be open and easy to reach.",
	" I know what it takes to stretch a budget.",
	" I believe young people belong at the table.",
	" I want our kids to breathe clean air.",
	" I care about making voting easier, not harder.",
	" I'm tired of waiting for someone else to step up.",
};

static const char *const demo_why_close[] = {
	" I'm ready to learn how to run.",
	" I'd like help figuring out which seat makes sense.",
	" I don't know where to start, but I want to try.",
	" I want to run in the next cycle.",
	" I'd love to talk with someone who has done it.",
	"",
	" My family is behind me.",
	" I have a lot to learn and I'm ready.",
};

static const char *const demo_pronouns[] = {
	"she/her", "he/him", "they/them", "she/they", "he/they",
};

static const char *const demo_nicknames[] = {
	"Sam", "Alex", "Jo", "Chris", "Dani", "Nico", "Tess", "Max", "Kit", "Lu", "Bea", "Manny",
};

#define DEMO_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- a small seeded generator (splitmix64) ---- */

struct demo_rng {
	uint64_t s;
};

static uint64_t demo_next(struct demo_rng *r)
{
	uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* A number in [0, n), n > 0. The modulo bias is < n / 2^64: nothing here. */
static size_t demo_below(struct demo_rng *r, size_t n)
{
	return (size_t)(demo_next(r) % n);
}

/* 1 with probability pct percent. */
static int demo_chance(struct demo_rng *r, int pct)
{
	return (int)demo_below(r, 100) < pct;
}

/* A uniform double in [0, 1). */
static double demo_unit(struct demo_rng *r)
{
	return (double)(demo_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

static size_t demo_pick_weighted_index(struct demo_rng *r, const struct demo_weighted *w)
{
	size_t i;
	int total = 0, x;

	for (i = 0; w[i].value != NULL; i++)
		total += w[i].weight;
	x = (int)demo_below(r, (size_t)total);
	for (i = 0; w[i].value != NULL; i++) {
		if (x < w[i].weight)
			return i;
		x -= w[i].weight;
	}
	return 0;
}

static const char *demo_pick_weighted(struct demo_rng *r, const struct demo_weighted *w)
{
	return w[demo_pick_weighted_index(r, w)].value;
}

static size_t demo_pick_city(struct demo_rng *r)
{
	size_t i;
	int total = 0, x;

	for (i = 0; i < DEMO_COUNT(demo_cities); i++)
		total += demo_cities[i].weight;
	x = (int)demo_below(r, (size_t)total);
	for (i = 0; i < DEMO_COUNT(demo_cities); i++) {
		if (x < demo_cities[i].weight)
			return i;
		x -= demo_cities[i].weight;
	}
	return 0;
}

/* ---- names ---- */

/* Writes the display part of a "Name|ascii" entry into out. */
static void demo_name_display(const char *entry, char *out, size_t outlen)
{
	const char *bar = strchr(entry, '|');
	size_t n = bar ? (size_t)(bar - entry) : strlen(entry);

	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, entry, n);
	out[n] = '\0';
}

/* Writes the lower-case ASCII letters of a name entry, for an email. */
static void demo_name_ascii(const char *entry, char *out, size_t outlen)
{
	const char *bar = strchr(entry, '|');
	const char *s = bar ? bar + 1 : entry;
	size_t n = 0;

	for (; *s != '\0' && *s != '|' && n + 1 < outlen; s++) {
		char c = *s;
		if (c >= 'A' && c <= 'Z')
			out[n++] = (char)(c - 'A' + 'a');
		else if (c >= 'a' && c <= 'z')
			out[n++] = c;
	}
	out[n] = '\0';
}

/* ---- the plan ---- */

enum demo_kind { DEMO_NEW, DEMO_REPEAT, DEMO_CONFLICT };

struct demo_rec {
	long long      received_at;
	uint64_t       detail_seed;   /* the answers besides identity */
	enum demo_kind kind;
	unsigned       first, last, city;
	char           email[DEMO_EMAIL_MAX];   /* as typed */
	char           phone[DEMO_PHONE_MAX];   /* as typed, "" for none */
	char           phone_digits[11];        /* the 10 digits, "" for none */
};

/* An open-addressing set of the (lower-case) emails handed out. */
struct demo_set {
	char  **slots;
	size_t  cap;
};

static uint64_t demo_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;   /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* Adds s if absent. Returns 1 if added, 0 if it was there, -1 out of memory. */
static int demo_set_add(struct demo_set *set, const char *s)
{
	size_t i = (size_t)(demo_hash(s) & (set->cap - 1));

	while (set->slots[i] != NULL) {
		if (strcmp(set->slots[i], s) == 0)
			return 0;
		i = (i + 1) & (set->cap - 1);
	}
	set->slots[i] = strdup(s);
	return set->slots[i] ? 1 : -1;
}

static void demo_set_free(struct demo_set *set)
{
	size_t i;

	if (set->slots == NULL)
		return;
	for (i = 0; i < set->cap; i++)
		free(set->slots[i]);
	free(set->slots);
}

/* Writes a fresh, unique email for a person. Returns 0 or -1. */
static int demo_plan_email(struct demo_rng *r, struct demo_set *set, const char *first,
                           const char *last, char *out, size_t outlen)
{
	char f[48], l[48], local[100];
	const char *domain = demo_pick_weighted(r, demo_domains);
	int style = (int)demo_below(r, 7), k, try;

	demo_name_ascii(first, f, sizeof f);
	demo_name_ascii(last, l, sizeof l);
	for (try = 0; try < 1000; try++) {
		int num = try == 0 ? -1 : (int)demo_below(r, 90) + 10 + (try / 10) * 100;
		switch (style) {
		case 0:  k = snprintf(local, sizeof local, "%s.%s", f, l); break;
		case 1:  k = snprintf(local, sizeof local, "%s%s", f, l); break;
		case 2:  k = snprintf(local, sizeof local, "%s_%s", f, l); break;
		case 3:  k = snprintf(local, sizeof local, "%c%s", f[0], l); break;
		case 4:  k = snprintf(local, sizeof local, "%s%c", f, l[0]); break;
		case 5:  k = snprintf(local, sizeof local, "%s.%s", l, f); break;
		default: k = snprintf(local, sizeof local, "%s%d", f, (int)demo_below(r, 90) + 10); break;
		}
		if (k < 0 || (size_t)k >= sizeof local)
			return -1;
		if (num >= 0)
			k = snprintf(out, outlen, "%s%d@%s", local, num, domain);
		else
			k = snprintf(out, outlen, "%s@%s", local, domain);
		if (k < 0 || (size_t)k >= outlen)
			return -1;
		k = demo_set_add(set, out);
		if (k < 0)
			return -1;
		if (k == 1)
			return 0;
	}
	return -1;
}

/* Writes the 10 digits of a new phone in a city's area code: 555-0100..0199
 * first (the range set aside for fiction), then 555-2000..9999, then
 * well-formed numbers in other exchanges (never N11) for very large demos.
 * Each number is handed out once. Returns 0 or -1. */
static int demo_plan_phone(size_t city, unsigned *counters, char out[11])
{
	unsigned n = counters[city]++, exchange = 555, line, k;

	if (n < 100) {
		line = 100 + n;
	} else if (n < 8100) {
		line = 2000 + (n - 100);
	} else {
		n -= 8100;
		line = n % 10000;
		exchange = 199;
		for (k = n / 10000 + 1; k > 0; k--) {
			do
				exchange++;
			while (exchange % 100 == 11 || exchange == 555);
		}
		if (exchange > 999)
			return -1;
	}
	if (snprintf(out, 11, "%s%03u%04u", demo_cities[city].area, exchange, line) != 10)
		return -1;
	return 0;
}

/* Writes digits (10) as a person might type them, in one of several formats. */
static void demo_format_phone(const char *d, int style, char *out, size_t outlen)
{
	switch (style % 6) {
	case 0:  snprintf(out, outlen, "(%.3s) %.3s-%.4s", d, d + 3, d + 6); break;
	case 1:  snprintf(out, outlen, "%.3s-%.3s-%.4s", d, d + 3, d + 6); break;
	case 2:  snprintf(out, outlen, "%.3s.%.3s.%.4s", d, d + 3, d + 6); break;
	case 3:  snprintf(out, outlen, "%.10s", d); break;
	case 4:  snprintf(out, outlen, "+1 %.3s %.3s %.4s", d, d + 3, d + 6); break;
	default: snprintf(out, outlen, "1-%.3s-%.3s-%.4s", d, d + 3, d + 6); break;
	}
}

/* Writes email with other letter case: all capitals, or each part capitalized. */
static void demo_recase_email(const char *in, int style, char *out, size_t outlen)
{
	size_t i, n = strlen(in);
	int cap_next = 1;

	if (n >= outlen)
		n = outlen - 1;
	for (i = 0; i < n; i++) {
		char c = in[i];
		if (style % 2 == 0) {
			if (c >= 'a' && c <= 'z')
				c = (char)(c - 'a' + 'A');
		} else {
			if (cap_next && c >= 'a' && c <= 'z')
				c = (char)(c - 'a' + 'A');
			else if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			cap_next = c == '.' || c == '@' || c == '_';
		}
		out[i] = c;
	}
	out[n] = '\0';
}

/* When, counted back from now: most signups are recent (the square of a
 * uniform number leans toward zero), none older than about 18 months. */
static long long demo_plan_time(struct demo_rng *r, long long now)
{
	double u = demo_unit(r);

	return now - (long long)(u * u * (double)DEMO_SPAN_SECONDS) - 60;
}

static int demo_rec_by_time(const void *a, const void *b)
{
	const struct demo_rec *x = a, *y = b;

	if (x->received_at != y->received_at)
		return x->received_at < y->received_at ? -1 : 1;
	return strcmp(x->email, y->email);
}

/* Plans n records: n_new new people, then repeats and conflicts of them.
 * Returns 0 or -1 with err. */
static int demo_plan(struct demo_rec *recs, size_t n, size_t n_new, size_t n_conflict,
                     unsigned seed, long long now, char *err, size_t errlen)
{
	struct demo_rng r = { 0x6F6E72616D70ULL ^ ((uint64_t)seed << 20) ^ seed };
	struct demo_set set = { NULL, 0 };
	unsigned counters[DEMO_COUNT(demo_cities)];
	size_t i, cap = 64;
	int rc = -1;

	memset(counters, 0, sizeof counters);
	while (cap < n_new * 2 + 16)
		cap *= 2;
	set.cap = cap;
	set.slots = calloc(cap, sizeof *set.slots);
	if (set.slots == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}

	for (i = 0; i < n_new; i++) {
		struct demo_rec *p = &recs[i];
		p->kind = DEMO_NEW;
		p->first = (unsigned)demo_below(&r, DEMO_COUNT(demo_first_names));
		p->last = (unsigned)demo_below(&r, DEMO_COUNT(demo_last_names));
		p->city = (unsigned)demo_pick_city(&r);
		p->detail_seed = demo_next(&r);
		p->received_at = demo_plan_time(&r, now);
		if (demo_plan_email(&r, &set, demo_first_names[p->first], demo_last_names[p->last],
		                    p->email, sizeof p->email) < 0) {
			snprintf(err, errlen, "could not make a unique demo email");
			goto fail;
		}
		/* Phones capitalize the first letter now and then. */
		if (demo_chance(&r, 15) && p->email[0] >= 'a' && p->email[0] <= 'z')
			p->email[0] = (char)(p->email[0] - 'a' + 'A');
		p->phone[0] = p->phone_digits[0] = '\0';
		if (demo_chance(&r, 70)) {
			if (demo_plan_phone(p->city, counters, p->phone_digits) < 0) {
				snprintf(err, errlen, "too many demo people for the phone numbers of %s",
				         demo_cities[p->city].city);
				goto fail;
			}
			demo_format_phone(p->phone_digits, (int)demo_below(&r, 6), p->phone,
			                  sizeof p->phone);
		}
	}

	for (i = n_new; i < n; i++) {
		struct demo_rec *p = &recs[i];
		const struct demo_rec *a = &recs[demo_below(&r, n_new)];
		long long gap;

		*p = *a;
		p->detail_seed = demo_next(&r);
		gap = now - 60 - a->received_at;
		p->received_at = a->received_at + 60 + (gap > 0 ? (long long)(demo_unit(&r) * (double)gap) : 0);
		if (i < n - n_conflict) {
			/* A repeat: the same person, spelled another way. */
			p->kind = DEMO_REPEAT;
			demo_recase_email(a->email, (int)demo_below(&r, 2), p->email, sizeof p->email);
			if (a->phone_digits[0] != '\0')
				demo_format_phone(a->phone_digits, (int)demo_below(&r, 6), p->phone,
				                  sizeof p->phone);
			continue;
		}
		/* A conflict: a's email with someone else's phone. */
		p->kind = DEMO_CONFLICT;
		{
			size_t start = demo_below(&r, n_new), k;
			const struct demo_rec *b = NULL;
			for (k = 0; k < n_new; k++) {
				const struct demo_rec *c = &recs[(start + k) % n_new];
				if (c != a && c->phone_digits[0] != '\0') {
					b = c;
					break;
				}
			}
			if (b == NULL) {
				p->kind = DEMO_REPEAT;   /* nobody else has a phone: repeat instead */
				continue;
			}
			memcpy(p->phone_digits, b->phone_digits, sizeof p->phone_digits);
			demo_format_phone(b->phone_digits, (int)demo_below(&r, 6), p->phone,
			                  sizeof p->phone);
		}
	}
	rc = 0;
fail:
	demo_set_free(&set);
	return rc;
}

/* ---- answers ---- */

/* Adds key: s (a copy) to o. Returns 0 or -1. */
static int demo_set_str(json_t *o, const char *key, const char *s)
{
	return json_object_set_new(o, key, json_string(s));
}

/* Adds key: [1..max distinct weighted codes] to o. Returns 0 or -1. */
static int demo_set_codes(json_t *o, const char *key, struct demo_rng *r,
                          const struct demo_weighted *w, int max)
{
	int picked[32], n = 1 + (int)demo_below(r, (size_t)max), i, tries;
	json_t *a = json_array();

	if (a == NULL)
		return -1;
	memset(picked, 0, sizeof picked);
	for (i = 0, tries = 0; i < n && tries < 50; tries++) {
		size_t k = demo_pick_weighted_index(r, w);
		if (k >= DEMO_COUNT(picked) || picked[k])
			continue;
		picked[k] = 1;
		i++;
		if (json_array_append_new(a, json_string(w[k].value)) < 0) {
			json_decref(a);
			return -1;
		}
	}
	return json_object_set_new(o, key, a);
}

/* Writes a plausible birth date for an age range, so both agree. */
static void demo_birth_date(struct demo_rng *r, const char *range, int year_now, char *out,
                            size_t outlen)
{
	int lo = 40, hi = 72, age;

	if (strcmp(range, "under_18") == 0) {
		lo = 15; hi = 17;
	} else if (strcmp(range, "18_24") == 0) {
		lo = 18; hi = 24;
	} else if (strcmp(range, "25_29") == 0) {
		lo = 25; hi = 29;
	} else if (strcmp(range, "30_34") == 0) {
		lo = 30; hi = 34;
	} else if (strcmp(range, "35_39") == 0) {
		lo = 35; hi = 39;
	}
	/* lo + 1 years back and a day in the year: the age is lo..hi either way. */
	age = lo + (int)demo_below(r, (size_t)(hi - lo));
	snprintf(out, outlen, "%04d-%02d-%02d", year_now - age - 1,
	         1 + (int)demo_below(r, 12), 1 + (int)demo_below(r, 28));
}

/* Builds the answers of rec as typed on the form. Returns a new object or NULL. */
static json_t *demo_answers(const struct demo_rec *rec, int year_now)
{
	struct demo_rng r = { rec->detail_seed };
	const struct demo_city *city = &demo_cities[rec->city];
	char first[64], last[64], text[1024], tmp[64];
	const char *range;
	json_t *o = json_object();
	int rc = 0, n, i;
	size_t used;

	if (o == NULL)
		return NULL;
	demo_name_display(demo_first_names[rec->first], first, sizeof first);
	demo_name_display(demo_last_names[rec->last], last, sizeof last);
	rc |= demo_set_str(o, "first_name", first);
	rc |= demo_set_str(o, "last_name", last);
	if (demo_chance(&r, 5))
		rc |= demo_set_str(o, "preferred_name",
		                   demo_nicknames[demo_below(&r, DEMO_COUNT(demo_nicknames))]);
	rc |= demo_set_str(o, "email", rec->email);
	if (rec->phone[0] != '\0')
		rc |= demo_set_str(o, "phone", rec->phone);
	if (demo_chance(&r, 55)) {
		snprintf(text, sizeof text, "%d %s", 10 + (int)demo_below(&r, 4980),
		         demo_streets[demo_below(&r, DEMO_COUNT(demo_streets))]);
		rc |= demo_set_str(o, "address1", text);
		if (demo_chance(&r, 20)) {
			snprintf(text, sizeof text, "Apt %d%c", 1 + (int)demo_below(&r, 12),
			         (char)('A' + demo_below(&r, 6)));
			rc |= demo_set_str(o, "address2", text);
		}
	}
	rc |= demo_set_str(o, "city", city->city);
	rc |= demo_set_str(o, "state", city->state);
	if (demo_chance(&r, 10))
		snprintf(tmp, sizeof tmp, "%s-%04d", city->zip, (int)demo_below(&r, 10000));
	else
		snprintf(tmp, sizeof tmp, "%s", city->zip);
	rc |= demo_set_str(o, "zip", tmp);

	range = demo_pick_weighted(&r, demo_age_ranges);
	if (demo_chance(&r, 25)) {
		demo_birth_date(&r, range, year_now, tmp, sizeof tmp);
		rc |= demo_set_str(o, "birth_date", tmp);
		if (demo_chance(&r, 30))
			rc |= demo_set_str(o, "age_range", range);
	} else if (demo_chance(&r, 90)) {
		rc |= demo_set_str(o, "age_range", range);
	}

	if (demo_chance(&r, 92))
		rc |= demo_set_codes(o, "office_interests", &r, demo_offices, 3);
	if (demo_chance(&r, 75))
		rc |= demo_set_codes(o, "help_wanted", &r, demo_help, 3);
	if (demo_chance(&r, 60)) {
		n = 1 + (int)demo_below(&r, 3);
		used = 0;
		text[0] = '\0';
		for (i = 0; i < n; i++) {
			int k = snprintf(text + used, sizeof text - used, "%s%s", i ? ", " : "",
			                 demo_issues[demo_below(&r, DEMO_COUNT(demo_issues))]);
			if (k < 0 || (size_t)k >= sizeof text - used)
				break;
			used += (size_t)k;
		}
		/* Capitalize the first letter, as people type it. */
		if (text[0] >= 'a' && text[0] <= 'z')
			text[0] = (char)(text[0] - 'a' + 'A');
		rc |= demo_set_str(o, "issues", text);
	}
	if (demo_chance(&r, 85)) {
		snprintf(text, sizeof text, "%s%s%s",
		         demo_why_open[demo_below(&r, DEMO_COUNT(demo_why_open))],
		         demo_why_middle[demo_below(&r, DEMO_COUNT(demo_why_middle))],
		         demo_why_close[demo_below(&r, DEMO_COUNT(demo_why_close))]);
		rc |= demo_set_str(o, "why_run", text);
	}

	if (demo_chance(&r, 60)) {
		const char *g = demo_pick_weighted(&r, demo_genders);
		rc |= demo_set_str(o, "gender", g);
		if (demo_chance(&r, 50)) {
			const char *p = strcmp(g, "woman") == 0 ? demo_pronouns[demo_chance(&r, 85) ? 0 : 3]
			              : strcmp(g, "man") == 0 ? demo_pronouns[demo_chance(&r, 90) ? 1 : 4]
			              : demo_pronouns[2 + demo_below(&r, 3)];
			rc |= demo_set_str(o, "pronouns", p);
		}
		rc |= demo_set_codes(o, "race_ethnicity", &r, demo_races, 2);
		rc |= demo_set_str(o, "lgbtq", demo_pick_weighted(&r, demo_yes_no));
		if (demo_chance(&r, 80))
			rc |= demo_set_str(o, "first_gen", demo_pick_weighted(&r, demo_yes_no));
		if (demo_chance(&r, 80))
			rc |= demo_set_str(o, "veteran", demo_chance(&r, 8) ? "yes" : "no");
		if (demo_chance(&r, 70))
			rc |= demo_set_str(o, "disability", demo_pick_weighted(&r, demo_yes_no));
	}

	if (demo_chance(&r, 85))
		rc |= demo_set_str(o, "consent_email", "1");
	if (rec->phone[0] != '\0' && demo_chance(&r, 50))
		rc |= demo_set_str(o, "consent_sms", "1");
	if (demo_chance(&r, 45))
		rc |= demo_set_str(o, "consent_share", "1");
	if (rc != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* ---- the workers ---- */

struct demo_job {
	struct db         *db;
	const struct keys *keys;
	struct demo_rec   *recs;
	size_t             n;
	int                year_now;
	atomic_size_t      next;
	atomic_int         failed;
	atomic_size_t      outcomes[3];   /* by enum signup_outcome */
	pthread_mutex_t    lock;
	char               err[256];      /* the first failure, under lock */
};

static void demo_fail(struct demo_job *job, const char *what, size_t i)
{
	pthread_mutex_lock(&job->lock);
	if (!atomic_load(&job->failed))
		snprintf(job->err, sizeof job->err, "%s (demo record %zu)", what, i);
	atomic_store(&job->failed, 1);
	pthread_mutex_unlock(&job->lock);
}

static void *demo_worker(void *arg)
{
	struct demo_job *job = arg;
	size_t i;

	(void)pthread_setname_np(pthread_self(), "onramp-demo");
	while (!atomic_load(&job->failed) && (i = atomic_fetch_add(&job->next, 1)) < job->n) {
		const struct demo_rec *rec = &job->recs[i];
		json_t *raw, *person = NULL, *errors = NULL;
		struct demo_rng r = { rec->detail_seed ^ 0x5EED };
		struct signup_meta meta;
		struct signup_result res;
		int rc;

		raw = demo_answers(rec, job->year_now);
		if (raw == NULL) {
			demo_fail(job, "out of memory", i);
			break;
		}
		if (person_validate(raw, &person, &errors) < 0) {
			const char *key = NULL;
			json_t *v;
			if (errors != NULL)
				json_object_foreach(errors, key, v) break;
			demo_fail(job, key ? key : "out of memory", i);
			json_decref(errors);
			json_decref(raw);
			break;
		}
		memset(&meta, 0, sizeof meta);
		meta.kind = "signup";
		meta.source = demo_pick_weighted(&r, demo_sources);
		meta.ref = strcmp(meta.source, "partner_x") == 0 && demo_chance(&r, 60) ? "px-fall-drive"
		         : strcmp(meta.source, "run_for_office_day") == 0 ? "rfod" : NULL;
		meta.received_at = rec->received_at;
		rc = people_signup(job->db, job->keys, person, raw, &meta, &res);
		json_decref(person);
		json_decref(raw);
		if (rc < 0) {
			demo_fail(job, "the database refused a signup", i);
			break;
		}
		if ((unsigned)res.outcome < 3)
			atomic_fetch_add(&job->outcomes[res.outcome], 1);
	}
	return NULL;
}

/* Stores recs[0..n) with up to DEMO_THREADS workers. Returns 0 or -1. */
static int demo_run(struct demo_job *job, struct demo_rec *recs, size_t n)
{
	pthread_t threads[DEMO_THREADS];
	size_t started = 0, i, want = n < DEMO_THREADS ? n : DEMO_THREADS;

	job->recs = recs;
	job->n = n;
	atomic_store(&job->next, 0);
	for (i = 0; i < want; i++) {
		if (pthread_create(&threads[i], NULL, demo_worker, job) != 0)
			break;
		started++;
	}
	if (started == 0 && n > 0)
		demo_worker(job);   /* no threads to be had: do it here */
	for (i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	return atomic_load(&job->failed) ? -1 : 0;
}

int demo_load(struct db *db, const struct keys *keys, int people, unsigned seed, char *err,
              size_t errlen)
{
	struct demo_rec *recs = NULL;
	struct demo_job *job = NULL;
	size_t n, n_new, n_repeat, n_conflict;
	long long now = (long long)time(NULL);
	time_t t = (time_t)now;
	struct tm tm;
	int rc = -1;

	if (people < 0 || people > DEMO_PEOPLE_MAX) {
		snprintf(err, errlen, "the number of demo people must be 0..%d", DEMO_PEOPLE_MAX);
		return -1;
	}
	if (people == 0)
		return 0;
	n = (size_t)people;
	n_conflict = n >= 200 ? (n + 199) / 200 : n >= 20 ? 1 : 0;
	n_repeat = n * 5 / 100;
	n_new = n - n_repeat - n_conflict;
	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(err, errlen, "cannot read the clock");
		return -1;
	}
	/* jansson picks its hash seed once; do it here, before the threads. */
	json_object_seed(0);

	recs = calloc(n, sizeof *recs);
	job = calloc(1, sizeof *job);
	if (recs == NULL || job == NULL) {
		snprintf(err, errlen, "out of memory for %d demo people", people);
		goto fail;
	}
	if (demo_plan(recs, n, n_new, n_conflict, seed, now, err, errlen) < 0)
		goto fail;
	qsort(recs, n_new, sizeof *recs, demo_rec_by_time);
	qsort(recs + n_new, n - n_new, sizeof *recs, demo_rec_by_time);

	job->db = db;
	job->keys = keys;
	job->year_now = tm.tm_year + 1900;
	atomic_init(&job->failed, 0);
	atomic_init(&job->next, 0);
	atomic_init(&job->outcomes[0], 0);
	atomic_init(&job->outcomes[1], 0);
	atomic_init(&job->outcomes[2], 0);
	if (pthread_mutex_init(&job->lock, NULL) != 0) {
		snprintf(err, errlen, "cannot make a lock");
		goto fail;
	}
	/* New people first, all stored, then the repeats and conflicts. */
	if (demo_run(job, recs, n_new) < 0 || demo_run(job, recs + n_new, n - n_new) < 0) {
		snprintf(err, errlen, "%s", job->err);
		pthread_mutex_destroy(&job->lock);
		goto fail;
	}
	pthread_mutex_destroy(&job->lock);
	log_info("demo: %zu signups: %zu new people, %zu merged, %zu flagged", n,
	         atomic_load(&job->outcomes[SIGNUP_NEW]), atomic_load(&job->outcomes[SIGNUP_MERGED]),
	         atomic_load(&job->outcomes[SIGNUP_FLAGGED]));
	rc = 0;
fail:
	free(recs);
	free(job);
	return rc;
}
