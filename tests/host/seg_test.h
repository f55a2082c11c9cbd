/* Shared helpers of the segment-check host tests (seg_test.c, seg_cases.c). */
#ifndef TESTS_HOST_SEG_TEST_H
#define TESTS_HOST_SEG_TEST_H

#include <stdbool.h>
#include <stdint.h>
#include "emul/seg.h"

void sverdict(const char *name, bool pass, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
extern unsigned s_failures;
void seg_cases(void);

#endif
