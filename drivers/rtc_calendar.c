/* Calendar arithmetic for the RTC: days since 1970 from a date and back (Gregorian leap rule:
 * every 4th year, not every 100th, but every 400th). Plain C, also built hosted for its test. */
#include <keel/rtc.h>

static const u8 month_days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

static bool rtc_leap(u32 y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static u32 rtc_month_days(u32 y, u32 m) { return month_days[m - 1] + (m == 2 && rtc_leap(y)); }

s64 rtc_to_unix(const struct rtc_time *t)
{
	if (t->year < 1970 || t->year > 2199 || t->month < 1 || t->month > 12 || t->day < 1 ||
	    t->day > rtc_month_days(t->year, t->month) || t->hour > 23 || t->min > 59 || t->sec > 59)
		return -1;
	u64 days = 0;
	for (u32 y = 1970; y < t->year; y++)
		days += rtc_leap(y) ? 366 : 365;
	for (u32 m = 1; m < t->month; m++)
		days += rtc_month_days(t->year, m);
	days += t->day - 1u;
	return (s64)(((days * 24 + t->hour) * 60 + t->min) * 60 + t->sec);
}

void rtc_from_unix(u64 secs, struct rtc_time *t)
{
	u64 days = secs / 86400, rem = secs % 86400;
	t->hour = (u8)(rem / 3600);
	t->min = (u8)(rem / 60 % 60);
	t->sec = (u8)(rem % 60);
	t->wday = (u8)((days + 4) % 7 + 1); /* 1970-01-01 was a Thursday */
	u32 y = 1970;
	while (days >= (rtc_leap(y) ? 366u : 365u)) {
		days -= rtc_leap(y) ? 366 : 365;
		y++;
	}
	u32 m = 1;
	while (days >= rtc_month_days(y, m)) {
		days -= rtc_month_days(y, m);
		m++;
	}
	t->year = y;
	t->month = (u8)m;
	t->day = (u8)(days + 1);
}
