/* The service VM's portable part (docs/service.md): the ring loop and the device models. It needs
 * only a C library and include/abi/, so host tests link it against the core's ring library and a
 * fake platform; the VM's runtime (service/rt/) supplies the real hooks. */
#ifndef SERVICE_SVC_H
#define SERVICE_SVC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ring_svc.h"

/* A hypercall's outcome: RAX (enum keel_status) and RBX, RCX, RDX. */
struct svc_hc {
	uint64_t status, rbx, rcx, rdx;
};

struct svc;

/* What the loop needs from its platform. In the VM: VMCALL/VMMCALL, PAUSE, cli/sti;hlt, the UART. */
struct svc_platform {
	struct svc_hc (*hcall)(void *ctx, uint64_t nr, uint64_t a, uint64_t b, uint64_t c);
	void (*pause)(void *ctx);
	/* irq mode: sleep until an interrupt arrives, or at most max_us microseconds when not 0,
	 * unless ready(s) (checked with interrupts off). */
	void (*sleep)(void *ctx, bool (*ready)(struct svc *s), struct svc *s, uint32_t max_us);
	void (*log)(void *ctx, const char *line);
	void *ctx;
};

/* In irq mode, how long the loop sleeps at most while a model is busy (polls console input). */
#define SVC_POLL_US 10000

/* How the loop is idling when it calls a model's idle hook. */
enum svc_idle {
	SVC_IDLE_SPIN,  /* the ring is empty and the loop spins: cheap, periodic work */
	SVC_IDLE_SLEEP, /* the loop is about to halt until the next notification: finish everything */
};

/* One entry of the header's device table, with the model serving it. */
struct svc_dev {
	struct keel_ring_device desc;  /* copied at attach: the shared page is never read again */
	uint16_t index;
	const struct svc_model *model; /* NULL: unknown model, answered KEEL_RING_ENODEV */
	void *state;                   /* the model's own, allocated by its init */
	struct svc *svc;
};

/* A device model: element accesses at `off` from the device's base, `size` 1, 2, 4 or 8 bytes,
 * values little-endian in the low bytes. The loop checks every element lies inside the device. */
struct svc_model {
	const char *name;
	bool silent;                                   /* never answers (timeout tests) */
	int (*init)(struct svc_dev *d);                /* allocates d->state: 0, or -1 */
	uint64_t (*read)(struct svc_dev *d, uint64_t off, unsigned size);
	void (*write)(struct svc_dev *d, uint64_t off, unsigned size, uint64_t val);
	void (*idle)(struct svc_dev *d, enum svc_idle how);  /* NULL: nothing to do */
	bool (*busy)(struct svc_dev *d);  /* must the loop keep polling (irq mode: every
					   * SVC_POLL_US)? NULL: no */
};

/* A read of a silent device at this offset is answered after all: just before the next answer
 * the loop publishes, with OK and 0x5a bytes (the core has timed it out by then, docs/ring.md §4). */
#define SVC_SILENT_LATE 0xff8u

extern const struct svc_model svc_model_uart16550, svc_model_testdev, svc_model_silent,
	svc_model_counter;

/* The model called `name` (the table's 16-byte field, NUL-terminated or not), or NULL. */
const struct svc_model *svc_model_find(const char name[16]);

struct svc_stats {
	uint64_t requests;    /* well-formed requests taken */
	uint64_t answers;     /* answers published */
	uint64_t malformed;   /* requests dropped as malformed (the core times them out) */
	uint64_t unanswered;  /* requests to silent devices */
	uint64_t late;        /* late answers published (SVC_SILENT_LATE) */
	uint64_t enodev;      /* answered KEEL_RING_ENODEV (unknown model) */
	uint64_t eio;         /* answered KEEL_RING_EIO (request outside its device) */
	uint64_t kicks;       /* KEEL_HC_RING_KICK calls */
	uint64_t sleeps;      /* halts in irq mode */
};

struct svc {
	struct ring_svc ring;
	const struct svc_platform *plat;
	uint32_t ndev;
	uint32_t notify_vector;  /* from the header: 0 = poll mode */
	struct svc_dev dev[KEEL_RING_DEVICES_MAX];
	uint8_t idle_dev[KEEL_RING_DEVICES_MAX], busy_dev[KEEL_RING_DEVICES_MAX]; /* with those hooks */
	uint32_t nidle, nbusy;
	struct svc_stats st;
	struct keel_ring_req late;  /* a silent device's read to answer late */
	bool late_pending;
	bool announced;          /* the device table was logged */
	volatile int stop;       /* svc_run returns when set (host tests) */
};

/* Attaches to the ring (version negotiation), then builds the devices from the header's table.
 * 0, or a negative enum keel_status value: the ring's (ring_svc_attach) or -KEEL_EINVAL when a
 * model could not allocate its state. The table (unknown models included) is logged once, by
 * svc_run when the ring first goes quiet, so the first requests are answered without waiting
 * for the console. */
int svc_init(struct svc *s, void *area, size_t size, const struct svc_platform *p);

/* Takes and answers every request waiting; kicks the core in irq mode. Returns the number of
 * requests taken, or -KEEL_ERANGE once the ring is broken. */
int svc_drain(struct svc *s);

/* Gives every model its idle hook. */
void svc_idle(struct svc *s, enum svc_idle how);

/* The main loop: drain, idle, then PAUSE (poll mode) or sleep (irq mode; at most SVC_POLL_US
 * while a model is busy).
 * Returns -KEEL_ERANGE when the ring breaks, 0 when `stop` was set. */
int svc_run(struct svc *s);

struct svc_hc svc_hcall(struct svc *s, uint64_t nr, uint64_t a, uint64_t b, uint64_t c);
void svc_log(struct svc *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A little-endian value of `size` bytes (1, 2, 4 or 8) at p, and storing one: one load or
 * store for the sizes the ring carries. */
static inline uint64_t svc_load(const void *p, unsigned size)
{
	uint8_t b;
	uint16_t h;
	uint32_t w;
	uint64_t q = 0;

	switch (size) {
	case 1: __builtin_memcpy(&b, p, 1); return b;
	case 2: __builtin_memcpy(&h, p, 2); return h;
	case 4: __builtin_memcpy(&w, p, 4); return w;
	case 8: __builtin_memcpy(&q, p, 8); return q;
	default: __builtin_memcpy(&q, p, size < 8 ? size : 8); return q;
	}
}

static inline void svc_store(void *p, unsigned size, uint64_t v)
{
	uint8_t b = (uint8_t)v;
	uint16_t h = (uint16_t)v;
	uint32_t w = (uint32_t)v;

	switch (size) {
	case 1: __builtin_memcpy(p, &b, 1); break;
	case 2: __builtin_memcpy(p, &h, 2); break;
	case 4: __builtin_memcpy(p, &w, 4); break;
	case 8: __builtin_memcpy(p, &v, 8); break;
	default: __builtin_memcpy(p, &v, size < 8 ? size : 8); break;
	}
}

/* Element i of a request's data, and storing one into an answer (little-endian). */
static inline uint64_t svc_get(const uint8_t *data, uint32_t i, unsigned size)
{
	return svc_load(data + (size_t)i * size, size);
}

static inline void svc_put(uint8_t *data, uint32_t i, unsigned size, uint64_t v)
{
	svc_store(data + (size_t)i * size, size, v);
}

#endif
