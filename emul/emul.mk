# emul/: decoder, emulator, request/complete state machine (owner: emul branch).
# The page walker and segment checks (emul/walk.c, emul/seg.c) come from emul/walk.mk; the
# emulator is linked into the core only once they are there (it calls emul_walk/emul_seg_linear).
EMUL_SRCS := emul/decode.c emul/decode_tables.c emul/emul.c emul/flags.c emul/ops_alu.c \
	emul/ops_misc.c emul/ops_string.c
EMUL_CORE_OBJS := $(patsubst %.c,$(B)/core/%.o,$(EMUL_SRCS)) $(B)/core/emul/vecreg.o
CORE_SRCS += $(if $(wildcard emul/walk.c),$(EMUL_SRCS) emul/vecreg.S)

# The core build of emul/ (freestanding, -mgeneral-regs-only), also checked by the host tests.
.PHONY: emul-core
emul-core: $(EMUL_CORE_OBJS)

# Host builds of emul/ and its tests (tests/host/emul/).
EMUL_T := tests/host/emul
EMUL_HOST_OBJS := $(patsubst %.c,$(B)/host/%.o,$(EMUL_SRCS))
EMUL_TEST_COMMON := $(B)/host/$(EMUL_T)/walk_temp.o $(B)/host/$(EMUL_T)/fakeenv.o \
	$(B)/host/$(EMUL_T)/manifest.o

$(B)/host/emul/%.o: emul/%.c
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -c $< -o $@

$(B)/host/$(EMUL_T)/%.o: $(EMUL_T)/%.c
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -c $< -o $@

$(B)/host/$(EMUL_T)/zydis_oracle: $(B)/host/$(EMUL_T)/zydis_oracle.o $(EMUL_HOST_OBJS) \
		$(EMUL_TEST_COMMON) | $(EMUL_CORE_OBJS)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ $(filter %.o,$^) -lZydis -lZycore -lcapstone

HOST_TESTS += $(B)/host/$(EMUL_T)/zydis_oracle

$(B)/host/$(EMUL_T)/cpu_stub.o: $(EMUL_T)/cpu_stub.S
	@mkdir -p $(@D)
	$(HOSTCC) -c $< -o $@

$(B)/host/$(EMUL_T)/cpu_oracle: $(B)/host/$(EMUL_T)/cpu_oracle.o $(B)/host/$(EMUL_T)/cpu_case.o \
		$(B)/host/$(EMUL_T)/cpu_stub.o $(EMUL_HOST_OBJS) $(EMUL_TEST_COMMON) | $(EMUL_CORE_OBJS)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ $(filter %.o,$^)

HOST_TESTS += $(B)/host/$(EMUL_T)/cpu_oracle
