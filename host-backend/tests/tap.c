// SPDX-License-Identifier: GPL-2.0-or-later
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "tap.h"

static unsigned int tap_count, tap_failures;

static bool tap_vcheck(bool pass, const char *fmt, va_list ap)
{
	tap_count++;
	if (!pass)
		tap_failures++;
	printf("%sok %u - ", pass ? "" : "not ", tap_count);
	vprintf(fmt, ap);
	putchar('\n');
	return pass;
}

bool tap_check(bool pass, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vcheck(pass, fmt, ap);
	va_end(ap);
	return pass;
}

bool tap_check_eq(uint64_t got, uint64_t want, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vcheck(got == want, fmt, ap);
	va_end(ap);
	if (got != want)
		printf("#   got 0x%" PRIx64 ", want 0x%" PRIx64 "\n", got,
		       want);
	return got == want;
}

void tap_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

int tap_finish(void)
{
	printf("1..%u\n", tap_count);
	if (tap_failures)
		tap_diag("%u of %u checks failed", tap_failures, tap_count);
	return tap_failures ? 1 : 0;
}
