# The configuration parser and validator (docs/config.md): in the core, and hosted in the
# host tool build/keel-config (check and dump).
CONFIG_SRCS := vmm/config_lex.c vmm/config_parse.c vmm/config_keys.c vmm/config_region.c \
	vmm/config_valid.c vmm/config_host.c vmm/config_dump.c
CORE_SRCS += $(CONFIG_SRCS) vmm/config_boot.c

CONFIG_HOST_OBJS := $(patsubst %.c,$(B)/host/%.o,$(CONFIG_SRCS))

$(B)/host/vmm/config_%.o: vmm/config_%.c
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -c $< -o $@

$(B)/host/tools/keel-config.o: tools/keel-config.c
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -c $< -o $@

$(B)/keel-config: $(B)/host/tools/keel-config.o $(CONFIG_HOST_OBJS)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ $^

all: $(B)/keel-config
