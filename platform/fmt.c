/* The formatter of boot/fmt.h: no libc, no floating point, no allocation. */
#include "fmt.h"

#include "kcore/types.h"

static void fmt_num(void (*put)(char c), u64 v, unsigned base, bool neg, unsigned width,
		    char pad)
{
	char buf[24];
	unsigned n = 0;

	do {
		unsigned d = (unsigned)(v % base);

		buf[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
		v /= base;
	} while (v);
	if (neg)
		buf[n++] = '-';
	while (width > n) {
		put(pad);
		width--;
	}
	while (n)
		put(buf[--n]);
}

void fmt_vprint(void (*put)(char c), const char *fmt, va_list ap)
{
	for (const char *p = fmt; *p; p++) {
		unsigned width = 0, longs = 0;
		char pad = ' ';

		if (*p != '%') {
			put(*p);
			continue;
		}
		p++;
		if (*p == '0') {
			pad = '0';
			p++;
		}
		while (*p >= '0' && *p <= '9')
			width = width * 10 + (unsigned)(*p++ - '0');
		while (*p == 'l' || *p == 'z') {
			longs++;
			p++;
		}
		switch (*p) {
		case 'd':
		case 'i': {
			s64 v = longs ? va_arg(ap, s64) : va_arg(ap, int);

			fmt_num(put, v < 0 ? (u64)0 - (u64)v : (u64)v, 10, v < 0, width, pad);
			break;
		}
		case 'u':
		case 'x': {
			u64 v = longs ? va_arg(ap, u64) : va_arg(ap, unsigned int);

			fmt_num(put, v, *p == 'u' ? 10 : 16, false, width, pad);
			break;
		}
		case 'p':
			put('0');
			put('x');
			fmt_num(put, (u64)(uintptr_t)va_arg(ap, void *), 16, false, 16, '0');
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);

			for (s = s ? s : "(null)"; *s; s++)
				put(*s);
			break;
		}
		case 'c':
			put((char)va_arg(ap, int));
			break;
		case '%':
			put('%');
			break;
		case '\0':
			return;
		default:
			put('%');
			put(*p);
			break;
		}
	}
}
