/* Writes the fuzzer's seed corpus: one input per manifest form and mode, in the layout
 * fuzz_emul.c reads (config byte, 16 register bytes, flags, 15 instruction bytes). */
#include <stdio.h>
#include <string.h>

#include "manifest.h"
#include "rng.h"

int main(int argc, char **argv)
{
	static struct mf_entry ents[MF_MAX];
	static const enum emul_mode modes[] = { EMUL_MODE_REAL, EMUL_MODE_PROT16, EMUL_MODE_PROT32,
						EMUL_MODE_LONG64 };
	int n = mf_load("emul/manifest.tsv", ents, MF_MAX), files = 0;
	uint64_t rng = 1;

	if (argc != 2 || n <= 0)
		return 1;
	for (int i = 0; i < n; i++)
		for (unsigned mi = 0; mi < 4; mi++) {
			struct mf_enc v = { .mode = modes[mi], .asz = mi == 3 ? 64 : mi == 2 ? 32 : 16,
					    .osz = ents[i].osz == 1 ? 8 : ents[i].osz ? (mi >= 2 ? 32 : 16) : 0,
					    .mod = 1, .rm = mi == 3 ? 7 : 6, .disp = 8 };
			uint8_t in[64] = { (uint8_t)mi }, code[32];
			int len = mf_encode(&ents[i], &v, code);
			char path[4096 + 64];
			if (len < 0)
				continue;
			for (int k = 1; k <= 16; k++)
				in[k] = (uint8_t)rng_below(&rng, 128);
			memcpy(in + 19, code, (size_t)len);
			snprintf(path, sizeof(path), "%.4000s/%.47s-%u", argv[1], ents[i].form, mi);
			FILE *f = fopen(path, "wb");
			if (!f)
				return 1;
			fwrite(in, 1, sizeof(in), f);
			fclose(f);
			files++;
		}
	printf("fuzz_seeds: %d seed inputs in %s\n", files, argv[1]);
	return 0;
}
