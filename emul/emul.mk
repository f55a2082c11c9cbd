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
