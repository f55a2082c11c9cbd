/* The PC's CMOS real-time clock (drivers/rtc.c): read once at boot; calendar conversions for
 * the partitions' read-only RTC (vmm/vplatform.c). Proleptic Gregorian, UTC, years 1970-2199. */
#ifndef KEEL_RTC_H
#define KEEL_RTC_H

#include <keel/types.h>

struct rtc_time {
	u32 year;            /* e.g. 2024 */
	u8 month, day;       /* 1-12, 1-31 */
	u8 hour, min, sec;
	u8 wday;             /* 1 = Sunday ... 7 = Saturday, as the MC146818 counts */
};

/* Seconds since 1970-01-01 00:00:00, or -1 for a date outside the range or invalid. */
s64 rtc_to_unix(const struct rtc_time *t);
void rtc_from_unix(u64 secs, struct rtc_time *t);
/* Reads the hardware clock (MC146818: waits for UIP clear, reads twice until stable, handles
 * BCD or binary and 12-hour mode). Returns 0 and the time, or -ENODEV when it reads as absent
 * or invalid. */
int rtc_read_hw(struct rtc_time *t);

#endif
