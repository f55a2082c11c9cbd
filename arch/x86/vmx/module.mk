# VMX backend (docs/vmx.md).
CORE_SRCS += arch/x86/vmx/vmx.c arch/x86/vmx/vmcs.c arch/x86/vmx/vmx_state.c \
	arch/x86/vmx/vmx_cr.c arch/x86/vmx/vmx_event.c arch/x86/vmx/vmx_exit.c \
	arch/x86/vmx/ept.c arch/x86/vmx/vmx_entry.S \
	arch/x86/vmx/vmx_selftest.c arch/x86/vmx/vmx_selftest_steps.c arch/x86/vmx/vmx_selftest_host.c \
	arch/x86/vmx/vmx_selftest_ap.c arch/x86/vmx/vmx_selftest_guest.S
