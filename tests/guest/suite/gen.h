/* The case generator (host program): manifest forms → struct sc tables for the guest suite. */
#ifndef SUITE_GEN_H
#define SUITE_GEN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "tests/host/emul/manifest.h"
#include "tests/guest/suite/cases.h"

/* What the generator knows about a form beyond its manifest row. */
struct form_info {
	const struct mf_entry *m;
	uint16_t index;    /* in sc_forms[] */
	int kind;          /* enum sc_kind */
	int cls;           /* enum sc_cls */
	int regk;          /* enum sc_regk */
	int str;           /* enum sc_str for strings and I/O */
	int cpu;           /* enum sc_cpu */
	bool align, vvvv, cmpxchg;
	char memtok[8];    /* the memory operand in the form name (Ev, Wdq, Mb, ...), or "" */
};

struct gen {
	enum sc_mode mode;
	enum emul_mode em;
	unsigned asz;      /* default address size in bits */
	unsigned ngpr;     /* general registers of the mode */
	uint64_t rng;
	FILE *out;
	unsigned n;        /* cases written */
	uint32_t undef;    /* the current form's undefined flags */
	const struct mf_entry *mf;
	int nmf;
};

uint32_t gen_rand(struct gen *g, uint32_t below);
const struct mf_entry *gen_find(const struct gen *g, const char *form);
/* Memory operand bytes of the form at operand size osz (bits). */
unsigned gen_msize(const struct form_info *f, unsigned osz);
/* Writes one case; c->code/len must be set. */
void gen_emit(struct gen *g, const struct sc *c);
/* The ModRM, moffs and stack forms. */
void gen_modrm(struct gen *g, const struct form_info *f);
void gen_moffs(struct gen *g, const struct form_info *f);
/* Strings and port I/O. */
void gen_string(struct gen *g, const struct form_info *f);
void gen_io(struct gen *g, const struct form_info *f);

#endif
