# Static partitioning (docs/partitions.md): the hostile, victim and demo payloads for the
# isolation, passthrough, placement and demo cases in tests/part/.
PART_ELFS := $(B)/guest/hostile-64.elf $(B)/guest/steady-64.elf $(B)/guest/demo-64.elf
$(B)/guest/hostile-64.elf: $(B)/guest/64/hostile_mem.o $(B)/guest/64/hostile_cpu.o \
	$(B)/guest/64/hostile_io.o $(B)/guest/64/hostile_user.o $(B)/guest/64/hostile_sysret.o
TEST_DEPS += $(PART_ELFS)
.PHONY: part-guests
part-guests: $(PART_ELFS)
