/* The service VM's ring loop (docs/service.md, docs/ring.md): take requests in ring order,
 * dispatch each element to the device model the request names, answer with data only. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "svc.h"

static const struct svc_model *const svc_models[] = {
	&svc_model_uart16550, &svc_model_testdev, &svc_model_silent, &svc_model_counter,
};

const struct svc_model *svc_model_find(const char name[16])
{
	char n[17];

	memcpy(n, name, 16);
	n[16] = 0;
	for (size_t i = 0; i < sizeof(svc_models) / sizeof(svc_models[0]); i++)
		if (!strcmp(n, svc_models[i]->name))
			return svc_models[i];
	return NULL;
}

struct svc_hc svc_hcall(struct svc *s, uint64_t nr, uint64_t a, uint64_t b, uint64_t c)
{
	return s->plat->hcall(s->plat->ctx, nr, a, b, c);
}

void svc_log(struct svc *s, const char *fmt, ...)
{
	char line[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (s->plat->log)
		s->plat->log(s->plat->ctx, line);
}

static void svc_dev_describe(const struct svc_dev *d, char *buf, size_t size)
{
	char model[17];

	memcpy(model, d->desc.model, 16);
	model[16] = 0;
	for (char *c = model; *c; c++)
		if (*c < 0x20 || *c > 0x7e)
			*c = '?';
	snprintf(buf, size, "device %u (partition %u, %s %#llx+%#llx, model '%s')", d->index,
		 d->desc.partition, d->desc.kind == KEEL_RING_PIO ? "port" : "mmio",
		 (unsigned long long)d->desc.base, (unsigned long long)d->desc.size, model);
}

static int svc_dev_setup(struct svc *s, uint16_t i)
{
	struct svc_dev *d = &s->dev[i];
	char what[120];

	*d = (struct svc_dev){ .index = i, .svc = s };
	memcpy(&d->desc, &s->ring.hdr->device[i], sizeof(d->desc));
	d->model = svc_model_find(d->desc.model);
	if (d->model && d->model->init && d->model->init(d)) {
		svc_dev_describe(d, what, sizeof(what));
		svc_log(s, "svc: %s: out of memory for its state", what);
		return -KEEL_EINVAL;
	}
	if (d->model && d->model->idle)
		s->idle_dev[s->nidle++] = (uint8_t)i;
	if (d->model && d->model->busy)
		s->busy_dev[s->nbusy++] = (uint8_t)i;
	return 0;
}

/* The device table and the mode, logged once the loop runs: the first answers need not wait
 * for the console. */
static void svc_announce(struct svc *s)
{
	char what[120];

	if (s->announced)
		return;
	s->announced = true;
	for (uint32_t i = 0; i < s->ndev; i++) {
		svc_dev_describe(&s->dev[i], what, sizeof(what));
		svc_log(s, "svc: %s%s", what,
			s->dev[i].model ? "" : ": unknown model: its requests are answered ENODEV");
	}
	svc_log(s, "svc: ring attached: %u devices, %s mode", s->ndev,
		s->notify_vector ? "irq" : "poll");
}

int svc_init(struct svc *s, void *area, size_t size, const struct svc_platform *p)
{
	int err;

	memset(s, 0, sizeof(*s));
	s->plat = p;
	err = ring_svc_attach(&s->ring, area, size);
	if (err) {
		svc_log(s, "svc: cannot attach to the ring: %s", ring_svc_strerror(err));
		return err;
	}
	s->ndev = s->ring.ndevices;
	s->notify_vector = s->ring.hdr->notify_vector;
	for (uint16_t i = 0; i < s->ndev; i++) {
		err = svc_dev_setup(s, i);
		if (err)
			return err;
	}
	return 0;
}

/* Every element lies inside the device, and the request matches its entry (partition, kind). */
static inline __attribute__((always_inline)) bool svc_in_device(const struct svc_dev *d,
								 const struct keel_ring_req *q)
{
	uint64_t step = (uint64_t)(q->stride < 0 ? -(int64_t)q->stride : q->stride);
	uint64_t span = step * (q->count - 1), lo, hi;

	if (q->partition != d->desc.partition || q->kind != d->desc.kind)
		return false;
	if (q->count == 1) {
		uint64_t off = q->addr - d->desc.base;
		return q->addr >= d->desc.base && off < d->desc.size && d->desc.size - off >= q->size;
	}
	if (q->stride < 0) {
		if (q->addr < span)
			return false;
		lo = q->addr - span;
		hi = q->addr;
	} else {
		if (q->addr > UINT64_MAX - span)
			return false;
		lo = q->addr;
		hi = q->addr + span;
	}
	if (lo < d->desc.base || hi - d->desc.base >= d->desc.size)
		return false;
	return d->desc.size - (hi - d->desc.base) >= q->size;
}

static void svc_elements(struct svc_dev *d, const struct keel_ring_req *q, struct keel_ring_rsp *r)
{
	uint64_t off = q->addr - d->desc.base;

	for (uint32_t i = 0; i < q->count; i++, off += (uint64_t)(int64_t)q->stride) {
		if (q->dir == KEEL_RING_READ)
			svc_put(r->data, i, q->size, d->model->read(d, off, q->size));
		else
			d->model->write(d, off, q->size, svc_get(q->data, i, q->size));
	}
}

static void svc_kick(struct svc *s)
{
	if (!s->notify_vector)
		return;
	svc_hcall(s, KEEL_HC_RING_KICK, 0, 0, 0);
	s->st.kicks++;
}

/* The response ring is full: wake the core (it may be halted), then spin. */
static void svc_full_pause(struct svc *s)
{
	svc_kick(s);
	if (s->plat->pause)
		s->plat->pause(s->plat->ctx);
}

/* The next response slot, filled in for `q`; waits while the response ring is full. */
static inline __attribute__((always_inline)) int
svc_slot(struct svc *s, const struct keel_ring_req *q, uint32_t status, struct keel_ring_rsp **r)
{
	int err;

	while ((err = ring_svc_answer_begin(&s->ring, q, status, r)) == -KEEL_EBUSY)
		svc_full_pause(s);
	return err;
}

/* The silent device's late answer goes out just before the next answer. */
static int svc_late(struct svc *s)
{
	struct keel_ring_rsp *r;
	int err = svc_slot(s, &s->late, KEEL_RING_OK, &r);

	s->late_pending = false;
	if (err)
		return err;
	memset(r->data, 0x5a, r->len);
	ring_svc_answer_end(&s->ring);
	s->st.late++;
	return 0;
}

/* Answers `q` in its response slot: 1, 0 when the device never answers, or a ring error. */
static int svc_answer(struct svc *s, const struct keel_ring_req *q)
{
	struct svc_dev *d = &s->dev[q->device];
	uint32_t status = KEEL_RING_OK;
	struct keel_ring_rsp *r;
	int err;

	if (d->model && d->model->silent) {
		s->st.unanswered++;
		if (q->dir == KEEL_RING_READ && svc_in_device(d, q) &&
		    q->addr - d->desc.base == SVC_SILENT_LATE) {
			memcpy(&s->late, q, offsetof(struct keel_ring_req, data));
			s->late_pending = true;
		}
		return 0;
	}
	if (!d->model) {
		status = KEEL_RING_ENODEV;
		s->st.enodev++;
	} else if (!svc_in_device(d, q)) {
		status = KEEL_RING_EIO;
		s->st.eio++;
	}
	if (s->late_pending && (err = svc_late(s)))
		return err;
	err = svc_slot(s, q, status, &r);
	if (err)
		return err;
	if (status == KEEL_RING_OK)
		svc_elements(d, q, r);
	else
		memset(r->data, 0xff, r->len);
	ring_svc_answer_end(&s->ring);
	return 1;
}

static void svc_malformed(struct svc *s, const struct keel_ring_req *q)
{
	if (!s->st.malformed++)
		svc_log(s, "svc: malformed request dropped (id %#llx device %u kind %u dir %u size %u "
			"count %u stride %d); later ones are only counted",
			(unsigned long long)q->id, q->device, q->kind, q->dir, q->size, q->count,
			q->stride);
}

static int svc_broken(struct svc *s, int err)
{
	svc_log(s, "svc: the ring is broken (%s): no more requests are taken",
		ring_svc_strerror(err));
	return err;
}

int svc_drain(struct svc *s)
{
	struct keel_ring_req q;
	int taken = 0, answered = 0, err;

	while (ring_svc_has_work(&s->ring)) {
		err = ring_svc_next(&s->ring, &q);
		if (err == 0)
			break;
		if (err == -KEEL_ERANGE)
			return svc_broken(s, err);
		taken++;
		if (err == -KEEL_EINVAL) {
			svc_malformed(s, &q);
			continue;
		}
		s->st.requests++;
		err = svc_answer(s, &q);
		if (err < 0)
			return svc_broken(s, err);
		s->st.answers += (uint64_t)err;
		answered += err;
	}
	if (answered)
		svc_kick(s);
	return taken;
}

void svc_idle(struct svc *s, enum svc_idle how)
{
	for (uint32_t i = 0; i < s->nidle; i++) {
		struct svc_dev *d = &s->dev[s->idle_dev[i]];

		d->model->idle(d, how);
	}
}

static bool svc_busy(struct svc *s)
{
	for (uint32_t i = 0; i < s->nbusy; i++) {
		struct svc_dev *d = &s->dev[s->busy_dev[i]];

		if (d->model->busy(d))
			return true;
	}
	return false;
}

static bool svc_ready(struct svc *s)
{
	return s->stop || ring_svc_waiting(&s->ring) || s->ring.error;
}

/* In poll mode a drain that took requests is followed by the idle work and a PAUSE like any
 * other pass (the next pass drains again); in irq mode the loop drains until the ring is empty
 * before it may sleep. */
int svc_run(struct svc *s)
{
	int n;

	while (!s->stop) {
		n = ring_svc_has_work(&s->ring) ? svc_drain(s) : 0;
		if (n < 0) {
			svc_announce(s);
			return n;
		}
		bool irq_mode = s->notify_vector && s->plat->sleep;
		if (n && irq_mode)
			continue;
		if (!n)
			svc_announce(s);
		if (!irq_mode) {
			svc_idle(s, SVC_IDLE_SPIN);
			if (s->plat->pause)
				s->plat->pause(s->plat->ctx);
			continue;
		}
		svc_idle(s, SVC_IDLE_SLEEP);
		s->st.sleeps++;
		s->plat->sleep(s->plat->ctx, svc_ready, s, svc_busy(s) ? SVC_POLL_US : 0);
	}
	svc_announce(s);
	return 0;
}
