/*
 * person.h — what a person is: the fields, their rules, and validation.
 *
 * One table (person.c) describes every field a person can give: its name
 * (the form and JSON name), kind, limits, whether it is required or
 * sensitive, and for choice fields the allowed codes with their labels.
 * Validation, the signup form, the intake mapping (later) and the people
 * list all read this table, so a new field is one row.
 *
 * Inputs and outputs are jansson objects: strings for text fields, arrays of
 * strings for multi-choice fields, "1"/"" or true/false for consents.
 */
#ifndef ONRAMP_PERSON_H
#define ONRAMP_PERSON_H

#include <jansson.h>

enum person_field_kind {
	PF_TEXT,        /* one line */
	PF_LONG_TEXT,   /* a paragraph */
	PF_EMAIL,
	PF_PHONE,
	PF_ZIP,
	PF_STATE,       /* two-letter USPS code */
	PF_DATE,        /* YYYY-MM-DD */
	PF_CHOICE,      /* one code of choices */
	PF_MULTI,       /* several codes of choices */
	PF_CONSENT,     /* a checkbox: true/false */
};

struct person_choice {
	const char *code;   /* stored value, e.g. "school_board" */
	const char *label;  /* shown, e.g. "School board" */
};

struct person_field {
	const char                 *name;       /* e.g. "first_name" */
	const char                 *label;      /* e.g. "First name" */
	enum person_field_kind      kind;
	int                         required;
	int                         sensitive;  /* demographics: encrypted, role-gated */
	size_t                      max_len;
	const struct person_choice *choices;    /* NULL-code terminated, for CHOICE/MULTI */
};

/* The field table, terminated by an entry whose name is NULL. */
extern const struct person_field person_fields[];
/* Finds a field by name, or NULL. */
const struct person_field *person_field_find(const char *name);

/* Validates and normalizes input (as typed). Returns 0 and sets *out to a new
 * object of normalized values (email lower-cased, phone in E.164, text
 * trimmed; empty optional fields left out); or returns -1 and sets *errors to
 * a new object {field: message} with a plain message for each bad field.
 * Rules: first_name, last_name, email, zip and state required; email and
 * phone well-formed; birth_date a real past date (age 14..120) if given;
 * choices among the table's codes; every string valid UTF-8 within max_len.
 * The caller owns (json_decref) whichever object is set. */
int person_validate(json_t *input, json_t **out, json_t **errors);

#endif
