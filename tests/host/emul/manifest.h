/* The coverage manifest (emul/manifest.tsv) as the tests see it, and an encoder that builds
 * instruction bytes for one of its forms in a chosen mode / operand size / address size /
 * addressing form / prefix decoration. Independent of emul/'s own tables. */
#ifndef TESTS_EMUL_MANIFEST_H
#define TESTS_EMUL_MANIFEST_H

#include <stdbool.h>
#include <stdint.h>
#include "emul/seg.h"

enum { MF_IMM_NONE, MF_IB, MF_IW, MF_IZ, MF_IBS, MF_MOFFS };
enum { MF_REP_NONE, MF_REP, MF_REPCC };
#define MF_MODE_REAL 1u
#define MF_MODE_P16 2u
#define MF_MODE_P32 4u
#define MF_MODE_L64 8u
#define MF_MAX 256
#define MF_FIXED_MODRM 0x100

struct mf_entry {
	char form[48], mnem[64], cpu[16];
	int map;        /* EMUL_MAP_* */
	uint8_t opcode;
	int modrm;      /* -1 none, 8 = /r, 0-7 = /digit, 0x1xx = the fixed ModRM byte xx */
	uint8_t pfx;    /* mandatory prefix / VEX.pp: 0, 0x66, 0xf3, 0xf2 */
	int vexl;       /* -1 not VEX, 0 = L0 (128 or LZ), 1 = L1 (256) */
	unsigned osz;   /* operand sizes: bit 8/16/32/64 set as 1/2/4/8; 0 = fixed */
	int imm;
	unsigned modes;
	bool lock, io, d64, no66;
	bool len;       /* length-only: decoded by emul_decode_length, declined by emul_decode */
	bool np;        /* 66/F2/F3 make it another instruction (declined) */
	bool regform;   /* ModRM.mod = 11b is valid too */
	int rep;
	uint32_t undef; /* RFLAGS bits the SDM leaves undefined */
};

struct mf_enc {
	enum emul_mode mode;
	unsigned osz;     /* 8, 16, 32, 64 (the entry's), 0 for fixed */
	unsigned asz;     /* 16, 32, 64 */
	uint8_t pre[8];   /* extra legacy prefixes, emitted first */
	int npre;
	uint8_t junk_rex; /* nonzero: a REX emitted before the last extra prefix (ignored) */
	uint8_t rex;      /* REX.R/X/B bits (64-bit mode); VEX.R/X/B for VEX forms */
	bool force_rex;   /* emit a REX even with no bit set */
	uint8_t reg;      /* ModRM.reg for /r forms */
	uint8_t mod, rm, sib;
	int64_t disp;
	uint64_t imm;
	bool vex3;        /* C4 even where C5 would do */
	uint8_t vvvv;     /* VEX.vvvv register (BEXTR) */
	bool vex_w;       /* VEX.W for forms that ignore it */
};

/* Loads the manifest; returns the number of entries or -1 (message printed). */
int mf_load(const char *path, struct mf_entry *out, int max);
/* The Zydis mnemonic for operand size `osz` (bits). */
const char *mf_mnemonic(const struct mf_entry *m, unsigned osz, char *buf, unsigned len);
/* Encodes; returns the length, or -1 when the combination cannot be encoded. */
int mf_encode(const struct mf_entry *m, const struct mf_enc *v, uint8_t *out);
/* Mode class bit for an emul_mode. */
unsigned mf_mode_bit(enum emul_mode mode);
/* Displacement bytes of the ModRM form in v. */
int mf_disp_bytes(const struct mf_enc *v);

#endif
