/* keel-config: checks or prints a Keel configuration on the host with the core's own parser and
 * validator (docs/config.md).
 *   keel-config check FILE [--cpus N] [--modules A,B,...] [--keel BASE+SIZE]
 *                          [--ram BASE+SIZE,...]
 *   keel-config dump FILE [same options]
 * check prints one line per problem ("FILE:LINE: ...") on stdout; dump prints the normalised
 * configuration on stdout and problems on stderr. Exit status: 0 valid, 1 problems, 2 usage or I/O. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <keel/config.h>

#define TOOL_MODULES_MAX 64
#define TOOL_RAM_MAX 64

struct tool_opts {
	const char *cmd, *file;
	struct config_machine m;
	const char *modules[TOOL_MODULES_MAX];
	struct config_range reserved[2];
	struct config_range ram[TOOL_RAM_MAX];
};

static int tool_usage(const char *why)
{
	fprintf(stderr, "keel-config: %s\n", why);
	fprintf(stderr, "usage: keel-config check|dump FILE [--cpus N] [--modules A,B,...] [--keel BASE+SIZE]\n"
			"       [--ram BASE+SIZE,...]\n");
	return 2;
}

static int tool_modules(struct tool_opts *o, char *list)
{
	o->m.modules = o->modules;
	o->m.nmodules = 0;
	for (char *save = NULL, *name = strtok_r(list, ",", &save); name;
	     name = strtok_r(NULL, ",", &save)) {
		if (o->m.nmodules == TOOL_MODULES_MAX)
			return -1;
		o->modules[o->m.nmodules++] = name;
	}
	return 0;
}

static int tool_number(const char *s, char stop, unsigned long long *out, const char **end);

/* --ram: the machine's RAM as the memory map lists it, e.g. 0x0+0x9fc00,0x100000+0x7ee0000. */
static int tool_ram(struct tool_opts *o, char *list)
{
	const char *end;
	unsigned long long v, w;

	o->m.ram = o->ram;
	o->m.nram = 0;
	for (char *save = NULL, *r = strtok_r(list, ",", &save); r; r = strtok_r(NULL, ",", &save)) {
		if (o->m.nram == TOOL_RAM_MAX || tool_number(r, '+', &v, &end) ||
		    tool_number(end + 1, 0, &w, &end) || !w || v + w < v)
			return -1;
		o->ram[o->m.nram++] = (struct config_range){ v, w, CONFIG_MMIO, "RAM" };
	}
	return o->m.nram ? 0 : -1;
}

static int tool_number(const char *s, char stop, unsigned long long *out, const char **end)
{
	char *e;
	errno = 0;
	*out = strtoull(s, &e, 0);
	*end = e;
	return errno || e == s || *e != stop || *s == '-' ? -1 : 0;
}

static int tool_options(struct tool_opts *o, int argc, char **argv)
{
	const char *end;
	unsigned long long v, w;

	if (argc < 3)
		return tool_usage("missing arguments");
	o->cmd = argv[1];
	o->file = argv[2];
	if (strcmp(o->cmd, "check") && strcmp(o->cmd, "dump"))
		return tool_usage("the command is check or dump");
	/* Keel's own console UART is never a partition's (drivers/console.c). */
	o->reserved[0] = (struct config_range){ CONFIG_CONSOLE_PORT, CONFIG_CONSOLE_SIZE, CONFIG_PIO,
						"Keel's console UART" };
	o->m.reserved = o->reserved;
	o->m.nreserved = 1;
	for (int i = 3; i < argc; i += 2) {
		const char *arg = i + 1 < argc ? argv[i + 1] : NULL;
		if (!arg)
			return tool_usage("an option without its value");
		if (!strcmp(argv[i], "--cpus")) {
			if (tool_number(arg, 0, &v, &end) || v < 1 || v > CONFIG_CPUS_MAX)
				return tool_usage("--cpus takes a count from 1 to 64");
			o->m.ncpus = (unsigned)v;
		} else if (!strcmp(argv[i], "--modules")) {
			if (tool_modules(o, argv[i + 1]))
				return tool_usage("--modules takes at most 64 names");
		} else if (!strcmp(argv[i], "--keel")) {
			if (tool_number(arg, '+', &v, &end) || tool_number(end + 1, 0, &w, &end) || !w)
				return tool_usage("--keel takes BASE+SIZE, e.g. 0x100000+0x200000");
			o->reserved[1] = (struct config_range){ v, w, CONFIG_MMIO, "Keel's image" };
			o->m.nreserved = 2;
		} else if (!strcmp(argv[i], "--ram")) {
			if (tool_ram(o, argv[i + 1]))
				return tool_usage("--ram takes BASE+SIZE,... (at most 64 ranges), e.g. 0x100000+0x7f00000");
		} else {
			return tool_usage("unknown option");
		}
	}
	return 0;
}

static char *tool_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0;

	*len = 0;
	if (!f)
		return NULL;
	for (;;) {
		if (*len == cap) {
			char *nb = realloc(buf, cap ? cap * 2 : 4096);
			if (!nb)
				break;
			buf = nb;
			cap = cap ? cap * 2 : 4096;
		}
		size_t n = fread(buf + *len, 1, cap - *len, f);
		*len += n;
		if (n == 0)
			break;
	}
	if (ferror(f) || !buf) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static void tool_emit(void *ctx, const char *line)
{
	fprintf(ctx, "%s\n", line);
}

int main(int argc, char **argv)
{
	static struct tool_opts o;
	static struct keel_config c;
	static struct config_problems pr;
	size_t len;

	int rc = tool_options(&o, argc, argv);
	if (rc)
		return rc;
	char *text = tool_read(o.file, &len);
	if (!text) {
		fprintf(stderr, "keel-config: cannot read %s: %s\n", o.file, strerror(errno));
		return 2;
	}
	bool dump = !strcmp(o.cmd, "dump");
	FILE *out = dump ? stderr : stdout;
	rc = config_load(&c, &pr, text, len, &o.m);
	for (unsigned i = 0; i < pr.n; i++) {
		if (pr.p[i].line)
			fprintf(out, "%s:%u: %s\n", o.file, pr.p[i].line, pr.p[i].msg);
		else
			fprintf(out, "%s: %s\n", o.file, pr.p[i].msg);
	}
	if (pr.dropped)
		fprintf(out, "%s: %u more problems not shown\n", o.file, pr.dropped);
	if (!rc && dump)
		config_dump(&c, tool_emit, stdout);
	free(text);
	return rc ? 1 : 0;
}
