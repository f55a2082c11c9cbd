/* A minimal STAND-IN service VM (see svcstub.h): finds the ring in its start information,
 * attaches, and answers requests in ring order, polling with PAUSE (ring-notify poll) or, with
 * ring-notify irq, halting until Keel's notification vector arrives. It never stops by itself:
 * Keel stops it when every guest partition has stopped. */
#include "svcstub.h"
#include "../../service/ring_svc.h" /* the service VM's end of the ring */

static struct ring_svc svc;
static struct stub_dev devs[KEEL_RING_DEVICES_MAX];
static struct keel_ring_req req, late;
static struct keel_ring_rsp rsp;
static bool late_pending;

static void stub_pause(void *ctx)
{
	(void)ctx;
	__asm__ volatile("pause");
}

static void stub_answer(const struct keel_ring_req *q, bool answered)
{
	ring_svc_answer_init(&rsp, q, answered ? KEEL_RING_OK : KEEL_RING_ENODEV);
	if (!answered && q->dir == KEEL_RING_READ)
		memset(rsp.data, 0xff, rsp.len);
	ring_svc_answer_wait(&svc, &rsp, stub_pause, NULL);
}

/* Every element in the order the instruction performs them. */
static bool stub_elements(struct stub_dev *dev, const struct keel_ring_req *q)
{
	for (uint32_t i = 0; i < q->count; i++) {
		uint64_t val = 0, addr = q->addr + (int64_t)i * q->stride;
		bool write = q->dir == KEEL_RING_WRITE;
		if (write)
			memcpy(&val, q->data + i * q->size, q->size);
		if (!stub_model_access(dev, q, addr, write, q->size, &val))
			return false;
		if (!write)
			memcpy(rsp.data + i * q->size, &val, q->size);
	}
	return true;
}

static void stub_handle(const struct keel_ring_req *q)
{
	struct stub_dev *dev = &devs[q->device];
	if (late_pending) {
		late_pending = false;
		memset(rsp.data, 0x5a, sizeof(rsp.data));
		ring_svc_answer_init(&rsp, &late, KEEL_RING_OK);
		ring_svc_answer_wait(&svc, &rsp, stub_pause, NULL);
	}
	if (dev->model == STUB_SILENT) {
		if (q->dir == KEEL_RING_READ && q->addr - dev->d->base == STUB_SILENT_LATE) {
			late = *q;
			late_pending = true;
		}
		return;
	}
	if (dev->model == STUB_NONE) {
		stub_answer(q, false);
		return;
	}
	bool ok = stub_elements(dev, q);
	ring_svc_answer_init(&rsp, q, ok ? KEEL_RING_OK : KEEL_RING_EIO);
	ring_svc_answer_wait(&svc, &rsp, stub_pause, NULL);
}

static void *stub_ring(const struct keel_start_info *si, uint64_t *size)
{
	for (uint32_t i = 0; i < si->nr_regions && i < KEEL_START_MAX_REGIONS; i++)
		if (si->region[i].kind == KEEL_REGION_RING) {
			*size = si->region[i].size;
			return (void *)(uintptr_t)si->region[i].base;
		}
	return NULL;
}

static void stub_notified(unsigned vector)
{
	(void)vector;
	*(volatile uint32_t *)(uintptr_t)0xfee000b0u = 0; /* EOI */
}

/* Nothing to answer: PAUSE, or in irq mode halt until the notification (checked with IF = 0,
 * so a notification between the check and HLT still wakes it: STI's shadow covers HLT). */
static int stub_next(void)
{
	if (!svc.hdr->notify_vector) {
		int rc = ring_svc_next(&svc, &req);
		if (!rc)
			__asm__ volatile("pause");
		return rc;
	}
	__asm__ volatile("cli");
	int rc = ring_svc_next(&svc, &req);
	if (!rc)
		__asm__ volatile("sti; hlt" ::: "memory");
	__asm__ volatile("sti");
	return rc;
}

int guest_main(const struct keel_start_info *si)
{
	uint64_t size = 0;
	void *area = stub_ring(si, &size);
	int rc = area ? ring_svc_attach(&svc, area, size) : -KEEL_EINVAL;
	if (rc) {
		g_printf("svcstub: cannot attach to the ring: %s\n", ring_svc_strerror(rc));
		return 1;
	}
	for (uint32_t i = 0; i < svc.ndevices; i++) {
		devs[i].d = &svc.hdr->device[i];
		if (!stub_model_init(&devs[i])) {
			char m[sizeof(devs[i].d->model) + 1] = { 0 };
			memcpy(m, devs[i].d->model, sizeof(devs[i].d->model));
			g_printf("svcstub: device %u: no model '%s'\n", i, m);
		}
	}
	if (svc.hdr->notify_vector) {
		intr_set(svc.hdr->notify_vector, stub_notified);
		*(volatile uint32_t *)(uintptr_t)0xfee000f0u = 0x1ff; /* APIC software-enabled */
	}
	g_printf("svcstub: ready, %u devices, %s (a stand-in for the service VM)\n", svc.ndevices,
		 svc.hdr->notify_vector ? "woken by interrupts" : "polling");
	/* Interrupts on, as a service VM in irq mode runs: Bochs 2.7 holds an external interrupt
	 * while the guest's IF is 0, even with external-interrupt exiting, so Keel's stop IPI
	 * would never make this vCPU exit there (docs/partitions.md). */
	__asm__ volatile("sti");
	for (;;) {
		rc = stub_next();
		if (rc == 1)
			stub_handle(&req);
		else if (rc && rc != -KEEL_EINVAL)
			break;
	}
	g_printf("svcstub: the ring broke: %s\n", ring_svc_strerror(rc));
	return 1;
}
