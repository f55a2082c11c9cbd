/* drivers/rtc_calendar.c against the C library's own calendar (timegm, gmtime_r): every day
 * from 1970 to 2199 both ways, random seconds, the weekday, and invalid dates refused. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <keel/rtc.h>

static int failed;

static void verdict(const char *name, int ok, const char *detail)
{
	printf("VERDICT %s rtc/%s%s%s\n", ok ? "PASS" : "FAIL", name, ok ? "" : " ", ok ? "" : detail);
	failed += !ok;
}

static int same(const struct rtc_time *r, const struct tm *t)
{
	return r->year == (unsigned)t->tm_year + 1900 && r->month == t->tm_mon + 1 &&
	       r->day == t->tm_mday && r->hour == t->tm_hour && r->min == t->tm_min &&
	       r->sec == t->tm_sec && r->wday == t->tm_wday + 1;
}

int main(void)
{
	char why[160] = "";
	int ok = 1;
	time_t end = 7258118400; /* 2200-01-01 */
	for (time_t s = 0; s < end && ok; s += 86400 - 7) {
		struct tm t;
		struct rtc_time r;
		gmtime_r(&s, &t);
		rtc_from_unix((uint64_t)s, &r);
		if (!same(&r, &t) || rtc_to_unix(&r) != (int64_t)s) {
			snprintf(why, sizeof(why), "at %lld: %u-%u-%u %u:%u:%u wday %u", (long long)s,
				 r.year, r.month, r.day, r.hour, r.min, r.sec, r.wday);
			ok = 0;
		}
	}
	verdict("days-1970-2199", ok, why);
	srand(12991);
	ok = 1;
	for (int i = 0; i < 200000 && ok; i++) {
		time_t s = (time_t)(((uint64_t)rand() << 31 | (uint64_t)rand()) % (uint64_t)end);
		struct tm t;
		struct rtc_time r;
		gmtime_r(&s, &t);
		rtc_from_unix((uint64_t)s, &r);
		ok = same(&r, &t) && rtc_to_unix(&r) == (int64_t)timegm(&t);
		if (!ok)
			snprintf(why, sizeof(why), "at %lld", (long long)s);
	}
	verdict("random-seconds", ok, why);
	struct rtc_time bad[] = {
		{ 2023, 2, 29, 0, 0, 0, 0 }, { 2100, 2, 29, 0, 0, 0, 0 }, { 2024, 4, 31, 0, 0, 0, 0 },
		{ 2024, 13, 1, 0, 0, 0, 0 }, { 2024, 1, 0, 0, 0, 0, 0 }, { 1969, 12, 31, 0, 0, 0, 0 },
		{ 2024, 1, 1, 24, 0, 0, 0 }, { 2024, 1, 1, 0, 60, 0, 0 }, { 2200, 1, 1, 0, 0, 0, 0 },
	};
	ok = 1;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok &= rtc_to_unix(&bad[i]) == -1;
	struct rtc_time leap = { 2000, 2, 29, 12, 0, 0, 0 };
	ok &= rtc_to_unix(&leap) == 951825600; /* date -u -d 2000-02-29T12:00:00 +%s */
	verdict("invalid-dates-refused", ok, "an invalid date was accepted or 2000-02-29 refused");
	return failed != 0;
}
