/* Keel hypercall ABI, shared by the core, the service VM and guests.
 *
 * A guest calls Keel with VMCALL (Intel) or VMMCALL (AMD): EAX/RAX = call number, arguments in
 * RBX, RCX, RDX, RSI (32-bit and real-mode guests: the low halves). Keel returns a status
 * (enum keel_status) in RAX and results in RBX, RCX, RDX; other registers are preserved.
 * Only CPL 0 may call: from CPL > 0 every call returns KEEL_EPERM and changes nothing else.
 * Unknown numbers return KEEL_ENOSYS. Numbers never change meaning; new calls get new numbers. */
#ifndef ABI_HYPERCALL_H
#define ABI_HYPERCALL_H

#include <stdint.h>

#define KEEL_ABI_VERSION 1u

/* Status values crossing the ABI (small and stable; the core uses negative errno inside). */
enum keel_status {
	KEEL_OK = 0,
	KEEL_ENOSYS = 1,  /* no such call */
	KEEL_EINVAL = 2,  /* bad argument */
	KEEL_EPERM = 3,   /* not allowed for this partition */
	KEEL_ERANGE = 4,  /* index or address out of range */
	KEEL_EBUSY = 5,   /* try again */
	KEEL_ETIMEDOUT = 6,
	KEEL_EVERSION = 7,
};

enum keel_hypercall {
	/* → RBX = KEEL_ABI_VERSION, RCX = partition index, RDX = vCPU index in the partition. */
	KEEL_HC_VERSION = 0,
	/* RBX = exit code. This vCPU stops; Keel logs the code. */
	KEEL_HC_EXIT = 1,
	/* RBX = counter (enum keel_stat) → RBX = its value for this vCPU. */
	KEEL_HC_STAT = 2,
	/* 3: unused (the test device is set up through its control page, abi/testdev.h). */
	/* RBX = failed verdicts, RCX = passed verdicts this guest reported: counted into KEEL EXIT. */
	KEEL_HC_VERDICTS = 4,
	/* Service VM only: answers were published on the ring (docs/ring.md §6). */
	KEEL_HC_RING_KICK = 5,
	/* Service VM only: RBX = partition, RCX = IOAPIC pin, RDX = 0 deassert, 1 assert, 2 pulse. */
	KEEL_HC_IRQ = 6,
	/* Service VM only: RBX = partition, RCX = guest-physical address of the bytes in the service
	 * VM's RAM, RDX = length (at most 256): console output of that partition's forwarded UART.
	 * Keel prints it on its console, a line at a time, prefixed with the partition's name. */
	KEEL_HC_CONSOLE_WRITE = 7,
	/* Service VM only: RBX = partition → RCX = bytes (0-8) of console input for that partition's
	 * forwarded UART, packed little-endian in RBX. Keel reads its physical console meanwhile. */
	KEEL_HC_CONSOLE_READ = 8,
};

/* Per-vCPU counters readable with KEEL_HC_STAT. */
enum keel_stat {
	KEEL_STAT_EXITS = 0,          /* all exits */
	KEEL_STAT_INJECTED_PF = 1,    /* #PF injected by Keel's emulator */
	KEEL_STAT_INJECTED_UD = 2,    /* #UD injected (unsupported or invalid instruction) */
	KEEL_STAT_INJECTED_GP = 3,    /* #GP injected */
	KEEL_STAT_MMIO_EXITS = 4,     /* nested page faults handled as MMIO */
	KEEL_STAT_PIO_EXITS = 5,      /* port I/O exits */
	KEEL_STAT_EMULATED = 6,       /* instructions completed by the emulator */
	KEEL_STAT_LEN_CHECKED = 7,    /* exits where Keel's computed length was checked against hardware */
	KEEL_STAT_LEN_MISMATCH = 8,   /* ... and disagreed (always a bug) */
	KEEL_STAT_FORWARDED = 9,      /* requests this vCPU's accesses sent to the service VM */
	KEEL_STAT_FWD_FAILED = 10,    /* ... completed without an answer (timeout, EIO: reads all-ones) */
	KEEL_STAT_FWD_TSC = 11,       /* TSC ticks those requests took, from submit to answer */
	KEEL_STAT_INTR_INJECTED = 12, /* external interrupts injected (vLAPIC or 8259) */
	KEEL_STAT_HALT_SLEEPS = 13,   /* physical HLTs while the vCPU waited (HLT, INIT, SIPI) */
	KEEL_STAT_INTR_WINDOWS = 14,  /* interrupt windows requested: an interrupt had to wait */
	KEEL_STAT_INSN_MEMO_HITS = 15, /* instructions at RIP taken from the vCPU's memo */
	KEEL_STAT_INSN_MEMO_FILLS = 16, /* ... and fetched and measured afresh (misses) */
	KEEL_STAT_IRQ_CHECKED = 17,   /* entries without interrupt passes, checked (irqcheck=1) */
	KEEL_STAT_IRQ_MISSED = 18,    /* ... where a full pass had work to do (always a bug) */
	KEEL_STAT_COUNT
};

#endif
