/*
 * person.c — the person field table, validation and the form model.
 * See person.h.
 *
 * The table below is the one description of a person: docs/ROUTES.md lists
 * the same names and codes for the signup form, and validation, the form
 * model, the store mapping and the people list all walk it. Adding a field
 * is adding a row (and, for a stored column, a migration).
 *
 * Validation reports every problem at once, one plain message per field,
 * because a first-time candidate filling a long form should fix everything
 * in one go rather than meet the errors one by one.
 *
 * Invariants: person_validate() never returns a value it has not checked:
 * strings in *out are valid UTF-8, trimmed, within max_len, without control
 * characters (paragraphs keep line breaks, as "\n"); choice codes are the
 * table's; emails, phones and ZIPs are in normalize.h's canonical forms.
 *
 * Threading: the tables are constant; every function is reentrant.
 */
#include "domain/person.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "domain/normalize.h"
#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/utf8.h"

#define PERSON_CODE_MAX     64   /* longest choice code accepted as input */
#define PERSON_PRONOUNS_MAX 50
#define PERSON_AGE_MIN      14
#define PERSON_AGE_MAX      120

/* The 50 states, DC and the five inhabited territories, by name. */
static const struct person_choice person_states[] = {
	{ "AL", "Alabama" },            { "AK", "Alaska" },
	{ "AS", "American Samoa" },     { "AZ", "Arizona" },
	{ "AR", "Arkansas" },           { "CA", "California" },
	{ "CO", "Colorado" },           { "CT", "Connecticut" },
	{ "DE", "Delaware" },           { "DC", "District of Columbia" },
	{ "FL", "Florida" },            { "GA", "Georgia" },
	{ "GU", "Guam" },               { "HI", "Hawaii" },
	{ "ID", "Idaho" },              { "IL", "Illinois" },
	{ "IN", "Indiana" },            { "IA", "Iowa" },
	{ "KS", "Kansas" },             { "KY", "Kentucky" },
	{ "LA", "Louisiana" },          { "ME", "Maine" },
	{ "MD", "Maryland" },           { "MA", "Massachusetts" },
	{ "MI", "Michigan" },           { "MN", "Minnesota" },
	{ "MS", "Mississippi" },        { "MO", "Missouri" },
	{ "MT", "Montana" },            { "NE", "Nebraska" },
	{ "NV", "Nevada" },             { "NH", "New Hampshire" },
	{ "NJ", "New Jersey" },         { "NM", "New Mexico" },
	{ "NY", "New York" },           { "NC", "North Carolina" },
	{ "ND", "North Dakota" },       { "MP", "Northern Mariana Islands" },
	{ "OH", "Ohio" },               { "OK", "Oklahoma" },
	{ "OR", "Oregon" },             { "PA", "Pennsylvania" },
	{ "PR", "Puerto Rico" },        { "RI", "Rhode Island" },
	{ "SC", "South Carolina" },     { "SD", "South Dakota" },
	{ "TN", "Tennessee" },          { "TX", "Texas" },
	{ "VI", "U.S. Virgin Islands" }, { "UT", "Utah" },
	{ "VT", "Vermont" },            { "VA", "Virginia" },
	{ "WA", "Washington" },         { "WV", "West Virginia" },
	{ "WI", "Wisconsin" },          { "WY", "Wyoming" },
	{ NULL, NULL },
};

static const struct person_choice person_age_ranges[] = {
	{ "under_18", "Under 18" },
	{ "18_24", "18 to 24" },
	{ "25_29", "25 to 29" },
	{ "30_34", "30 to 34" },
	{ "35_39", "35 to 39" },
	{ "40_plus", "40 or older" },
	{ NULL, NULL },
};

static const struct person_choice person_offices[] = {
	{ "school_board", "School board" },
	{ "city_council", "City or town council" },
	{ "county", "County office" },
	{ "state_legislature", "State legislature" },
	{ "judicial", "Judge or other judicial office" },
	{ "election_admin", "Election administration (clerk, registrar)" },
	{ "other", "Something else" },
	{ "dont_know", "I don't know yet" },
	{ NULL, NULL },
};

static const struct person_choice person_help[] = {
	{ "training", "Training on how to run" },
	{ "mentorship", "A mentor who has run before" },
	{ "seed_money", "Seed money for my campaign" },
	{ "networking", "Meeting other candidates and organizers" },
	{ "finding_race", "Finding the right race for me" },
	{ NULL, NULL },
};

static const struct person_choice person_genders[] = {
	{ "woman", "Woman" },
	{ "man", "Man" },
	{ "nonbinary", "Nonbinary" },
	{ "self_describe", "I describe myself another way" },
	{ "prefer_not", "Prefer not to say" },
	{ NULL, NULL },
};

static const struct person_choice person_races[] = {
	{ "american_indian_alaska_native", "American Indian or Alaska Native" },
	{ "asian", "Asian" },
	{ "black", "Black or African American" },
	{ "hispanic_latino", "Hispanic or Latino/a/x" },
	{ "middle_eastern_north_african", "Middle Eastern or North African" },
	{ "native_hawaiian_pacific_islander", "Native Hawaiian or Pacific Islander" },
	{ "white", "White" },
	{ "self_describe", "I describe myself another way" },
	{ "prefer_not", "Prefer not to say" },
	{ NULL, NULL },
};

static const struct person_choice person_yes_no[] = {
	{ "yes", "Yes" },
	{ "no", "No" },
	{ "prefer_not", "Prefer not to say" },
	{ NULL, NULL },
};

const struct person_field person_fields[] = {
	{ "first_name", "First name", PF_TEXT, 1, 0, LIMIT_NAME, NULL },
	{ "last_name", "Last name", PF_TEXT, 1, 0, LIMIT_NAME, NULL },
	{ "preferred_name", "Name you go by, if different", PF_TEXT, 0, 0, LIMIT_NAME, NULL },
	{ "email", "Email address", PF_EMAIL, 1, 0, LIMIT_EMAIL, NULL },
	{ "phone", "Phone number", PF_PHONE, 0, 0, LIMIT_PHONE_INPUT, NULL },
	{ "address1", "Street address", PF_TEXT, 0, 0, LIMIT_ADDRESS, NULL },
	{ "address2", "Apartment, suite or unit", PF_TEXT, 0, 0, LIMIT_ADDRESS, NULL },
	{ "city", "City or town", PF_TEXT, 0, 0, LIMIT_CITY, NULL },
	{ "state", "State", PF_STATE, 1, 0, 2, person_states },
	{ "zip", "ZIP code", PF_ZIP, 1, 0, LIMIT_ZIP, NULL },
	{ "birth_date", "Date of birth", PF_DATE, 0, 0, 10, NULL },
	{ "age_range", "Age range", PF_CHOICE, 0, 0, PERSON_CODE_MAX, person_age_ranges },
	{ "office_interests", "What offices interest you?", PF_MULTI, 0, 0, PERSON_CODE_MAX,
	  person_offices },
	{ "issues", "What issues do you care about most?", PF_LONG_TEXT, 0, 0, LIMIT_LONG_TEXT,
	  NULL },
	{ "help_wanted", "What help would you like?", PF_MULTI, 0, 0, PERSON_CODE_MAX, person_help },
	{ "why_run", "Why do you want to run?", PF_LONG_TEXT, 0, 0, LIMIT_LONG_TEXT, NULL },
	{ "gender", "Gender", PF_CHOICE, 0, 1, PERSON_CODE_MAX, person_genders },
	{ "pronouns", "Pronouns", PF_TEXT, 0, 1, PERSON_PRONOUNS_MAX, NULL },
	{ "race_ethnicity", "Race or ethnicity (choose all that apply)", PF_MULTI, 0, 1,
	  PERSON_CODE_MAX, person_races },
	{ "lgbtq", "Do you identify as LGBTQ+?", PF_CHOICE, 0, 1, PERSON_CODE_MAX, person_yes_no },
	{ "first_gen", "Are you a first-generation American?", PF_CHOICE, 0, 1, PERSON_CODE_MAX,
	  person_yes_no },
	{ "veteran", "Have you served in the military?", PF_CHOICE, 0, 1, PERSON_CODE_MAX,
	  person_yes_no },
	{ "disability", "Do you have a disability?", PF_CHOICE, 0, 1, PERSON_CODE_MAX,
	  person_yes_no },
	{ "consent_email", "Email me about running for office", PF_CONSENT, 0, 0, 0, NULL },
	{ "consent_sms", "Text me (message and data rates may apply)", PF_CONSENT, 0, 0, 0, NULL },
	{ "consent_share", "Share my information with partner organizations that help candidates",
	  PF_CONSENT, 0, 0, 0, NULL },
	{ NULL, NULL, PF_TEXT, 0, 0, 0, NULL },
};

/* What to say when a required field is missing, by field name. */
static const struct {
	const char *name;
	const char *message;
} person_missing[] = {
	{ "first_name", "Enter your first name" },
	{ "last_name", "Enter your last name" },
	{ "email", "Enter your email address, like name@example.org" },
	{ "zip", "Enter a 5-digit ZIP code" },
	{ "state", "Choose your state" },
	{ NULL, NULL },
};

#define MSG_EMAIL    "Enter your email address, like name@example.org"
#define MSG_PHONE    "Enter a phone number with area code, like (555) 234-5678"
#define MSG_ZIP      "Enter a 5-digit ZIP code"
#define MSG_STATE    "Choose your state"
#define MSG_DATE     "That date isn't a real date \xE2\x80\x94 use YYYY-MM-DD"
#define MSG_AGE      "Enter a date of birth for an age between 14 and 120"
#define MSG_CHOICE   "Choose one of the options listed"
#define MSG_MULTI    "Choose only from the options listed"
#define MSG_CONSENT  "Tick the box or leave it empty"
#define MSG_TEXT     "Enter this as text"
#define MSG_UTF8     "This has characters we can't read \xE2\x80\x94 please type it again"
#define MSG_LINE     "Keep this on one line, without tabs or special characters"
#define MSG_CONTROL  "Remove the special (control) characters from this"

/* The field table by name: every post looks up each of its names several
 * times (mapping, validation, splitting), so an open-addressing table of
 * the field names, built once, instead of a walk with strcmp. */
#define PERSON_FIELD_SLOTS 128  /* a power of two, over twice the fields */

static const struct person_field *person_field_slots[PERSON_FIELD_SLOTS];
static pthread_once_t person_field_once = PTHREAD_ONCE_INIT;

static size_t person_field_hash(const char *name)
{
	size_t h = 5381;

	while (*name)
		h = h * 33 + (unsigned char)*name++;
	return h & (PERSON_FIELD_SLOTS - 1);
}

static void person_field_index(void)
{
	const struct person_field *f;
	size_t k;

	for (f = person_fields; f->name != NULL; f++) {
		k = person_field_hash(f->name);
		while (person_field_slots[k])
			k = (k + 1) & (PERSON_FIELD_SLOTS - 1);
		person_field_slots[k] = f;
	}
}

const struct person_field *person_field_find(const char *name)
{
	size_t k;

	if (name == NULL)
		return NULL;
	pthread_once(&person_field_once, person_field_index);
	for (k = person_field_hash(name); person_field_slots[k]; k = (k + 1) & (PERSON_FIELD_SLOTS - 1)) {
		if (strcmp(person_field_slots[k]->name, name) == 0)
			return person_field_slots[k];
	}
	return NULL;
}

const char *person_choice_label(const struct person_field *f, const char *code)
{
	const struct person_choice *c;

	if (f == NULL || f->choices == NULL || code == NULL)
		return NULL;
	for (c = f->choices; c->code != NULL; c++)
		if (strcmp(c->code, code) == 0)
			return c->label;
	return NULL;
}

static const char *person_missing_message(const struct person_field *f)
{
	size_t i;

	for (i = 0; person_missing[i].name != NULL; i++)
		if (strcmp(person_missing[i].name, f->name) == 0)
			return person_missing[i].message;
	return "Answer this question";
}

/* The message for a value of the wrong JSON type or form, by kind. */
static const char *person_kind_message(enum person_field_kind kind)
{
	switch (kind) {
	case PF_EMAIL:     return MSG_EMAIL;
	case PF_PHONE:     return MSG_PHONE;
	case PF_ZIP:       return MSG_ZIP;
	case PF_STATE:     return MSG_STATE;
	case PF_DATE:      return MSG_DATE;
	case PF_CHOICE:    return MSG_CHOICE;
	case PF_MULTI:     return MSG_MULTI;
	case PF_CONSENT:   return MSG_CONSENT;
	case PF_TEXT:
	case PF_LONG_TEXT: break;
	}
	return MSG_TEXT;
}

static int person_is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Narrows [*s, *s + *len) to exclude leading and trailing ASCII whitespace. */
static void person_trim(const char **s, size_t *len)
{
	while (*len > 0 && person_is_space((unsigned char)**s)) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && person_is_space((unsigned char)(*s)[*len - 1]))
		(*len)--;
}

/* Returns the index of code in choices (exact match), or -1. */
static int person_choice_index(const struct person_choice *choices, const char *code, size_t len)
{
	int i;

	for (i = 0; choices[i].code != NULL; i++)
		if (strlen(choices[i].code) == len && memcmp(choices[i].code, code, len) == 0)
			return i;
	return -1;
}

/* Reads a consent value: 1 for true/"1"/"on"/"true"/"yes"/1, 0 for an
 * absent, null, false, empty, "0", "off", "false" or "no" one, -1 for
 * anything else. */
static int person_consent_value(json_t *v)
{
	static const char *const yes[] = { "1", "on", "true", "yes", NULL };
	static const char *const no[] = { "", "0", "off", "false", "no", NULL };
	const char *s;
	size_t len, i;

	if (v == NULL || json_is_null(v) || json_is_false(v))
		return 0;
	if (json_is_true(v))
		return 1;
	if (json_is_integer(v)) {
		if (json_integer_value(v) == 0 || json_integer_value(v) == 1)
			return (int)json_integer_value(v);
		return -1;
	}
	if (!json_is_string(v))
		return -1;
	s = json_string_value(v);
	len = json_string_length(v);
	if (strlen(s) != len)
		return -1;  /* embedded NUL */
	person_trim(&s, &len);
	for (i = 0; yes[i] != NULL; i++)
		if (strlen(yes[i]) == len && strncasecmp(s, yes[i], len) == 0)
			return 1;
	for (i = 0; no[i] != NULL; i++)
		if (strlen(no[i]) == len && strncasecmp(s, no[i], len) == 0)
			return 0;
	return -1;
}

static int person_is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int person_days_in_month(int y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && person_is_leap(y))
		return 29;
	return days[m - 1];
}

/* Parses exactly "YYYY-MM-DD" (len bytes) into a real calendar date.
 * Returns 0 or -1. */
static int person_parse_date(const char *s, size_t len, int *y, int *m, int *d)
{
	size_t i;

	if (len != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return -1;
	*y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	*m = (s[5] - '0') * 10 + (s[6] - '0');
	*d = (s[8] - '0') * 10 + (s[9] - '0');
	if (*y < 1 || *m < 1 || *m > 12 || *d < 1 || *d > person_days_in_month(*y, *m))
		return -1;
	return 0;
}

/* Age in whole years on today's date (UTC) of someone born y-m-d; negative
 * for a date in the future. */
static int person_age_today(int y, int m, int d)
{
	time_t now = time(NULL);
	struct tm tm;
	int age;

	if (gmtime_r(&now, &tm) == NULL)
		return -1;
	age = tm.tm_year + 1900 - y;
	if (tm.tm_mon + 1 < m || (tm.tm_mon + 1 == m && tm.tm_mday < d))
		age--;
	return age;
}

/* Puts a message for field f in errors. Returns 0 or -1 (out of memory). */
static int person_error(json_t *errors, const struct person_field *f, const char *message)
{
	return json_object_set_new(errors, f->name, json_string(message));
}

/* Copies a paragraph with line breaks made "\n" (browsers send "\r\n"). */
static json_t *person_paragraph(const char *s, size_t len, size_t *outlen)
{
	buf b;
	size_t i;
	json_t *j;

	buf_init(&b, len + 1);
	for (i = 0; i < len; i++) {
		if (s[i] == '\r') {
			buf_addc(&b, '\n');
			if (i + 1 < len && s[i + 1] == '\n')
				i++;
		} else {
			buf_addc(&b, s[i]);
		}
	}
	if (buf_failed(&b)) {
		buf_free(&b);
		return NULL;
	}
	*outlen = b.len;
	j = json_stringn(buf_str(&b), b.len);
	buf_free(&b);
	return j;
}

/* Validates one single-valued field (everything but MULTI and CONSENT) whose
 * value is the string s[0..len) as typed. Sets *value to the normalized
 * json string, or leaves it NULL for an empty answer; sets *msg for a bad
 * one. Returns 0, 1 when the answer is longer than f->max_len (the caller
 * words that message, with the number), or -1 when out of memory. */
static int person_check_string(const struct person_field *f, const char *s, size_t len,
                               json_t **value, const char **msg)
{
	char in[LIMIT_EMAIL + 1], norm[LIMIT_EMAIL + 1];
	char state[3];
	int y, m, d, age, rc;
	size_t n;

	*value = NULL;
	*msg = NULL;
	if (!utf8_valid(s, len)) {
		*msg = MSG_UTF8;
		return 0;
	}
	person_trim(&s, &len);
	if (len == 0) {
		if (f->required)
			*msg = person_missing_message(f);
		return 0;
	}
	switch (f->kind) {
	case PF_TEXT:
		if (len > f->max_len)
			break;
		if (!utf8_valid_line(s, len)) {
			*msg = MSG_LINE;
			return 0;
		}
		*value = json_stringn(s, len);
		return *value ? 0 : -1;
	case PF_LONG_TEXT:
		if (len > 2 * f->max_len)
			break;  /* too long even if every break were "\r\n" */
		if (!utf8_valid_text(s, len)) {
			*msg = MSG_CONTROL;
			return 0;
		}
		*value = person_paragraph(s, len, &n);
		if (*value == NULL)
			return -1;
		if (n <= f->max_len)
			return 0;
		json_decref(*value);
		*value = NULL;
		break;
	case PF_EMAIL:
	case PF_PHONE:
	case PF_ZIP:
		/* The normalizers read C strings: give them the trimmed copy. */
		if (len >= sizeof norm) {
			*msg = person_kind_message(f->kind);
			return 0;
		}
		memcpy(in, s, len);
		in[len] = '\0';
		if (f->kind == PF_EMAIL)
			rc = normalize_email(in, norm, sizeof norm);
		else if (f->kind == PF_PHONE)
			rc = normalize_phone(in, norm, sizeof norm);
		else
			rc = normalize_zip(in, norm, sizeof norm);
		if (rc < 0) {
			*msg = person_kind_message(f->kind);
			return 0;
		}
		*value = json_string(norm);
		return *value ? 0 : -1;
	case PF_STATE:
		if (len != 2) {
			*msg = MSG_STATE;
			return 0;
		}
		state[0] = (char)((s[0] >= 'a' && s[0] <= 'z') ? s[0] - 'a' + 'A' : s[0]);
		state[1] = (char)((s[1] >= 'a' && s[1] <= 'z') ? s[1] - 'a' + 'A' : s[1]);
		state[2] = '\0';
		if (person_choice_index(f->choices, state, 2) < 0) {
			*msg = MSG_STATE;
			return 0;
		}
		*value = json_string(state);
		return *value ? 0 : -1;
	case PF_DATE:
		if (person_parse_date(s, len, &y, &m, &d) < 0) {
			*msg = MSG_DATE;
			return 0;
		}
		age = person_age_today(y, m, d);
		if (age < PERSON_AGE_MIN || age > PERSON_AGE_MAX) {
			*msg = MSG_AGE;
			return 0;
		}
		*value = json_stringn(s, len);
		return *value ? 0 : -1;
	case PF_CHOICE:
		if (person_choice_index(f->choices, s, len) < 0) {
			*msg = MSG_CHOICE;
			return 0;
		}
		*value = json_stringn(s, len);
		return *value ? 0 : -1;
	case PF_MULTI:
	case PF_CONSENT:
		*msg = person_kind_message(f->kind);  /* not single-valued: not here */
		return 0;
	}
	return 1;  /* too long: the caller words it with the limit */
}

/* Validates a MULTI field's value (a string or an array of strings). Sets
 * *value to an array of distinct codes in table order, or NULL when none
 * was chosen; *msg for a bad value. Returns 0, or -1 when out of memory. */
static int person_check_multi(const struct person_field *f, json_t *v, json_t **value,
                              const char **msg)
{
	unsigned char chosen[LIMIT_LIST_ITEMS * 2];
	size_t i, count, nchoices = 0;
	json_t *item, *arr;

	*value = NULL;
	*msg = NULL;
	while (f->choices[nchoices].code != NULL)
		nchoices++;
	if (nchoices > sizeof chosen)
		return -1;  /* a table bug: more choices than we track */
	memset(chosen, 0, sizeof chosen);
	if (json_is_string(v)) {
		count = 1;
	} else if (json_is_array(v)) {
		count = json_array_size(v);
		if (count > LIMIT_LIST_ITEMS) {
			*msg = MSG_MULTI;
			return 0;
		}
	} else {
		*msg = MSG_MULTI;
		return 0;
	}
	for (i = 0; i < count; i++) {
		const char *s;
		size_t len;
		int k;

		item = json_is_string(v) ? v : json_array_get(v, i);
		if (!json_is_string(item)) {
			*msg = MSG_MULTI;
			return 0;
		}
		s = json_string_value(item);
		len = json_string_length(item);
		if (!utf8_valid(s, len)) {
			*msg = MSG_UTF8;
			return 0;
		}
		person_trim(&s, &len);
		if (len == 0)
			continue;  /* an unticked box posted as "" */
		k = person_choice_index(f->choices, s, len);
		if (k < 0) {
			*msg = MSG_MULTI;
			return 0;
		}
		chosen[k] = 1;
	}
	arr = NULL;
	for (i = 0; i < nchoices; i++) {
		if (!chosen[i])
			continue;
		if (arr == NULL && (arr = json_array()) == NULL)
			return -1;
		if (json_array_append_new(arr, json_string(f->choices[i].code)) < 0) {
			json_decref(arr);
			return -1;
		}
	}
	*value = arr;
	return 0;
}

int person_validate(json_t *input, json_t **out, json_t **errors)
{
	const struct person_field *f;
	json_t *res = NULL, *errs = NULL, *v, *value;
	const char *msg;
	char toolong[64];
	int rc, c;

	*out = NULL;
	*errors = NULL;
	res = json_object();
	errs = json_object();
	if (res == NULL || errs == NULL)
		goto fail;
	if (input != NULL && !json_is_object(input))
		input = NULL;  /* nothing usable: every required field is missing */

	for (f = person_fields; f->name != NULL; f++) {
		v = input ? json_object_get(input, f->name) : NULL;
		if (v != NULL && json_is_null(v))
			v = NULL;
		value = NULL;
		msg = NULL;

		if (f->kind == PF_CONSENT) {
			c = person_consent_value(v);
			if (c < 0)
				msg = MSG_CONSENT;
			else if (json_object_set_new(res, f->name, json_boolean(c)) < 0)
				goto fail;
		} else if (f->kind == PF_MULTI) {
			if (v != NULL && person_check_multi(f, v, &value, &msg) < 0)
				goto fail;
		} else if (v == NULL) {
			if (f->required)
				msg = person_missing_message(f);
		} else if (!json_is_string(v)) {
			msg = person_kind_message(f->kind);
		} else {
			rc = person_check_string(f, json_string_value(v), json_string_length(v), &value,
			                         &msg);
			if (rc < 0)
				goto fail;
			if (rc > 0) {
				if (snprintf(toolong, sizeof toolong, "Keep this under %zu characters",
				             f->max_len) >= (int)sizeof toolong)
					goto fail;
				msg = toolong;
			}
		}

		if (msg != NULL) {
			json_decref(value);
			if (person_error(errs, f, msg) < 0)
				goto fail;
		} else if (value != NULL) {
			if (json_object_set_new(res, f->name, value) < 0)
				goto fail;
		}
	}

	if (json_object_size(errs) > 0) {
		json_decref(res);
		*errors = errs;
		return -1;
	}
	json_decref(errs);
	*out = res;
	return 0;

fail:
	json_decref(res);
	json_decref(errs);
	return -1;
}

/* The typed value of one field as a string for re-showing ("" if none). */
static const char *person_model_value(json_t *values, const struct person_field *f)
{
	json_t *v = values ? json_object_get(values, f->name) : NULL;

	if (f->kind == PF_CONSENT)
		return person_consent_value(v) == 1 ? "1" : "";
	if (f->kind == PF_MULTI || !json_is_string(v))
		return "";
	/* Never echo bytes that are not text into the page. */
	if (!utf8_valid(json_string_value(v), json_string_length(v)))
		return "";
	return json_string_value(v);
}

/* Returns 1 if the typed value of f (a string or an array of strings)
 * contains code, comparing case-insensitively when fold is set. */
static int person_model_has(json_t *values, const struct person_field *f, const char *code,
                            int fold)
{
	json_t *v = values ? json_object_get(values, f->name) : NULL;
	json_t *item;
	size_t i;
	const char *s;
	size_t len;

	if (v == NULL)
		return 0;
	for (i = 0; json_is_array(v) ? i < json_array_size(v) : i < 1; i++) {
		item = json_is_array(v) ? json_array_get(v, i) : v;
		if (!json_is_string(item))
			continue;
		s = json_string_value(item);
		len = strlen(s);
		person_trim(&s, &len);
		if (len == strlen(code) &&
		    (fold ? strncasecmp(s, code, len) : strncmp(s, code, len)) == 0)
			return 1;
	}
	return 0;
}

json_t *person_form_model(json_t *values, json_t *errors)
{
	const struct person_field *f;
	const struct person_choice *c;
	json_t *model, *fields, *choices, *states, *entry, *list, *err;

	if (values != NULL && !json_is_object(values))
		values = NULL;
	model = json_object();
	fields = json_object();
	choices = json_object();
	states = json_array();
	if (model == NULL || fields == NULL || choices == NULL || states == NULL)
		goto fail;
	if (json_object_set(model, "fields", fields) < 0 ||
	    json_object_set(model, "choices", choices) < 0 ||
	    json_object_set(model, "states", states) < 0)
		goto fail;

	for (f = person_fields; f->name != NULL; f++) {
		entry = json_pack("{s:s, s:s, s:b}", "label", f->label,
		                  "value", person_model_value(values, f), "required", f->required);
		if (entry == NULL || json_object_set_new(fields, f->name, entry) < 0)
			goto fail;
		if (f->kind == PF_CONSENT &&
		    json_object_set_new(entry, "checked",
		                        json_boolean(person_model_value(values, f)[0] != '\0')) < 0)
			goto fail;
		err = errors ? json_object_get(errors, f->name) : NULL;
		if (json_is_string(err) && json_object_set(entry, "error", err) < 0)
			goto fail;

		if (f->choices == NULL)
			continue;
		list = f->kind == PF_STATE ? states : json_array();
		if (list == NULL)
			goto fail;
		if (f->kind != PF_STATE && json_object_set_new(choices, f->name, list) < 0)
			goto fail;
		for (c = f->choices; c->code != NULL; c++) {
			int on = person_model_has(values, f, c->code, f->kind == PF_STATE);
			entry = f->kind == PF_STATE
			        ? json_pack("{s:s, s:s, s:b}", "code", c->code, "name", c->label,
			                    "selected", on)
			        : json_pack("{s:s, s:s, s:b}", "code", c->code, "label", c->label,
			                    "checked", on);
			if (entry == NULL || json_array_append_new(list, entry) < 0)
				goto fail;
		}
	}
	json_decref(fields);
	json_decref(choices);
	json_decref(states);
	return model;

fail:
	json_decref(fields);
	json_decref(choices);
	json_decref(states);
	json_decref(model);
	return NULL;
}
