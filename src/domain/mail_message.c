/*
 * mail_message.c — one email as RFC 5322 text. See mail_message.h.
 *
 * Why quoted-printable for every body: it keeps lines short whatever staff
 * type into a template, survives any relay (7-bit clean), and leaves a
 * plain ASCII body readable as is. Why encoded-words for a subject that
 * is long or not ASCII: folding raw text would need care with whitespace,
 * while encoded-words of at most 75 characters can always be folded
 * between each other.
 * Pure functions; thread-safe (randombytes_buf is).
 */
#include "domain/mail_message.h"

#include <string.h>
#include <time.h>

#include <sodium.h>

#include "lib/utf8.h"

/* Longest subject line kept as raw ASCII ("Subject: " + this fits 78). */
#define MAIL_SUBJECT_RAW_MAX 66
/* Bytes of UTF-8 per encoded-word: base64 of 45 bytes is 60 characters,
 * plus "=?UTF-8?B?" and "?=" makes 72 <= 75. */
#define MAIL_WORD_BYTES 45
#define MAIL_QP_LINE 76

static int mail_has_crlf(const char *s)
{
	return s != NULL && strpbrk(s, "\r\n") != NULL;
}

int mail_address_ok(const char *addr)
{
	const char *at;
	size_t i, n;

	if (addr == NULL)
		return 0;
	n = strlen(addr);
	if (n < 3 || n > 254)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)addr[i];

		if (ch <= ' ' || ch >= 0x7f || strchr("\"(),:;<>[\\]", ch))
			return 0;
	}
	at = strchr(addr, '@');
	if (at == NULL || at == addr || at[1] == '\0' || strchr(at + 1, '@'))
		return 0;
	return 1;
}

static void mail_trim(const char **s, size_t *n)
{
	while (*n > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

int mail_from_parse(const char *from, char *name, size_t namelen, char *addr, size_t addrlen)
{
	const char *lt, *gt, *s;
	size_t n;

	if (from == NULL || mail_has_crlf(from) || namelen == 0 || addrlen == 0 ||
	    !utf8_valid_line(from, strlen(from)))
		return -1;
	name[0] = addr[0] = '\0';
	lt = strchr(from, '<');
	if (lt == NULL) {
		s = from;
		n = strlen(from);
		mail_trim(&s, &n);
	} else {
		gt = strchr(lt, '>');
		if (gt == NULL || gt[1] != '\0')
			return -1;
		s = from;
		n = (size_t)(lt - from);
		mail_trim(&s, &n);
		/* a quoted display name loses its quotes */
		if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
			s++;
			n -= 2;
		}
		if (memchr(s, '"', n) || memchr(s, '\\', n) || n >= namelen)
			return -1;
		memcpy(name, s, n);
		name[n] = '\0';
		s = lt + 1;
		n = (size_t)(gt - lt - 1);
	}
	if (n >= addrlen)
		return -1;
	memcpy(addr, s, n);
	addr[n] = '\0';
	return mail_address_ok(addr) ? 0 : -1;
}

int mail_message_id_new(const char *from_addr, char *out, size_t outlen)
{
	unsigned char rnd[16];
	char hex[sizeof(rnd) * 2 + 1];
	const char *at = from_addr ? strchr(from_addr, '@') : NULL;
	int n;

	if (at == NULL || at[1] == '\0')
		return -1;
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
	n = snprintf(out, outlen, "<%s.%lld@%s>", hex, (long long)time(NULL), at + 1);
	return n > 0 && (size_t)n < outlen ? 0 : -1;
}

int mail_header_encode(buf *out, const char *s)
{
	char b64[sodium_base64_ENCODED_LEN(MAIL_WORD_BYTES, sodium_base64_VARIANT_ORIGINAL)];
	size_t len = strlen(s), off = 0, k;
	int first = 1;

	if (!utf8_valid(s, len))
		return -1;
	if (len == 0)
		return 0;
	while (off < len) {
		k = utf8_prefix(s + off, len - off, MAIL_WORD_BYTES);
		if (k == 0)
			return -1;
		sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)s + off, k,
		                  sodium_base64_VARIANT_ORIGINAL);
		if (!first)
			buf_adds(out, "\r\n ");
		buf_adds(out, "=?UTF-8?B?");
		buf_adds(out, b64);
		buf_adds(out, "?=");
		first = 0;
		off += k;
	}
	return buf_failed(out) ? -1 : 0;
}

/* Appends one token of tlen characters to the current QP line, breaking
 * it softly first when the token would not fit. */
static void mail_qp_put(buf *out, size_t *col, const char *tok, size_t tlen)
{
	if (*col + tlen > MAIL_QP_LINE - 1) {
		buf_adds(out, "=\r\n");
		*col = 0;
	}
	buf_add(out, tok, tlen);
	*col += tlen;
}

int mail_qp_encode(buf *out, const char *s, size_t len)
{
	static const char hexd[] = "0123456789ABCDEF";
	size_t i = 0, end, j, col;
	char tok[3];

	while (i < len) {
		end = i;
		while (end < len && s[end] != '\n')
			end++;
		j = end;
		if (j > i && s[j - 1] == '\r')
			j--;  /* CRLF input: the CR belongs to the line break */
		col = 0;
		for (; i < j; i++) {
			unsigned char ch = (unsigned char)s[i];
			int last = i + 1 == j;

			if ((ch >= 33 && ch <= 126 && ch != '=') ||
			    ((ch == ' ' || ch == '\t') && !last)) {
				tok[0] = (char)ch;
				mail_qp_put(out, &col, tok, 1);
			} else {
				tok[0] = '=';
				tok[1] = hexd[ch >> 4];
				tok[2] = hexd[ch & 15];
				mail_qp_put(out, &col, tok, 3);
			}
		}
		buf_adds(out, "\r\n");
		i = end < len ? end + 1 : end;
	}
	return buf_failed(out) ? -1 : 0;
}

/* "Mon, 02 Jan 2006 15:04:05 +0000", without the locale's names. */
static int mail_date(buf *out, long long secs)
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t t = (time_t)secs;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || tm.tm_wday < 0 || tm.tm_wday > 6 || tm.tm_mon < 0 ||
	    tm.tm_mon > 11)
		return -1;
	return buf_printf(out, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n", days[tm.tm_wday],
	                  tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
	                  tm.tm_sec);
}

/* Printable ASCII only, no "=?" (which a reader would take for an
 * encoded-word). */
static int mail_plain_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < ' ' || (unsigned char)*s > '~' || (s[0] == '=' && s[1] == '?'))
			return 0;
	return 1;
}

int mail_message_build(const struct mail_message *m, buf *out)
{
	const char *url = m->unsubscribe_url;

	if (!mail_address_ok(m->from_addr) || !mail_address_ok(m->to_addr) || m->subject == NULL ||
	    m->body == NULL || m->message_id == NULL)
		return -1;
	if (mail_has_crlf(m->subject) || mail_has_crlf(m->from_name) ||
	    mail_has_crlf(m->message_id) || mail_has_crlf(url))
		return -1;
	if (!utf8_valid_line(m->subject, strlen(m->subject)) ||
	    (m->from_name && !utf8_valid_line(m->from_name, strlen(m->from_name))) ||
	    !utf8_valid(m->body, strlen(m->body)))
		return -1;
	if (!mail_plain_ascii(m->message_id) || m->message_id[0] != '<' ||
	    strchr(m->message_id, ' '))
		return -1;
	if (url && (!mail_plain_ascii(url) || strpbrk(url, " <>\"") ||
	            (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0)))
		return -1;

	if (mail_date(out, m->date) < 0)
		return -1;
	buf_adds(out, "From: ");
	if (m->from_name && *m->from_name) {
		if (mail_plain_ascii(m->from_name) && !strpbrk(m->from_name, "\"\\")) {
			buf_printf(out, "\"%s\"", m->from_name);
		} else if (mail_header_encode(out, m->from_name) < 0) {
			return -1;
		}
		buf_printf(out, " <%s>\r\n", m->from_addr);
	} else {
		buf_printf(out, "%s\r\n", m->from_addr);
	}
	buf_printf(out, "To: %s\r\n", m->to_addr);
	buf_adds(out, "Subject: ");
	if (mail_plain_ascii(m->subject) && strlen(m->subject) <= MAIL_SUBJECT_RAW_MAX)
		buf_adds(out, m->subject);
	else if (mail_header_encode(out, m->subject) < 0)
		return -1;
	buf_adds(out, "\r\n");
	buf_printf(out, "Message-ID: %s\r\n", m->message_id);
	if (url) {
		buf_printf(out, "List-Unsubscribe: <%s>\r\n", url);
		buf_adds(out, "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n");
	}
	buf_adds(out, "MIME-Version: 1.0\r\n"
	              "Content-Type: text/plain; charset=utf-8\r\n"
	              "Content-Transfer-Encoding: quoted-printable\r\n"
	              "\r\n");
	if (mail_qp_encode(out, m->body, strlen(m->body)) < 0)
		return -1;
	return buf_failed(out) ? -1 : 0;
}
