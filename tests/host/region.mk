# The region registry (vmm/region.c), hosted: random sets, lookups against the definition.
$(B)/host/region_test: tests/host/region_test.c vmm/region.c include/keel/region.h
	@mkdir -p $(@D)
	$(HOSTCC) $(filter-out -MMD -MP,$(HOST_CFLAGS)) -fsanitize=address,undefined \
		-fno-sanitize-recover=all -o $@ tests/host/region_test.c vmm/region.c
HOST_TESTS += $(B)/host/region_test
