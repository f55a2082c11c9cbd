# emul_exit.gpa_final: the exit's final GPA stands for the operand's walk (owner: perf branch).
$(B)/host/$(EMUL_T)/exit_gpa: $(B)/host/$(EMUL_T)/exit_gpa.o $(EMUL_HOST_OBJS) \
		$(EMUL_TEST_COMMON) | $(EMUL_CORE_OBJS)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ $(filter %.o,$^)

HOST_TESTS += $(B)/host/$(EMUL_T)/exit_gpa
