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
 * The caller owns (json_decref) whichever object is set; the other is set
 * to NULL. Keys of input that are not fields (csrf, source, …) are ignored.
 * Consents are always in *out, as true/false. Out of memory gives -1 with
 * *errors NULL. */
int person_validate(json_t *input, json_t **out, json_t **errors);

/* Returns the label of code among f's choices, or NULL if f has no such
 * code. The string is static. (For showing stored codes in plain words.) */
const char *person_choice_label(const struct person_field *f, const char *code);

/* Builds what the signup template needs to show the form, with every
 * answer kept: values are the answers as typed (or person_validate()'s
 * output; NULL for an empty form), errors person_validate()'s errors or
 * NULL. Returns a new object (caller json_decrefs), or NULL when out of
 * memory:
 *   { "fields":  { name: { "label", "value", "required": bool,
 *                          "checked": bool (consents only),
 *                          "error": message (only when there is one) } },
 *     "choices": { field: [ { "code", "label", "checked": bool } ] }
 *                 (every CHOICE and MULTI field except state),
 *     "states":  [ { "code", "name", "selected": bool } ] }
 * A value that is not a string shows as "" (multi fields show "" and mark
 * their choices instead; consents show "1" or ""). */
json_t *person_form_model(json_t *values, json_t *errors);

#endif
