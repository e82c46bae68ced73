/*
** format: the checks behind the "format" keyword.
**
** Asserted only when the schema's draft or the "format" option says so (see node.h). Each check
** follows the RFC the specification names: RFC 3339 (date-time, date, time, duration),
** RFC 5321/6531 (email, idn-email), RFC 1123/5890 (hostname, idn-hostname; IDNA via ICU),
** RFC 2673/4291 (ipv4, ipv6), RFC 3986/3987 (uri, uri-reference, iri, iri-reference),
** RFC 6570 (uri-template), RFC 4122 (uuid), RFC 6901 and the relative JSON Pointer draft, and
** ECMA-262 (regex). Unknown formats always pass.
*/
#include "jsonschema/node.h"

#include <stdlib.h>
#include <string.h>
#include <unicode/uchar.h>
#include <unicode/uidna.h>
#include <unicode/utf8.h>

enum {
    F_UNKNOWN,
    F_DATE_TIME,
    F_DATE,
    F_TIME,
    F_DURATION,
    F_EMAIL,
    F_IDN_EMAIL,
    F_HOSTNAME,
    F_IDN_HOSTNAME,
    F_IPV4,
    F_IPV6,
    F_URI,
    F_URI_REFERENCE,
    F_IRI,
    F_IRI_REFERENCE,
    F_URI_TEMPLATE,
    F_UUID,
    F_JSON_POINTER,
    F_RELATIVE_JSON_POINTER,
    F_REGEX,
    F_HOSTNAME_1123, /* drafts 4 and 6: RFC 1123 host names, "--" anywhere */
};

static const char *const NAMES[] = {
    "",
    "date-time",
    "date",
    "time",
    "duration",
    "email",
    "idn-email",
    "hostname",
    "idn-hostname",
    "ipv4",
    "ipv6",
    "uri",
    "uri-reference",
    "iri",
    "iri-reference",
    "uri-template",
    "uuid",
    "json-pointer",
    "relative-json-pointer",
    "regex",
};

int js_format_id(const char *name, size_t n, js_draft draft) {
    for (int i = 1; i < (int)(sizeof NAMES / sizeof NAMES[0]); i++)
        if (strlen(NAMES[i]) == n && memcmp(NAMES[i], name, n) == 0)
            return i == F_HOSTNAME && draft <= JS_DRAFT6 ? F_HOSTNAME_1123 : i;
    return F_UNKNOWN;
}

static bool digit(char c) {
    return c >= '0' && c <= '9';
}

static bool alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool hex(char c) {
    return digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* n ASCII digits at s as an int, or -1. */
static int num(const char *s, size_t n) {
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!digit(s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* ---- RFC 3339 ------------------------------------------------------------------------------- */

static bool check_date(const char *s, size_t n) {
    if (n != 10 || s[4] != '-' || s[7] != '-')
        return false;
    int y = num(s, 4), m = num(s + 5, 2), d = num(s + 8, 2);
    if (y < 0 || m < 1 || m > 12 || d < 1)
        return false;
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int dim = days[m - 1];
    if (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
        dim = 29;
    return d <= dim;
}

static bool check_time(const char *s, size_t n) {
    if (n < 9 || s[2] != ':' || s[5] != ':')
        return false;
    int h = num(s, 2), m = num(s + 3, 2), sec = num(s + 6, 2);
    if (h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 60)
        return false;
    size_t i = 8;
    if (i < n && s[i] == '.') {
        size_t start = ++i;
        while (i < n && digit(s[i]))
            i++;
        if (i == start)
            return false;
    }
    if (i >= n)
        return false;
    int off = 0;
    if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == n) {
        off = 0;
    } else if ((s[i] == '+' || s[i] == '-') && n - i == 6 && s[i + 3] == ':') {
        int oh = num(s + i + 1, 2), om = num(s + i + 4, 2);
        if (oh < 0 || oh > 23 || om < 0 || om > 59)
            return false;
        off = (oh * 60 + om) * (s[i] == '+' ? 1 : -1);
    } else {
        return false;
    }
    if (sec == 60) {
        /* A leap second happens at 23:59:60 UTC only. */
        int utc = ((h * 60 + m - off) % 1440 + 1440) % 1440;
        if (utc != 23 * 60 + 59)
            return false;
    }
    return true;
}

static bool check_date_time(const char *s, size_t n) {
    return n > 11 && (s[10] == 'T' || s[10] == 't') && check_date(s, 10) &&
           check_time(s + 11, n - 11);
}

/* Designators in the order the grammar allows them to follow each other. */
static bool duration_part(const char *s, size_t n, size_t *i, const char *units) {
    int last = -1;
    bool any = false;
    while (*i < n && digit(s[*i])) {
        size_t start = *i;
        while (*i < n && digit(s[*i]))
            (*i)++;
        if (*i >= n || *i == start)
            return false;
        const char *u = strchr(units, s[*i]);
        if (u == NULL || s[*i] == '\0')
            return false;
        int idx = (int)(u - units);
        if (last >= 0 && idx != last + 1)
            return false; /* units must be consecutive: P1Y2D is not RFC 3339 */
        last = idx;
        any = true;
        (*i)++;
    }
    return any;
}

static bool check_duration(const char *s, size_t n) {
    if (n < 3 || s[0] != 'P')
        return false;
    size_t i = 1;
    /* Weeks stand alone. */
    size_t j = 1;
    while (j < n && digit(s[j]))
        j++;
    if (j > 1 && j == n - 1 && s[j] == 'W')
        return true;
    bool date = false, tpart = false;
    if (i < n && s[i] != 'T') {
        if (!duration_part(s, n, &i, "YMD"))
            return false;
        date = true;
    }
    if (i < n && s[i] == 'T') {
        i++;
        if (!duration_part(s, n, &i, "HMS"))
            return false;
        tpart = true;
    }
    return i == n && (date || tpart);
}

/* ---- hosts and addresses -------------------------------------------------------------------- */

static bool check_ipv4(const char *s, size_t n) {
    int parts = 0;
    size_t i = 0;
    while (parts < 4) {
        size_t start = i;
        while (i < n && digit(s[i]) && i - start < 4)
            i++;
        size_t len = i - start;
        if (len == 0 || len > 3 || (len > 1 && s[start] == '0') || num(s + start, len) > 255)
            return false;
        parts++;
        if (parts < 4) {
            if (i >= n || s[i] != '.')
                return false;
            i++;
        }
    }
    return i == n;
}

static bool check_ipv6(const char *s, size_t n) {
    if (n < 2 || n > 45)
        return false;
    int groups = 0;
    bool compressed = false;
    size_t i = 0;
    if (s[0] == ':') {
        if (s[1] != ':')
            return false;
        compressed = true;
        i = 2;
        if (i == n)
            return true;
    }
    while (i < n) {
        size_t start = i;
        while (i < n && hex(s[i]) && i - start < 5)
            i++;
        size_t len = i - start;
        if (i < n && s[i] == '.') {
            /* Trailing IPv4 part: two groups. */
            if (!check_ipv4(s + start, n - start))
                return false;
            groups += 2;
            i = n;
            break;
        }
        if (len == 0 || len > 4)
            return false;
        groups++;
        if (i == n)
            break;
        if (s[i] != ':')
            return false;
        i++;
        if (i < n && s[i] == ':') {
            if (compressed)
                return false;
            compressed = true;
            i++;
            if (i == n)
                break;
        } else if (i == n) {
            return false; /* trailing single colon */
        }
    }
    return compressed ? groups < 8 : groups == 8;
}

static bool idn_hostname(const char *s, size_t n, bool exact);

static bool ascii_label_ok(const char *s, size_t n, bool idna) {
    if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(alpha(s[i]) || digit(s[i]) || s[i] == '-'))
            return false;
    if (idna && n >= 4 && s[2] == '-' && s[3] == '-') {
        /* Only "xn--" may have hyphens in positions 3 and 4, and it must be valid punycode
        ** whose decoded label is itself a valid IDNA2008 label. */
        if (!((s[0] == 'x' || s[0] == 'X') && (s[1] == 'n' || s[1] == 'N')))
            return false;
        UErrorCode st = U_ZERO_ERROR;
        UIDNA *uts = uidna_openUTS46(
            UIDNA_CHECK_BIDI | UIDNA_CHECK_CONTEXTJ | UIDNA_NONTRANSITIONAL_TO_UNICODE, &st);
        if (U_FAILURE(st))
            return false;
        char out[256];
        UIDNAInfo info = UIDNA_INFO_INITIALIZER;
        int32_t un = uidna_labelToUnicodeUTF8(uts, s, (int32_t)n, out, sizeof out, &info, &st);
        uidna_close(uts);
        if (U_FAILURE(st) || info.errors != 0 || un <= 0 || un >= (int32_t)sizeof out)
            return false;
        bool ascii = true;
        for (int32_t i = 0; i < un; i++)
            ascii &= (unsigned char)out[i] < 0x80;
        return !ascii && idn_hostname(out, (size_t)un, false);
    }
    return true;
}

/* Whether the name has a code point IDNA2008 (RFC 5892) disallows although UTS 46, which ICU
** implements, accepts it: the section 2.6 exceptions, and characters outside the LetterDigits
** categories (punctuation, symbols) other than the CONTEXTO/CONTEXTJ ones ICU checks itself. */
static bool idna2008_disallowed(const char *s, size_t n) {
    static const UChar32 EXC[] = {0x0640, 0x07FA, 0x302E, 0x302F, 0x3031,
                                  0x3032, 0x3033, 0x3034, 0x3035, 0x303B};
    /* CONTEXTO/CONTEXTJ (ICU checks their contexts) and the section 2.6 PVALID exceptions. */
    static const UChar32 CONTEXT[] = {0x00B7, 0x0375, 0x05F3, 0x05F4, 0x30FB, 0x200C, 0x200D,
                                      0x00DF, 0x03C2, 0x06FD, 0x06FE, 0x0F0B, 0x3007};
    int32_t i = 0, len = (int32_t)n;
    while (i < len) {
        UChar32 c;
        U8_NEXT(s, i, len, c);
        if (c < 0)
            return true;
        if (c < 0x80)
            continue; /* ASCII letters, digits, '-' and '.' were checked by ICU */
        for (size_t k = 0; k < sizeof EXC / sizeof EXC[0]; k++)
            if (c == EXC[k])
                return true;
        bool context = false;
        for (size_t k = 0; k < sizeof CONTEXT / sizeof CONTEXT[0]; k++)
            context |= c == CONTEXT[k];
        if (context)
            continue;
        switch (u_charType(c)) {
            case U_LOWERCASE_LETTER:
            case U_OTHER_LETTER:
            case U_MODIFIER_LETTER:
            case U_NON_SPACING_MARK:
            case U_COMBINING_SPACING_MARK:
            case U_DECIMAL_DIGIT_NUMBER:
                break;
            default:
                return true;
        }
    }
    return false;
}

static bool hostname(const char *s, size_t n, bool uts) {
    if (n == 0 || n > 253)
        return false;
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '.') {
            if (!ascii_label_ok(s + start, i - start, uts))
                return false;
            start = i + 1;
        }
    }
    return true;
}

static bool check_hostname(const char *s, size_t n) {
    return hostname(s, n, true);
}

/* Copies s with the ideographic, fullwidth and halfwidth full stops (which IDNA treats as
** label separators) replaced by '.'; returns the new length. out holds n bytes. */
static size_t dots(const char *s, size_t n, char *out) {
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (i + 2 < n && ((unsigned char)s[i] == 0xE3 && (unsigned char)s[i + 1] == 0x80 &&
                          (unsigned char)s[i + 2] == 0x82)) {
            out[o++] = '.'; /* U+3002 */
            i += 2;
        } else if (i + 2 < n && (unsigned char)s[i] == 0xEF &&
                   (((unsigned char)s[i + 1] == 0xBC && (unsigned char)s[i + 2] == 0x8E) ||
                    ((unsigned char)s[i + 1] == 0xBD && (unsigned char)s[i + 2] == 0xA1))) {
            out[o++] = '.'; /* U+FF0E, U+FF61 */
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    return o;
}

static bool idn_hostname(const char *s, size_t n, bool exact) {
    if (n == 0 || n > 1024 || s[n - 1] == '.')
        return false;
    bool ascii = true;
    for (size_t i = 0; i < n; i++)
        ascii &= (unsigned char)s[i] < 0x80;
    if (ascii)
        return check_hostname(s, n);
    char in[1024];
    n = dots(s, n, in);
    s = in;
    if (s[n - 1] == '.' || idna2008_disallowed(s, n))
        return false;
    UErrorCode st = U_ZERO_ERROR;
    UIDNA *idna = uidna_openUTS46(UIDNA_USE_STD3_RULES | UIDNA_CHECK_BIDI | UIDNA_CHECK_CONTEXTJ |
                                      UIDNA_CHECK_CONTEXTO | UIDNA_NONTRANSITIONAL_TO_ASCII |
                                      UIDNA_NONTRANSITIONAL_TO_UNICODE,
                                  &st);
    if (U_FAILURE(st))
        return false;
    char a[1024], u[4096];
    UIDNAInfo info = UIDNA_INFO_INITIALIZER, info2 = UIDNA_INFO_INITIALIZER;
    int32_t an = uidna_nameToASCII_UTF8(idna, s, (int32_t)n, a, sizeof a, &info, &st);
    bool ok = U_SUCCESS(st) && info.errors == 0 && an > 0 && an <= 253;
    if (ok && exact) {
        /* IDNA2008 does not map: a name that only validates after UTS 46 mapping (case
        ** folding, KELVIN SIGN -> k) is not a valid idn-hostname. */
        int32_t un = uidna_nameToUnicodeUTF8(idna, a, an, u, sizeof u, &info2, &st);
        ok = U_SUCCESS(st) && info2.errors == 0 && (size_t)un == n && memcmp(u, s, n) == 0;
    }
    uidna_close(idna);
    return ok;
}

static bool check_idn_hostname(const char *s, size_t n) {
    return idn_hostname(s, n, true);
}

/* ---- email ---------------------------------------------------------------------------------- */

static bool atext(unsigned char c, bool intl) {
    return alpha((char)c) || digit((char)c) || strchr("!#$%&'*+-/=?^_`{|}~", c) ||
           (intl && c >= 0x80);
}

static bool check_email(const char *s, size_t n, bool intl) {
    const char *at = NULL;
    size_t i = 0;
    if (n == 0)
        return false;
    if (s[0] == '"') {
        for (i = 1; i < n && s[i] != '"'; i++) {
            if (s[i] == '\\')
                i++;
            else if ((unsigned char)s[i] < 0x20)
                return false;
        }
        if (i >= n)
            return false;
        i++;
        if (i >= n || s[i] != '@')
            return false;
        at = s + i;
    } else {
        size_t start = 0;
        for (i = 0; i < n && s[i] != '@'; i++) {
            if (s[i] == '.') {
                if (i == start)
                    return false; /* leading or double dot */
                start = i + 1;
            } else if (!atext((unsigned char)s[i], intl)) {
                return false;
            }
        }
        if (i >= n || i == 0 || i == start)
            return false;
        at = s + i;
    }
    const char *dom = at + 1;
    size_t dn = n - (size_t)(dom - s);
    if (dn == 0)
        return false;
    if (dom[0] == '[') {
        if (dom[dn - 1] != ']')
            return false;
        if (dn > 6 && memcmp(dom + 1, "IPv6:", 5) == 0)
            return check_ipv6(dom + 6, dn - 7);
        return check_ipv4(dom + 1, dn - 2);
    }
    return intl ? idn_hostname(dom, dn, false) : check_hostname(dom, dn);
}

/* ---- URIs ----------------------------------------------------------------------------------- */

static bool uri_char(unsigned char c, bool intl, const char *extra) {
    return alpha((char)c) || digit((char)c) || strchr("-._~!$&'()*+,;=:@/?", c) ||
           (extra && strchr(extra, c)) || (intl && c >= 0x80);
}

/* Checks pct-encodings and characters of s[0..n). */
static bool uri_chars(const char *s, size_t n, bool intl, const char *extra) {
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            if (i + 2 >= n + 0 && !(i + 2 < n))
                return false;
            if (!hex(s[i + 1]) || !hex(s[i + 2]))
                return false;
            i += 2;
        } else if (c == 0 || !uri_char(c, intl, extra)) {
            return false;
        }
    }
    return true;
}

static bool check_authority(const char *s, size_t n, bool intl) {
    const char *at = memchr(s, '@', n);
    if (at) {
        if (!uri_chars(s, (size_t)(at - s), intl, NULL) || memchr(s, '[', (size_t)(at - s)))
            return false;
        n -= (size_t)(at + 1 - s);
        s = at + 1;
    }
    size_t hostn = n;
    if (n > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (close == NULL)
            return false;
        size_t inner = (size_t)(close - s) - 1;
        if (!(inner > 0 && (s[1] == 'v' || s[1] == 'V' ? true : check_ipv6(s + 1, inner))))
            return false;
        hostn = (size_t)(close - s) + 1;
    } else {
        const char *colon = memchr(s, ':', n);
        if (colon)
            hostn = (size_t)(colon - s);
        for (size_t i = 0; i < hostn; i++)
            if (s[i] == ':' || s[i] == '[' || s[i] == ']' || s[i] == '@')
                return false;
        if (!uri_chars(s, hostn, intl, NULL))
            return false;
    }
    if (hostn < n) {
        if (s[hostn] != ':')
            return false;
        for (size_t i = hostn + 1; i < n; i++)
            if (!digit(s[i]))
                return false;
    }
    return true;
}

static bool check_uri_ref(const char *s, size_t n, bool intl, bool need_scheme) {
    size_t i = 0;
    bool scheme = false;
    if (n > 0 && alpha(s[0])) {
        size_t j = 1;
        while (j < n && (alpha(s[j]) || digit(s[j]) || s[j] == '+' || s[j] == '-' || s[j] == '.'))
            j++;
        if (j < n && s[j] == ':') {
            scheme = true;
            i = j + 1;
        }
    }
    if (need_scheme && !scheme)
        return false;
    const char *hash = memchr(s + i, '#', n - i);
    size_t end = hash ? (size_t)(hash - s) : n;
    if (hash && !uri_chars(hash + 1, n - end - 1, intl, NULL))
        return false;
    if (end - i >= 2 && s[i] == '/' && s[i + 1] == '/') {
        size_t a = i + 2, b = a;
        while (b < end && s[b] != '/' && s[b] != '?')
            b++;
        if (!check_authority(s + a, b - a, intl))
            return false;
        i = b;
    }
    if (!uri_chars(s + i, end - i, intl, NULL))
        return false;
    if (!scheme) {
        /* A relative reference's first segment must not look like a scheme. */
        const char *colon = memchr(s, ':', end);
        const char *slash = memchr(s, '/', end);
        if (colon && (!slash || colon < slash))
            return false;
    }
    return true;
}

static bool varchar_at(const char *s, size_t n, size_t *i) {
    if (*i < n && (alpha(s[*i]) || digit(s[*i]) || s[*i] == '_')) {
        (*i)++;
        return true;
    }
    if (*i + 2 < n && s[*i] == '%' && hex(s[*i + 1]) && hex(s[*i + 2])) {
        *i += 3;
        return true;
    }
    return false;
}

/* RFC 6570 expression body s[0..n) (between the braces). */
static bool template_expression(const char *s, size_t n) {
    size_t i = 0;
    if (i < n && strchr("+#./;?&", s[i]))
        i++;
    for (;;) {
        /* varname = varchar *( ["."] varchar ) */
        if (!varchar_at(s, n, &i))
            return false;
        while (i < n) {
            if (s[i] == '.') {
                i++;
                if (!varchar_at(s, n, &i))
                    return false;
            } else if (!varchar_at(s, n, &i)) {
                break;
            }
        }
        if (i < n && s[i] == '*') {
            i++;
        } else if (i < n && s[i] == ':') {
            size_t start = ++i;
            while (i < n && digit(s[i]))
                i++;
            if (i == start || i - start > 4 || s[start] == '0')
                return false;
        }
        if (i == n)
            return true;
        if (s[i] != ',')
            return false;
        i++;
    }
}

static bool check_uri_template(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '{') {
            const char *close = memchr(s + i, '}', n - i);
            if (close == NULL)
                return false;
            size_t len = (size_t)(close - (s + i)) - 1;
            if (memchr(s + i + 1, '{', len) || !template_expression(s + i + 1, len))
                return false;
            i += len + 1;
        } else if (c == '}' || c <= 0x20 || c == 0x7F || c == '"' || c == '<' || c == '>' ||
                   c == '\\' || c == '^' || c == '`' || c == '|') {
            return false;
        } else if (c == '%' && !(i + 2 < n && hex(s[i + 1]) && hex(s[i + 2]))) {
            return false;
        }
    }
    return true;
}

static bool check_uuid(const char *s, size_t n) {
    if (n != 36)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return false;
        } else if (!hex(s[i])) {
            return false;
        }
    }
    return true;
}

static bool check_json_pointer(const char *s, size_t n) {
    if (n > 0 && s[0] != '/')
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '~' && (i + 1 >= n || (s[i + 1] != '0' && s[i + 1] != '1')))
            return false;
    return true;
}

static bool check_relative_json_pointer(const char *s, size_t n) {
    size_t i = 0;
    while (i < n && digit(s[i]))
        i++;
    if (i == 0 || (i > 1 && s[0] == '0'))
        return false;
    if (i == n)
        return true;
    if (s[i] == '#')
        return i + 1 == n;
    return check_json_pointer(s + i, n - i);
}

/* ECMA-262 accepts fewer escapes than ICU: a letter escape outside this set is an error. */
static bool check_regex(const char *s, size_t n) {
    for (size_t i = 0; i + 2 < n; i++) {
        /* ECMA has no comment groups and no inline flags: (?#...), (?i), (?i:...). */
        if (s[i] == '(' && s[i + 1] == '?' && (s[i + 2] == '#' || alpha(s[i + 2])) &&
            (i == 0 || s[i - 1] != '\\'))
            return false;
    }
    for (size_t i = 0; i + 1 < n; i++) {
        if (s[i] != '\\')
            continue;
        char e = s[++i];
        if (alpha(e) && !strchr("dDwWsSbBnrtfvcxuUpPk", e))
            return false;
    }
    return js_regex_valid(s, n);
}

/* Decodes RFC 4648 base64 s[0..n) into out (n bytes suffice); -1 when malformed. */
long js_base64_decode(const char *s, size_t n, char *out) {
    uint32_t acc = 0;
    int bits = 0;
    long o = 0;
    size_t pad = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int v;
        if (c >= 'A' && c <= 'Z')
            v = c - 'A';
        else if (c >= 'a' && c <= 'z')
            v = c - 'a' + 26;
        else if (digit(c))
            v = c - '0' + 52;
        else if (c == '+')
            v = 62;
        else if (c == '/')
            v = 63;
        else if (c == '=') {
            pad++;
            continue;
        } else
            return -1;
        if (pad)
            return -1; /* data after padding */
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (char)((acc >> bits) & 0xFF);
        }
    }
    if (pad > 2 || (n % 4 != 0 && pad))
        return -1;
    return o;
}

bool js_format_check(int id, const char *s, size_t n) {
    switch (id) {
        case F_DATE_TIME:
            return check_date_time(s, n);
        case F_DATE:
            return check_date(s, n);
        case F_TIME:
            return check_time(s, n);
        case F_DURATION:
            return check_duration(s, n);
        case F_EMAIL:
            return check_email(s, n, false);
        case F_IDN_EMAIL:
            return check_email(s, n, true);
        case F_HOSTNAME:
            return check_hostname(s, n);
        case F_HOSTNAME_1123:
            return hostname(s, n, false);
        case F_IDN_HOSTNAME:
            return check_idn_hostname(s, n);
        case F_IPV4:
            return check_ipv4(s, n);
        case F_IPV6:
            return check_ipv6(s, n);
        case F_URI:
            return check_uri_ref(s, n, false, true);
        case F_URI_REFERENCE:
            return check_uri_ref(s, n, false, false);
        case F_IRI:
            return check_uri_ref(s, n, true, true);
        case F_IRI_REFERENCE:
            return check_uri_ref(s, n, true, false);
        case F_URI_TEMPLATE:
            return check_uri_template(s, n);
        case F_UUID:
            return check_uuid(s, n);
        case F_JSON_POINTER:
            return check_json_pointer(s, n);
        case F_RELATIVE_JSON_POINTER:
            return check_relative_json_pointer(s, n);
        case F_REGEX:
            return check_regex(s, n);
        default:
            return true;
    }
}
