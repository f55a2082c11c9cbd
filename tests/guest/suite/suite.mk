# The guest suite (docs/testing.md, "The guest suite"): instruction cases generated from
# emul/manifest.tsv by a host program, run by payloads in long mode and in 32-bit protected mode
# (which also runs the 16-bit cases in real mode and 16-bit protected mode).
SUITE := tests/guest/suite
SUITE_GEN := $(B)/host/suite/gen_cases
SUITE_GEN_SRCS := $(SUITE)/gen_cases.c $(SUITE)/gen_modrm.c $(SUITE)/gen_str.c tests/host/emul/manifest.c

$(SUITE_GEN): $(SUITE_GEN_SRCS) $(SUITE)/gen.h $(SUITE)/cases.h tests/host/emul/manifest.h | $(B)/.deps
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ $(SUITE_GEN_SRCS)

$(B)/guest/suite/cases64.c: $(SUITE_GEN) emul/manifest.tsv
	@mkdir -p $(@D)
	$(SUITE_GEN) emul/manifest.tsv l64 > $@
$(B)/guest/suite/cases32.c: $(SUITE_GEN) emul/manifest.tsv
	@mkdir -p $(@D)
	$(SUITE_GEN) emul/manifest.tsv p32 p16 real > $@

# The payloads: the guest library, the engine, the generated cases.
SUITE_COMMON := place place_str check logcheck engine paging flat init errata walk ud msr cpuid
SUITE64_OBJS := $(patsubst %,$(B)/guest/64/suite/%.o,$(SUITE_COMMON) main64 flat64 la57) \
	$(B)/guest/64/suite/cases64.o
$(B)/guest/64/suite/%.o: $(SUITE)/%.S
	@mkdir -p $(@D)
	$(CC) -m64 $(GUEST_CFLAGS) -c $< -o $@
$(B)/guest/64/suite/cases64.o: $(B)/guest/suite/cases64.c $(SUITE)/cases.h
	@mkdir -p $(@D)
	$(CC) -m64 $(GUEST_CFLAGS) -Itests/guest -c $< -o $@
$(B)/guest/suite-64.elf: $(SUITE64_OBJS) $(call guest_lib,64) tests/guest/lib/guest64.ld
	$(CC) -m64 $(GUEST_CFLAGS) -static -Wl,-T,tests/guest/lib/guest64.ld -Wl,--build-id=none \
		-Wl,--no-warn-rwx-segments -o $@ $(filter %.o,$^) -lgcc
TEST_DEPS += $(B)/guest/suite-64.elf
guests: $(B)/guest/suite-64.elf

SUITE32_OBJS := $(patsubst %,$(B)/guest/32/suite/%.o,$(SUITE_COMMON) main32 flat32 seg seg16) \
	$(B)/guest/32/suite/cases32.o
$(B)/guest/32/suite/%.o: $(SUITE)/%.S
	@mkdir -p $(@D)
	$(CC) -m32 $(GUEST_CFLAGS) -c $< -o $@
$(B)/guest/32/suite/cases32.o: $(B)/guest/suite/cases32.c $(SUITE)/cases.h
	@mkdir -p $(@D)
	$(CC) -m32 -march=i686 $(GUEST_CFLAGS) -c $< -o $@
$(B)/guest/suite-32.elf: $(SUITE32_OBJS) $(call guest_lib,32) $(SUITE)/suite32.ld
	$(CC) -m32 $(GUEST_CFLAGS) -static -Wl,-T,$(SUITE)/suite32.ld -Wl,--build-id=none \
		-Wl,--no-warn-rwx-segments -o $@ $(filter %.o,$^) -lgcc
TEST_DEPS += $(B)/guest/suite-32.elf
guests: $(B)/guest/suite-32.elf

# The forms verdicts each payload must report: every form of emul/manifest.tsv valid in the mode
# (length-only rows excepted), listed straight from the manifest, apart from the generator, so a
# form the generator drops is a verdict never reported.
SUITE_FORM_MANIFESTS := $(patsubst %,$(B)/guest/suite/%.manifest,forms64 forms32 forms16 formsrm)
$(B)/guest/suite/forms64.manifest: SUITE_MODE := l64
$(B)/guest/suite/forms32.manifest: SUITE_MODE := p32
$(B)/guest/suite/forms16.manifest: SUITE_MODE := p16
$(B)/guest/suite/formsrm.manifest: SUITE_MODE := real
$(SUITE_FORM_MANIFESTS): emul/manifest.tsv $(SUITE)/suite.mk
	@mkdir -p $(@D)
	awk -F'\t' -v mode=$(SUITE_MODE) -v suite=$(basename $(notdir $@)) \
		'!/^#/ && $$1 != "form" && NF == 15 && $$15 !~ /len/ && \
		 index("," $$10 ",", "," mode ",") { print suite "/" $$1 }' $< > $@
TEST_DEPS += $(SUITE_FORM_MANIFESTS)

# The two halves of forms64 for a run in two boots (the payload's half=0|1): every other form in
# the manifest's order, as suite_run counts them.
SUITE_HALF_MANIFESTS := $(B)/guest/suite/forms64-half0.manifest $(B)/guest/suite/forms64-half1.manifest
$(B)/guest/suite/forms64-half%.manifest: $(B)/guest/suite/forms64.manifest
	awk 'NR % 2 == ($* + 1) % 2' $< > $@
TEST_DEPS += $(SUITE_HALF_MANIFESTS)
CLEAN_EXTRA += $(B)/guest/suite
