/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Minimal TAP producer: one test point per check, plan printed at the end.
 */
#ifndef PVB_TEST_TAP_H
#define PVB_TEST_TAP_H

#include <stdbool.h>
#include <stdint.h>

bool tap_check(bool pass, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
bool tap_check_eq(uint64_t got, uint64_t want, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print the plan; returns the exit status (1 if any check failed) */
int tap_finish(void);

#define OK(cond, ...) tap_check(!!(cond), __VA_ARGS__)
#define EQ(got, want, ...) \
	tap_check_eq((uint64_t)(got), (uint64_t)(want), __VA_ARGS__)

#endif /* PVB_TEST_TAP_H */
