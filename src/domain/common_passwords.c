/*
 * common_passwords.c — passwords and words that guessers try first.
 *
 * auth_password_problem() refuses a password equal to one of these, or one
 * that is one of these dressed up (leading/trailing digits and symbols,
 * look-alike substitutions such as 4 for a and 0 for o, up to three extra
 * letters). The list mixes the passwords that top every leaked-password
 * tally with the words people reach for on an election-themed site.
 *
 * Invariants: every entry is lower-case ASCII without spaces (a test checks).
 * Threading: constant data.
 */
#include <stddef.h>

#include "domain/auth.h"

const char *const auth_common_passwords[] = {
	/* Digits and keyboard patterns (matched whole). */
	"123456", "1234567", "12345678", "123456789", "1234567890", "12345678910",
	"123123123", "123123123123", "123456123456", "111111111111", "000000000000",
	"147258369", "159357", "159753", "741852963", "789456123", "987654321",
	"0987654321", "102030405060", "112233445566", "121212121212", "123321",
	"1q2w3e4r", "1q2w3e4r5t", "1q2w3e4r5t6y", "1qaz2wsx", "1qaz2wsx3edc",
	"zaq12wsx", "zaq1zaq1", "qazwsx", "qazwsxedc", "qwe123", "123qwe",
	"qwerty123", "qwerty1234", "qwertyuiop", "qwertyuiop123", "asdfghjkl",
	"asdfasdf", "zxcvbnm", "zxcvbnm123", "azerty", "qwertz", "!@#$%^&*",
	"!@#$%^&*()", "1234qwer", "abcd1234", "abc123", "aa123456", "a1b2c3d4",
	"a1b2c3d4e5f6", "password123", "password1234", "passw0rd", "p@ssw0rd",
	"p@ssword", "pa$$word",

	/* Words that lead the leaked-password tallies. */
	"password", "passwort", "motdepasse", "contrasena", "qwerty", "letmein",
	"welcome", "iloveyou", "trustno1", "sunshine", "princess", "dragon",
	"monkey", "football", "baseball", "basketball", "soccer", "hockey",
	"superman", "batman", "spiderman", "starwars", "pokemon", "master",
	"shadow", "michael", "jennifer", "jessica", "ashley", "charlie", "daniel",
	"thomas", "robert", "matthew", "andrew", "joshua", "william", "jordan",
	"michelle", "amanda", "nicole", "hannah", "taylor", "austin", "maggie",
	"bailey", "buster", "tigger", "ginger", "pepper", "cookie", "chocolate",
	"butterfly", "flower", "lovely", "loveme", "lovelove", "iloveu", "friends",
	"whatever", "freedom", "liberty", "patriot", "america", "mustang",
	"corvette", "ferrari", "harley", "yankees", "cowboys", "eagles", "steelers",
	"lakers", "packers", "redsox", "hunter", "ranger", "killer", "hello",
	"helloworld", "secret", "access", "login", "admin", "administrator",
	"root", "guest", "default", "changeme", "temp", "temporary", "test",
	"testing", "tester", "user", "username", "computer", "internet", "google",
	"facebook", "instagram", "twitter", "linkedin", "microsoft", "windows",
	"apple", "iphone", "samsung", "android", "photoshop", "adobe",
	"ninja", "mypassword", "newpassword", "oldpassword", "nopassword",
	"donald", "jesus", "jesuschrist", "blessed", "heaven", "angel", "family",
	"mother", "father", "summer", "winter", "spring", "autumn", "january",
	"february", "march", "april", "june", "july", "august", "september",
	"october", "november", "december", "monday", "friday", "sunday",
	"birthday", "happy", "money", "purple", "orange", "banana", "cheese",
	"pizza", "coffee", "matrix", "wizard", "diamond", "silver",
	"golden", "thunder", "phoenix", "snoopy", "peanut", "smokey", "tiger",
	"dallas", "chicago", "boston", "texas", "california", "florida",

	/* Words this site invites. */
	"onramp", "runforsomething", "runforoffice", "candidate", "candidates",
	"campaign", "election", "elections", "vote", "voter", "votes", "voting",
	"ballot", "democracy", "democrat", "democrats", "republican", "progressive",
	"volunteer", "volunteers", "organizer", "organize", "council",
	"citycouncil", "schoolboard", "mayor", "senate", "senator", "congress",
	"governor", "president", "government", "politics", "community", "staff",
	"office", "manager", "company", "signup", "register",
};

const size_t auth_common_passwords_count =
	sizeof(auth_common_passwords) / sizeof(auth_common_passwords[0]);
