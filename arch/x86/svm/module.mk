# AMD SVM backend (docs/svm.md).
CORE_SRCS += arch/x86/svm/svm.c arch/x86/svm/vmcb.c arch/x86/svm/svm_sregs.c \
	arch/x86/svm/svm_run.c arch/x86/svm/svm_entry.S arch/x86/svm/svm_exit.c \
	arch/x86/svm/svm_event.c arch/x86/svm/svm_check.c arch/x86/svm/npt.c \
	arch/x86/svm/svm_cr.c
# The backend self-test (virt_selftest=1 on Keel's command line).
CORE_SRCS += arch/x86/svm/svm_selftest.c arch/x86/svm/selftest_base.c \
	arch/x86/svm/selftest_modes.c arch/x86/svm/selftest_long64.c arch/x86/svm/selftest_guest.S
