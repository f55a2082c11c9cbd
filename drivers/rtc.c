/* Reading the MC146818 CMOS clock at ports 0x70/0x71 (MC146818A data sheet: registers 0-9,
 * status A bit 7 UIP, status B bit 2 DM (binary), bit 1 24/12; the century in register 0x32 as
 * PCs keep it). */
#include <keel/rtc.h>
#include <keel/errno.h>
#include <keel/string.h>
#include <arch/io.h>

#define RTC_UIP 0x80
#define RTC_DM_BINARY 0x04
#define RTC_24H 0x02
#define RTC_PM 0x80

static u8 rtc_reg(u8 r)
{
	outb(0x70, r);
	return inb(0x71);
}

static u8 rtc_val(u8 v, bool bcd) { return bcd ? (u8)((v >> 4) * 10 + (v & 0xf)) : v; }

struct rtc_raw {
	u8 sec, min, hour, day, month, year, century;
};

static bool rtc_snapshot(struct rtc_raw *r)
{
	for (u32 spin = 0; rtc_reg(0x0a) & RTC_UIP; spin++)
		if (spin > 1000000)
			return false;
	*r = (struct rtc_raw){ rtc_reg(0x00), rtc_reg(0x02), rtc_reg(0x04), rtc_reg(0x07),
			       rtc_reg(0x08), rtc_reg(0x09), rtc_reg(0x32) };
	return true;
}

int rtc_read_hw(struct rtc_time *t)
{
	struct rtc_raw a, b;
	int tries = 0;
	do {
		if (!rtc_snapshot(&a) || !rtc_snapshot(&b) || ++tries > 10)
			return -ENODEV;
	} while (memcmp(&a, &b, sizeof(a)));
	u8 status_b = rtc_reg(0x0b);
	bool bcd = !(status_b & RTC_DM_BINARY);
	t->sec = rtc_val(a.sec, bcd);
	t->min = rtc_val(a.min, bcd);
	t->hour = rtc_val(a.hour & (u8)~RTC_PM, bcd);
	t->day = rtc_val(a.day, bcd);
	t->month = rtc_val(a.month, bcd);
	u32 yy = rtc_val(a.year, bcd), cc = rtc_val(a.century, bcd);
	if (!(status_b & RTC_24H)) {
		t->hour %= 12;
		if (a.hour & RTC_PM)
			t->hour += 12;
	}
	t->year = (cc >= 19 && cc <= 21 ? cc : (yy < 70 ? 20 : 19)) * 100 + yy;
	return rtc_to_unix(t) < 0 ? -ENODEV : 0;
}
