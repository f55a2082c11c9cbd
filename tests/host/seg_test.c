/* Segment-check host tests: emul_seg_linear() over modes x types x limits x offsets x sizes,
 * against an oracle built from SDM Vol. 3A Table 3-1 (segment types) and the byte-by-byte
 * reading of 5.3 (limit checking); hand cases and emul_mode_of() live in seg_cases.c. */
#include <stdarg.h>
#include <stdio.h>
#include "seg_test.h"

unsigned s_failures;

void sverdict(const char *name, bool pass, const char *fmt, ...)
{
	va_list ap;

	if (!pass)
		s_failures++;
	printf("VERDICT %s %s ", pass ? "PASS" : "FAIL", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* SDM Vol. 3A Table 3-1, "Code- and Data-Segment Types": what each type permits. */
static const struct {
	bool read, write, exec, expand_down;
} seg_types[16] = {
	[0x0] = { 1, 0, 0, 0 }, /* data read-only */
	[0x1] = { 1, 0, 0, 0 }, /* data read-only, accessed */
	[0x2] = { 1, 1, 0, 0 }, /* data read/write */
	[0x3] = { 1, 1, 0, 0 }, /* data read/write, accessed */
	[0x4] = { 1, 0, 0, 1 }, /* data read-only, expand-down */
	[0x5] = { 1, 0, 0, 1 }, /* data read-only, expand-down, accessed */
	[0x6] = { 1, 1, 0, 1 }, /* data read/write, expand-down */
	[0x7] = { 1, 1, 0, 1 }, /* data read/write, expand-down, accessed */
	[0x8] = { 0, 0, 1, 0 }, /* code execute-only */
	[0x9] = { 0, 0, 1, 0 }, /* code execute-only, accessed */
	[0xa] = { 1, 0, 1, 0 }, /* code execute/read */
	[0xb] = { 1, 0, 1, 0 }, /* code execute/read, accessed */
	[0xc] = { 0, 0, 1, 0 }, /* code execute-only, conforming */
	[0xd] = { 0, 0, 1, 0 }, /* code execute-only, conforming, accessed */
	[0xe] = { 1, 0, 1, 0 }, /* code execute/read, conforming */
	[0xf] = { 1, 0, 1, 0 }, /* code execute/read, conforming, accessed */
};

/* SDM 5.3: is offset o inside the segment? Expand-down: (limit, 0xFFFF or 0xFFFFFFFF]. With a
 * 4-GByte limit the SDM leaves running past 0xFFFFFFFF open; Keel's choice is to wrap. */
static bool offset_ok(uint64_t o, uint32_t limit, bool expand_down, bool big)
{
	if (expand_down)
		return o > limit && o <= (big ? 0xffffffffull : 0xffffull);
	if (limit == 0xffffffffu)
		return true;
	return o <= limit;
}

static bool canonical(uint64_t a, unsigned width)
{
	for (unsigned b = width; b < 64; b++)
		if (((a >> b) & 1) != ((a >> (width - 1)) & 1))
			return false;
	return true;
}

/* The expected outcome: 0 and la, or the vector and whether it carries an error code. */
struct sexp {
	int vector;
	bool has_error;
	uint64_t la;
};

static struct sexp oracle_seg(const struct emul_seg *s, enum emul_mode mode, enum emul_segreg sr,
			      uint64_t ea, uint32_t size, unsigned access)
{
	struct sexp x = { 0, mode != EMUL_MODE_REAL, 0 };
	int lim_vec = sr == SEG_SS ? 12 : 13;
	unsigned type = s->attr & 0xf;
	char op = (access & WALK_FETCH) ? 'X' : (access & WALK_WRITE) ? 'W' : 'R';

	if (mode == EMUL_MODE_LONG64) { /* SDM 3.4.4, 5.3.1: FS/GS base only, canonical bytes */
		x.la = ea + ((sr == SEG_FS || sr == SEG_GS) ? s->base : 0);
		for (uint32_t i = 0; i < size; i++)
			if (!canonical(x.la + i, (access & SEG_LA48) && !(access & SEG_LA57) ? 48 : 57))
				x.vector = lim_vec;
		return x;
	}
	x.la = (s->base + ea) & 0xffffffffu;
	if (mode >= EMUL_MODE_PROT16) { /* protected and compatibility mode */
		if ((s->attr & SEG_ATTR_UNUSABLE) || !(s->attr & SEG_ATTR_P)) {
			x.vector = lim_vec;
			return x;
		}
		if (!(s->attr & SEG_ATTR_S) || (op == 'R' && !seg_types[type].read) ||
		    (op == 'W' && !seg_types[type].write) || (op == 'X' && !seg_types[type].exec)) {
			x.vector = 13;
			return x;
		}
	}
	for (uint32_t i = 0; i < size; i++) {
		bool ed = mode >= EMUL_MODE_PROT16 && seg_types[type].expand_down;

		if (!offset_ok(ea + i, s->limit, ed, s->attr & SEG_ATTR_DB))
			x.vector = lim_vec;
	}
	return x;
}

static const uint32_t limits[] = { 0, 0xfff, 0xffff, 0xfffff, 0x7fffffff, 0xfffffffe,
				   0xffffffff };
static const uint32_t sizes[] = { 1, 2, 4, 8, 10, 16 };

/* Offsets around the interesting edges: 0, the limit, 64 KiB and 4 GiB; in 64-bit mode the
 * ends of the 48- and 57-bit canonical halves and the top of the address space. */
static unsigned edge_offsets(enum emul_mode mode, uint32_t limit, uint64_t *out, bool addr16)
{
	const uint64_t c32[] = { 0, limit, (uint64_t)limit + 1, 0xffff, 0xffffffff };
	const uint64_t c64[] = { 0x0000800000000000ull, 0xffff800000000000ull,
				 0x0100000000000000ull, 0xff00000000000000ull, 0 };
	const uint64_t *centers = mode == EMUL_MODE_LONG64 ? c64 : c32;
	unsigned n = 0;

	for (unsigned c = 0; c < 5; c++)
		for (int d = -17; d <= 17; d++) {
			uint64_t o = centers[c] + (uint64_t)(int64_t)d;

			if (mode == EMUL_MODE_LONG64 || o <= (addr16 ? 0xffffu : 0xffffffffu))
				out[n++] = o;
		}
	return n;
}

static const char *const mode_names[] = { "real", "vm86", "prot16", "prot32", "long64" };

struct srun {
	unsigned long cases, bad;
	char first[240];
};

/* One access through segment register sr holding `seg`, checked against the oracle. */
static void seg_one(enum emul_mode mode, enum emul_segreg sr, const struct emul_seg *seg,
		    uint64_t ea, uint32_t size, unsigned acc, struct srun *r)
{
	struct emul_seg segs[SEG_COUNT] = { 0 };
	struct emul_fault f = { 0 };
	uint64_t la = ~0ull;
	struct sexp x;
	bool ok;
	int ret;

	segs[sr] = *seg;
	x = oracle_seg(seg, mode, sr, ea, size, acc);
	ret = emul_seg_linear(segs, mode, sr, ea, size, acc, &la, &f);
	if (x.vector)
		ok = ret == 1 && f.vector == x.vector && f.has_error == x.has_error && f.error == 0;
	else
		ok = ret == 0 && la == x.la;
	r->cases++;
	if (!ok && !r->bad++)
		snprintf(r->first, sizeof(r->first), "sr %u attr %#x limit %#x base %#llx ea %#llx "
			 "size %u access %#x: r %d vector %u la %#llx (want vector %d la %#llx)", sr,
			 seg->attr, seg->limit, (unsigned long long)seg->base, (unsigned long long)ea,
			 size, acc, ret, f.vector, (unsigned long long)la, x.vector,
			 (unsigned long long)x.la);
}

/* Every segment register with one descriptor cache, at the edge offsets and sizes. */
static void seg_sweep(enum emul_mode mode, uint32_t attr, uint32_t limit, struct srun *r)
{
	static const uint64_t bases[] = { 0, 0x12340, 0xfffff000, 0x123456789000ull };
	static const unsigned accs[] = { SEG_LA48, WALK_WRITE | SEG_LA48, WALK_FETCH | SEG_LA48,
					 SEG_LA57, WALK_WRITE | SEG_LA57, 0, WALK_WRITE };
	uint64_t offs[5 * 35];
	unsigned no = edge_offsets(mode, limit, offs, mode <= EMUL_MODE_VM86 && (attr & 1));

	for (unsigned oi = 0; oi < no; oi++)
		for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++)
			for (unsigned sr = 0; sr < SEG_COUNT; sr++) {
				struct emul_seg seg = { .base = bases[(oi + sr) & 3], .limit = limit,
							.sel = 0x10, .attr = attr };

				seg_one(mode, sr, &seg, offs[oi], sizes[si],
					accs[(oi + si + sr) % 7], r);
			}
}

/* Types 0-15 x S x P x B (plus unusable on two types) x limits, in one mode. */
static void seg_matrix(enum emul_mode mode)
{
	struct srun r = { 0 };
	char name[64];

	for (unsigned v = 0; v < 0x80; v++) {
		uint32_t attr = (v & 0xf) | ((v & 0x10) ? SEG_ATTR_S : 0) |
				((v & 0x20) ? SEG_ATTR_P : 0) | ((v & 0x40) ? SEG_ATTR_DB : 0);
		bool unusable_too = (v & 0xf) == 3 || (v & 0xf) == 0xb;

		for (size_t li = 0; li < sizeof(limits) / sizeof(limits[0]); li++) {
			seg_sweep(mode, attr, limits[li], &r);
			if (unusable_too)
				seg_sweep(mode, attr | SEG_ATTR_UNUSABLE, limits[li], &r);
		}
	}
	snprintf(name, sizeof(name), "seg/matrix/%s", mode_names[mode]);
	sverdict(name, !r.bad, "%lu cases, %lu mismatches%s%s", r.cases, r.bad,
		 r.bad ? "; first: " : "", r.first);
}

int main(void)
{
	for (enum emul_mode m = EMUL_MODE_REAL; m <= EMUL_MODE_LONG64; m++)
		seg_matrix(m);
	seg_cases();
	printf("seg: %u failures\n", s_failures);
	return s_failures ? 1 : 0;
}
