/* rep MOVS/STOS/LODS against the forwarded test device: each case runs on the device window and
 * on a RAM shadow holding the same bytes, and compares rSI/rDI/rCX, the bytes and the device's
 * access log (element count, first and last element, order for DF = 1), and counts the ring
 * requests and exits (a batch of up to 256 bytes is one request, SDM Vol. 2B REP semantics). */
#include "fwd.h"

#define MIN(a, b) ((a) < (b) ? (a) : (b))

enum str_op { MOVS_TO_DEV, MOVS_FROM_DEV, STOS_DEV, LODS_DEV };

struct str_case {
	const char *name;
	uint8_t op;         /* enum str_op */
	uint8_t size;       /* 1, 2, 4, 8 (8 only in long mode) */
	bool down;          /* DF = 1 */
	uint32_t count;     /* rCX */
	uint32_t off;       /* device offset of the first element */
};

static const struct str_case cases[] = {
	{ "movsd-count0", MOVS_TO_DEV, 4, false, 0, 0x100 },
	{ "movsd-count1", MOVS_TO_DEV, 4, false, 1, 0x104 },
	{ "movsd-df0-page-cross", MOVS_TO_DEV, 4, false, 200, 0xf00 },
	{ "movsd-df1-page-cross", MOVS_TO_DEV, 4, true, 100, 0x1040 },
	{ "movsb-df0-300", MOVS_TO_DEV, 1, false, 300, 0x7f3 },
	{ "movsw-df1-odd", MOVS_TO_DEV, 2, true, 33, 0x1ffe },
	{ "movsd-from-dev", MOVS_FROM_DEV, 4, false, 96, 0x200 },
	{ "movsb-from-dev-df1", MOVS_FROM_DEV, 1, true, 70, 0x1010 },
	{ "stosd-df0", STOS_DEV, 4, false, 80, 0x400 },
	{ "stosw-df1", STOS_DEV, 2, true, 40, 0x1100 },
	{ "lodsd", LODS_DEV, 4, false, 3, 0x500 },
	{ "stosq-long", STOS_DEV, 8, false, 40, 0x600 },
};

static uint8_t shadow[KEEL_TESTDEV_DATA] __attribute__((aligned(4096)));
static uint8_t ram_src[0x1000] __attribute__((aligned(4096)));
static uint8_t ram_dst[0x1000] __attribute__((aligned(4096)));

struct sregs {
	ureg si, di, cx, ax;
};

/* One string instruction with DF as asked; every form REP-prefixed. */
#define STR_ASM(insn) \
	__asm__ volatile("pushf\n\ttest %4, %4\n\tjz 1f\n\tstd\n1:\t" insn "\n\tpopf" \
			 : "+S"(r->si), "+D"(r->di), "+c"(r->cx), "+a"(r->ax) : "r"((ureg)down) \
			 : "memory", "cc")

static void str_run(unsigned op, unsigned size, bool down, struct sregs *r)
{
	bool movs = op == MOVS_TO_DEV || op == MOVS_FROM_DEV;
	switch (movs ? size : op == STOS_DEV ? size + 8 : size + 16) {
	case 1: STR_ASM("rep movsb"); break;
	case 2: STR_ASM("rep movsw"); break;
	case 4: STR_ASM("rep movsl"); break;
	case 9: STR_ASM("rep stosb"); break;
	case 10: STR_ASM("rep stosw"); break;
	case 12: STR_ASM("rep stosl"); break;
	/* REX.W forms as bytes (F3 48 A5/AB/AD) so the 32-bit build assembles; it never runs them. */
	case 8: STR_ASM(".byte 0xf3, 0x48, 0xa5"); break;
	case 16: STR_ASM(".byte 0xf3, 0x48, 0xab"); break;
	case 24: STR_ASM(".byte 0xf3, 0x48, 0xad"); break;
	case 17: STR_ASM("rep lodsb"); break;
	case 18: STR_ASM("rep lodsw"); break;
	case 20: STR_ASM("rep lodsl"); break;
	default: break;
	}
}

/* The registers a case starts with, on the device (base = the window) or on RAM. */
static struct sregs str_start(const struct str_case *c, uintptr_t dev)
{
	struct sregs r = { 0, 0, c->count, (ureg)0x1122334455667788ull };
	uintptr_t ram = (uintptr_t)(c->down ? ram_src + 0xffc : ram_src);
	if (c->op == MOVS_FROM_DEV || c->op == LODS_DEV) {
		r.si = dev + c->off;
		r.di = (uintptr_t)(c->down ? ram_dst + 0xffc : ram_dst);
	} else {
		r.si = ram;
		r.di = dev + c->off;
	}
	return r;
}

static void str_fill(void)
{
	for (unsigned i = 0; i < sizeof(ram_src); i++)
		ram_src[i] = (uint8_t)(i * 7 + 3);
	for (unsigned i = 0; i < sizeof(shadow); i += 4) {
		uint32_t v = 0xa5000000u | i;
		memcpy(shadow + i, &v, 4);
	}
}

/* The device's bytes set to the shadow's through the unlogged data port, then the log reset. */
static void str_device_load(uint32_t lo, uint32_t hi)
{
	tdev_reset(0);
	for (uint32_t o = lo & ~3u; o < hi && o < KEEL_TESTDEV_DATA; o += 4) {
		uint32_t v;
		memcpy(&v, shadow + o, 4);
		*(volatile uint32_t *)(uintptr_t)(FWD_TDEV + KEEL_TESTDEV_ADDR) = o;
		*(volatile uint32_t *)(uintptr_t)(FWD_TDEV + KEEL_TESTDEV_DATA_PORT) = v;
	}
}

static bool str_device_same(uint32_t lo, uint32_t hi, uint32_t *bad)
{
	for (uint32_t o = lo & ~3u; o < hi && o < KEEL_TESTDEV_DATA; o += 4) {
		uint32_t v, w;
		*(volatile uint32_t *)(uintptr_t)(FWD_TDEV + KEEL_TESTDEV_ADDR) = o;
		v = *(volatile uint32_t *)(uintptr_t)(FWD_TDEV + KEEL_TESTDEV_DATA_PORT);
		memcpy(&w, shadow + o, 4);
		if (v != w) {
			*bad = o;
			return false;
		}
	}
	return true;
}

/* The log: count elements, element 0 at the first offset (the highest with DF = 1). */
static bool str_log_ok(const struct str_case *c, uint32_t *why)
{
	uint32_t off, want_last;
	uint8_t size, dir;
	uint64_t data;
	unsigned want_dir = c->op == MOVS_TO_DEV || c->op == STOS_DEV ? KEEL_TESTDEV_DIR_WRITE
								       : KEEL_TESTDEV_DIR_READ;
	*why = (uint32_t)tdev_log_count();
	if (tdev_log_count() != c->count)
		return false;
	if (!c->count)
		return true;
	want_last = c->down ? c->off - (c->count - 1) * c->size : c->off + (c->count - 1) * c->size;
	if (!tdev_log_entry(0, &off, &size, &dir, &data) || off != c->off || size != c->size ||
	    dir != want_dir)
		return false;
	if (c->count > KEEL_TESTDEV_LOG_MAX)
		return true;
	return tdev_log_entry(c->count - 1, &off, &size, &dir, &data) && off == want_last;
}

/* Elements from byte offset `off` (within its page) to the page's end in the string's direction. */
static uint32_t str_room(uint32_t off, unsigned size, bool down)
{
	off &= 0xfff;
	return down ? off / size + 1 : (0x1000 - off) / size;
}

/* The ring requests (and exits) docs/ring.md §3 allows: one per batch of at most 256 bytes that
 * stays within one page on every memory side. */
static uint32_t str_batches(const struct str_case *c, const struct sregs *dev)
{
	bool ram_side = c->op == MOVS_TO_DEV || c->op == MOVS_FROM_DEV;
	uint32_t ram = (uint32_t)(c->op == MOVS_TO_DEV ? dev->si : dev->di), off = c->off, n = 0;
	for (uint32_t left = c->count; left; n++) {
		uint32_t k = MIN(left, 256u / c->size);
		k = MIN(k, str_room(off, c->size, c->down));
		if (ram_side)
			k = MIN(k, str_room(ram, c->size, c->down));
		left -= k;
		off = c->down ? off - k * c->size : off + k * c->size;
		ram = c->down ? ram - k * c->size : ram + k * c->size;
	}
	return n;
}

static void str_case_run(const struct str_case *c)
{
	uint32_t span = c->count * c->size, lo, hi, bad = 0, logged;
	struct fwd_stats st;
	if (c->size == 8 && sizeof(ureg) != 8) {
		verdict_skip(S, c->name, "64-bit elements need long mode");
		return;
	}
	lo = (c->down ? c->off + c->size - span : c->off) - 16;
	hi = (c->down ? c->off + c->size : c->off + span) + 16;
	str_fill();
	memset(ram_dst, 0xee, sizeof(ram_dst));
	str_device_load(lo, hi);
	struct sregs dev = str_start(c, FWD_TDEV), ram = str_start(c, (uintptr_t)shadow);
	uint32_t batches = str_batches(c, &dev);
	fwd_stats_begin(&st);
	str_run(c->op, c->size, c->down, &dev);
	fwd_stats_end(&st);
	bool log_ok = str_log_ok(c, &logged);
	uint8_t dev_dst[sizeof(ram_dst)];
	memcpy(dev_dst, ram_dst, sizeof(dev_dst));
	memset(ram_dst, 0xee, sizeof(ram_dst));
	str_run(c->op, c->size, c->down, &ram);
	ureg diff = (ureg)(FWD_TDEV - (uintptr_t)shadow);
	bool reads = c->op == MOVS_FROM_DEV || c->op == LODS_DEV;
	bool regs = dev.si - ram.si == (reads ? diff : 0) && dev.di - ram.di == (reads ? 0 : diff) &&
		    dev.cx == ram.cx && dev.cx == 0 && (c->op != LODS_DEV || dev.ax == ram.ax);
	bool bytes = str_device_same(lo, hi, &bad) && !memcmp(dev_dst, ram_dst, sizeof(ram_dst));
	bool trips = st.forwarded == batches && st.exits == batches && st.failed == 0;
	verdict_check(S, c->name, regs && bytes && log_ok && trips,
		      "regs %u bytes %u (bad offset %x) log %u (%u entries) requests %lu exits %lu "
		      "(want %u each) failed %lu", regs, bytes, bad, log_ok, logged,
		      (unsigned long)st.forwarded, (unsigned long)st.exits, batches,
		      (unsigned long)st.failed);
}

void fwd_movsd_4k(uint64_t *round_trips, uint64_t *exits)
{
	struct fwd_stats st;
	struct sregs r = { (uintptr_t)ram_src, FWD_TDEV, 1024, 0 };
	static uint8_t big[0x1000] __attribute__((aligned(4096)));
	r.si = (uintptr_t)big;
	fwd_stats_begin(&st);
	str_run(MOVS_TO_DEV, 4, false, &r);
	fwd_stats_end(&st);
	*round_trips = st.forwarded;
	*exits = st.exits;
}

void fwd_string_cases(void)
{
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		str_case_run(&cases[i]);
}
